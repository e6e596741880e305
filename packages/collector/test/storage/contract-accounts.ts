// The storage contract of the dashboard's accounts, sessions, sign-in failures and saved funnels:
// every backend runs it (SQLite here and through storageWhenOpen, PostgreSQL in test/storage/postgres/).
// A second store opened on the same database stands for a second collector: what one writes, the
// other reads.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore } from '../../src/rules/store';
import type { AccountRow, SessionRow } from '../../src/storage/accounts';
import type { Storage } from '../../src/storage/types';

const T0 = '2024-05-01T12:00:00.000Z';
const T1 = '2024-05-01T13:00:00.000Z';
const T2 = '2024-05-01T14:00:00.000Z';

const account = (name: string, role: AccountRow['role'] = 'viewer'): AccountRow => ({
  name,
  role,
  passwordHash: `$scrypt$hash-of-${name}`,
  createdAt: T0,
  passwordChangedAt: T0,
});
const session = (id: string, name: string, overrides: Partial<SessionRow> = {}): SessionRow => ({
  id,
  account: name,
  createdAt: T0,
  lastSeenAt: T0,
  expiresAt: T2,
  ...overrides,
});

export function runAccountsContract(name: string, openFn: (file: string) => Promise<Storage>): void {
  describe(`storage contract: ${name}: accounts and sessions`, () => {
    let cleanups: (() => unknown)[] = [];
    afterEach(async () => {
      for (const fn of cleanups.reverse()) await fn();
      cleanups = [];
    });
    let file = '';
    async function fresh(again = false): Promise<Storage> {
      if (!again) {
        const dir = mkdtempSync(join(tmpdir(), 'spur-accounts-'));
        cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
        file = join(dir, 'store.db');
      }
      const storage = createStore(await openFn(file));
      cleanups.push(() => storage.close());
      return storage;
    }

    it('adds accounts once per name, lists them by name, changes role and password, removes them', async () => {
      const { accounts } = await fresh();
      expect(await accounts.addAccount(account('zoe', 'admin'))).toBe(true);
      expect(await accounts.addAccount(account('ada'))).toBe(true);
      expect(await accounts.addAccount({ ...account('ada', 'admin'), passwordHash: 'other' })).toBe(false);
      expect(await accounts.accounts()).toEqual([account('ada'), account('zoe', 'admin')]);
      expect(await accounts.account('ada')).toEqual(account('ada'));
      expect(await accounts.account('nobody')).toBeUndefined();
      expect(await accounts.setRole('ada', 'admin')).toBe(true);
      expect(await accounts.setPassword('ada', 'new-hash', T1)).toBe(true);
      expect(await accounts.account('ada')).toEqual({ ...account('ada', 'admin'), passwordHash: 'new-hash', passwordChangedAt: T1 });
      expect(await accounts.setRole('nobody', 'viewer')).toBe(false);
      expect(await accounts.setPassword('nobody', 'x', T1)).toBe(false);
      expect(await accounts.removeAccount('zoe')).toBe(true);
      expect(await accounts.removeAccount('zoe')).toBe(false);
      expect((await accounts.accounts()).map((a) => a.name)).toEqual(['ada']);
    });

    it('keeps sessions with their account’s current role, shared by a second store on the database', async () => {
      const first = await fresh();
      await first.accounts.addAccount(account('ada'));
      await first.accounts.addSession(session('s1', 'ada'));
      const second = await fresh(true);
      expect(await second.accounts.session('s1')).toEqual({ ...session('s1', 'ada'), role: 'viewer' });
      await first.accounts.setRole('ada', 'admin');
      expect((await second.accounts.session('s1'))?.role).toBe('admin');
      expect(await second.accounts.session('unknown')).toBeUndefined();
      await second.accounts.endSession('s1');
      expect(await first.accounts.session('s1')).toBeUndefined();
    });

    it('moves lastSeenAt forward only, and ends expired and idle sessions', async () => {
      const { accounts } = await fresh();
      await accounts.addAccount(account('ada'));
      await accounts.addSession(session('live', 'ada'));
      await accounts.addSession(session('expired', 'ada', { expiresAt: T1 }));
      await accounts.addSession(session('idle', 'ada', { lastSeenAt: '2024-05-01T11:00:00.000Z' }));
      await accounts.touchSession('live', T1);
      await accounts.touchSession('live', T0);
      expect((await accounts.session('live'))?.lastSeenAt).toBe(T1);
      expect(await accounts.endExpiredSessions(T1, T0)).toBe(2);
      expect(await accounts.session('live')).toBeDefined();
      expect(await accounts.session('expired')).toBeUndefined();
      expect(await accounts.session('idle')).toBeUndefined();
    });

    it('ends an account’s sessions when its password changes or it is removed, and no one else’s', async () => {
      const { accounts } = await fresh();
      await accounts.addAccount(account('ada'));
      await accounts.addAccount(account('bob'));
      await accounts.addSession(session('a1', 'ada'));
      await accounts.addSession(session('a2', 'ada'));
      await accounts.addSession(session('b1', 'bob'));
      await accounts.setPassword('ada', 'new', T1);
      expect(await accounts.session('a1')).toBeUndefined();
      expect(await accounts.session('a2')).toBeUndefined();
      await accounts.addSession(session('b2', 'bob'));
      await accounts.removeAccount('bob');
      expect(await accounts.session('b1')).toBeUndefined();
      expect(await accounts.session('b2')).toBeUndefined();
      // A session row whose account is gone signs nobody in.
      await accounts.addSession(session('orphan', 'carl'));
      expect(await accounts.session('orphan')).toBeUndefined();
    });

    it('counts failures per key in a window, forgets old ones, and clears a key', async () => {
      const { accounts } = await fresh();
      await accounts.addFailure(['account:a', 'address:x'], T0, T0);
      await accounts.addFailure(['account:a', 'address:y'], T1, T0);
      await accounts.addFailure(['account:b', 'address:x'], T1, T0);
      expect(await accounts.failures(['account:a', 'address:x', 'address:z'], T0)).toEqual([
        { key: 'account:a', count: 2, oldest: T0 },
        { key: 'address:x', count: 2, oldest: T0 },
        { key: 'address:z', count: 0, oldest: null },
      ]);
      expect(await accounts.failures(['account:a'], T1)).toEqual([{ key: 'account:a', count: 1, oldest: T1 }]);
      // A failure at T2 forgets everything before T1.
      await accounts.addFailure(['account:a'], T2, T1);
      expect(await accounts.failures(['account:a', 'address:x'], T0)).toEqual([
        { key: 'account:a', count: 2, oldest: T1 },
        { key: 'address:x', count: 1, oldest: T1 },
      ]);
      await accounts.clearFailures('account:a');
      expect(await accounts.failures(['account:a', 'account:b'], T0)).toEqual([
        { key: 'account:a', count: 0, oldest: null },
        { key: 'account:b', count: 1, oldest: T1 },
      ]);
    });

    it('saves funnels by name (the same name replaces), lists them by name and deletes them by id', async () => {
      const { accounts } = await fresh();
      const shop = await accounts.saveFunnel({ name: 'Shop', definition: '{"steps":["a","b"]}', createdBy: 'ada', createdAt: T0 });
      const cart = await accounts.saveFunnel({ name: 'Cart', definition: '{"steps":["c"]}', createdBy: 'bob', createdAt: T0 });
      expect(shop).toEqual({ id: expect.any(Number), name: 'Shop', definition: '{"steps":["a","b"]}', createdBy: 'ada', createdAt: T0 });
      const again = await accounts.saveFunnel({ name: 'Shop', definition: '{"steps":["x"]}', createdBy: 'bob', createdAt: T1 });
      expect(again).toEqual({ id: shop.id, name: 'Shop', definition: '{"steps":["x"]}', createdBy: 'bob', createdAt: T1 });
      expect(await accounts.funnels()).toEqual([cart, again]);
      expect(await accounts.deleteFunnel(cart.id)).toBe(true);
      expect(await accounts.deleteFunnel(cart.id)).toBe(false);
      expect((await accounts.funnels()).map((f) => f.name)).toEqual(['Shop']);
    });
  });
}
