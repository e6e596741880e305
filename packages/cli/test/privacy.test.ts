// `spur privacy export|erase` against a database file and against a running collector.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCollector, createStore, openSqliteStorage, startServer, type RunningServer, type Store } from '@spur/collector';
import type { StoredEvent } from '@spur/sdk';
import { main } from '@spur/cli';
import { captureIo } from './io';

const TOKEN = 'privacy-test-token';
let n = 0;
function stored(fields: Partial<StoredEvent>, minutes: number): StoredEvent {
  n += 1;
  const t = new Date(Date.parse('2026-11-01T10:00:00.000Z') + minutes * 60_000).toISOString();
  return { type: 'track', event: 'Product Viewed', messageId: `p-${n}`, timestamp: t, originalTimestamp: t, receivedAt: t, ...fields } as StoredEvent;
}

let dir: string;
let file: string;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spur-privacy-'));
  file = join(dir, 'spur.db');
  const storage = createStore(await openSqliteStorage(file));
  await storage.append({
    writeKey: 'k',
    rejected: [],
    events: [
      stored({ anonymousId: 'a' }, 0),
      stored({ type: 'identify', anonymousId: 'a', userId: 'alice', traits: { email: 'alice@example.com' } } as Partial<StoredEvent>, 1),
      stored({ type: 'identify', anonymousId: 'b', userId: 'bob' } as Partial<StoredEvent>, 2),
    ],
  });
  await storage.close();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function withStorage<T>(fn: (storage: Store) => Promise<T>): Promise<T> {
  const storage = createStore(await openSqliteStorage(file));
  try {
    return await fn(storage);
  } finally {
    await storage.close();
  }
}

describe('spur privacy (database file)', () => {
  it('exports everything about a customer to stdout, and to --out', async () => {
    const io = captureIo({ SPUR_DB: file });
    expect(await main(['privacy', 'export', 'alice'], io)).toBe(0);
    const doc = JSON.parse(io.stdout);
    expect(doc.profile).toMatchObject({ id: 'alice', anonymousIds: ['a'], traits: { email: 'alice@example.com' }, eventCount: 2 });
    expect(doc.events.map((e: StoredEvent) => e.messageId)).toHaveLength(2);
    expect(io.stdout).not.toContain('bob');

    const out = join(dir, 'alice.json');
    const quiet = captureIo();
    expect(await main(['privacy', 'export', 'alice', '--db', file, '--out', out], quiet)).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({ ...doc, generatedAt: expect.any(String) });
    expect(quiet.stderr).toContain(`to ${out}`);
    expect(readdirSync(dir).filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('erases a customer with --yes, prints the counts, and leaves the others', async () => {
    const io = captureIo({ SPUR_DB: file });
    expect(await main(['privacy', 'erase', 'alice', '--yes'], io)).toBe(0);
    expect(JSON.parse(io.stdout)).toMatchObject({ ok: true, counts: { events: 2, identityLinks: 1, anonymousIds: 1, suppressedIds: 2 } });
    expect(io.stderr).toMatch(/erased "alice"; events carrying its ids are dropped until/);
    await withStorage(async (storage) => {
      expect(await storage.getProfile('alice')).toBeNull();
      expect(await storage.getProfile('bob')).toMatchObject({ eventCount: 1 });
      expect(await storage.listErasures()).toHaveLength(1);
    });
  });

  it('refuses to erase without --yes (exit 2), and erases nothing', async () => {
    const io = captureIo({ SPUR_DB: file });
    expect(await main(['privacy', 'erase', 'alice'], io)).toBe(2);
    expect(io.stderr).toContain('cannot be undone: add --yes');
    await withStorage(async (storage) => expect(await storage.getProfile('alice')).not.toBeNull());
  });

  it('honours --suppress-days 0', async () => {
    const io = captureIo();
    expect(await main(['privacy', 'erase', 'alice', '--yes', '--db', file, '--suppress-days', '0'], io)).toBe(0);
    expect(JSON.parse(io.stdout)).toMatchObject({ suppressedUntil: null, counts: { suppressedIds: 0 } });
  });

  it('exits 1 for an id nothing is stored about, and 2 for a database that does not exist (creating none)', async () => {
    const io = captureIo();
    expect(await main(['privacy', 'export', 'nobody', '--db', file], io)).toBe(1);
    expect(io.stderr).toContain('nothing is stored about "nobody"');
    const missing = join(dir, 'typo', 'spur.db');
    for (const argv of [['privacy', 'erase', 'alice', '--yes', '--db', missing], ['privacy', 'export', 'alice']]) {
      const again = captureIo({ SPUR_DB: missing });
      expect(await main(argv, again)).toBe(2);
      expect(again.stderr).toContain(`spur privacy: no database at ${missing}: set SPUR_DB or --db to the collector's database file`);
    }
    expect(existsSync(join(dir, 'typo'))).toBe(false);
  });

  it('exits 2 for a command line it cannot read', async () => {
    for (const argv of [
      ['privacy'],
      ['privacy', 'show', 'alice'],
      ['privacy', 'export'],
      ['privacy', 'export', 'alice', 'bob'],
      ['privacy', 'export', 'alice', '--db', file, '--url', 'http://127.0.0.1:1'],
      ['privacy', 'export', 'alice', '--url', 'http://127.0.0.1:1'],
      ['privacy', 'erase', 'alice', '--yes', '--suppress-days', 'soon'],
    ]) {
      const io = captureIo();
      expect(await main(argv, io)).toBe(2);
      expect(io.stderr).toContain("Run 'spur privacy --help'");
    }
  });
});

describe('spur privacy (running collector)', () => {
  let storage: Store;
  let server: RunningServer;
  beforeEach(async () => {
    storage = createStore(await openSqliteStorage(file));
    server = await startServer(createCollector({ storage, writeKeys: {}, adminToken: TOKEN }), { port: 0, host: '127.0.0.1', storage });
  });
  afterEach(() => server.close());

  it('exports and erases over HTTP with the admin token', async () => {
    const env = { SPUR_URL: server.url, SPUR_ADMIN_TOKEN: TOKEN };
    const io = captureIo(env);
    expect(await main(['privacy', 'export', 'alice'], io)).toBe(0);
    expect(JSON.parse(io.stdout).profile).toMatchObject({ id: 'alice', eventCount: 2 });

    const erase = captureIo(env);
    expect(await main(['privacy', 'erase', 'alice', '--yes'], erase)).toBe(0);
    expect(JSON.parse(erase.stdout)).toMatchObject({ ok: true, counts: { events: 2 } });
    expect(await storage.getProfile('alice')).toBeNull();

    const gone = captureIo(env);
    expect(await main(['privacy', 'export', 'alice'], gone)).toBe(1);
    expect(gone.stderr).toContain('answered 404: nothing is stored about "alice"');
  });

  it('exits 1 naming the answer for a wrong token', async () => {
    const io = captureIo();
    expect(await main(['privacy', 'export', 'alice', '--url', server.url, '--token', 'wrong'], io)).toBe(1);
    expect(io.stderr).toContain('answered 401');
  });
});
