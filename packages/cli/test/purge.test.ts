// `spur purge`: retention applied to a database file from the command line.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore, openSqliteStorage } from '@spur/collector';
import type { StoredEvent } from '@spur/sdk';
import { main } from '@spur/cli';
import { captureIo } from './io';

const DAY = 86_400_000;
let n = 0;
// The command runs on the real clock: times are taken far from the cutoff, on either side.
function stored(daysAgo: number): StoredEvent {
  n += 1;
  const t = new Date(Date.now() - daysAgo * DAY).toISOString();
  return { type: 'track', event: 'Product Viewed', anonymousId: `v-${n}`, messageId: `q-${n}`, timestamp: t, originalTimestamp: t, receivedAt: t };
}

let dir: string;
let file: string;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spur-purge-'));
  file = join(dir, 'spur.db');
  const storage = createStore(await openSqliteStorage(file));
  await storage.append({
    writeKey: 'k',
    events: [stored(100), stored(95), stored(10)],
    rejected: [{ raw: '{}', reason: 'old', writeKey: 'k', receivedAt: new Date(Date.now() - 100 * DAY).toISOString() }],
  });
  await storage.close();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const count = async () => {
  const storage = createStore(await openSqliteStorage(file));
  try {
    return { events: await storage.countEvents({}), rejected: (await storage.listRejected()).length };
  } finally {
    await storage.close();
  }
};

describe('spur purge', () => {
  it('counts with --dry-run, then purges what is older than --retention-days', async () => {
    const dry = captureIo();
    expect(await main(['purge', '--db', file, '--retention-days', '30', '--dry-run'], dry)).toBe(0);
    expect(dry.stdout).toMatch(/^spur purge: would purge 2 events and 1 rejected event from before \S+ \(30 days\)\n$/);
    expect(await count()).toEqual({ events: 3, rejected: 1 });

    const io = captureIo();
    expect(await main(['purge', '--db', file, '--retention-days', '30'], io)).toBe(0);
    expect(io.stdout).toMatch(/purged 2 events and 1 rejected event/);
    expect(await count()).toEqual({ events: 1, rejected: 0 });
  });

  it('reads SPUR_DB and SPUR_RETENTION_DAYS', async () => {
    const io = captureIo({ SPUR_DB: file, SPUR_RETENTION_DAYS: '99' });
    expect(await main(['purge'], io)).toBe(0);
    expect(io.stdout).toMatch(/purged 1 event and 1 rejected event/);
  });

  it('exits 2 without a retention period or with a bad one, and for a missing database (creating none)', async () => {
    for (const argv of [['purge', '--db', file], ['purge', '--db', file, '--retention-days', '0'], ['purge', '--retention-days', '1w']]) {
      const io = captureIo();
      expect(await main(argv, io)).toBe(2);
      expect(io.stderr).toMatch(/retention/);
    }
    expect(await count()).toEqual({ events: 3, rejected: 1 });
    const missing = join(dir, 'nope.db');
    const io = captureIo();
    expect(await main(['purge', '--db', missing, '--retention-days', '30'], io)).toBe(2);
    expect(io.stderr).toContain(`spur purge: no database at ${missing}: set SPUR_DB or --db`);
    expect(existsSync(missing)).toBe(false);
  });
});
