// `spur migrate`: an SQLite database copied into PostgreSQL, killed (SIGKILL) twice mid-copy
// (among the events, then among the rejected events, which have no key of their own), run again
// to the end, and once more: everything is there exactly once, works there as it did (rejected
// events found by a subject's ids, suppression of an erased customer), and the last run copies
// nothing. The killed runs are the built CLI (`npx tsc -b` first; `npm test` does).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { createStore, openSqliteStorage, openStorage, type Store } from '@spur/collector';
import type { StoredEvent } from '@spur/sdk';
import { main } from '@spur/cli';
import { describePostgres } from '../../collector/test/postgres/server';
import { captureIo } from './io';

const BIN = resolve(__dirname, '../bin/spur.js');
const APPENDS = 120;
const at = (i: number) => new Date(Date.UTC(2024, 4, 1, 12, 0, 0, i)).toISOString();

/** An SQLite database with events, links, aliases, rejected events (one row per append) and an erasure. */
async function sourceDatabase(file: string): Promise<void> {
  const store = createStore(await openSqliteStorage(file));
  try {
    for (let a = 0; a < APPENDS; a++) {
      const events: StoredEvent[] = Array.from({ length: 10 }, (_, i) => ({
        type: i === 0 ? 'identify' : i === 9 && a % 10 === 0 ? 'alias' : 'track',
        event: 'Product Viewed',
        messageId: `mig-${a}-${i}`,
        anonymousId: `device-${a % 40}`,
        ...(i === 0 && { userId: `customer-${a % 30}` }),
        ...(i === 9 && a % 10 === 0 && { previousId: `customer-${a % 30}`, userId: `merged-${a}` }),
        timestamp: at(a * 10 + i),
        originalTimestamp: at(a * 10 + i),
        receivedAt: at(a * 10 + i),
      }));
      const rejected = [{ raw: JSON.stringify({ userId: `customer-${a % 30}`, type: 'nope', n: a }), reason: 'invalid type', writeKey: 'wk', receivedAt: at(a * 10) }];
      await store.append({ writeKey: 'wk', events, rejected });
    }
    await store.eraseSubject('customer-7', { at: at(5000), suppressUntil: '2099-01-01T00:00:00.000Z' });
  } finally {
    await store.close();
  }
}

/** Runs the built CLI and SIGKILLs it at the `nth` progress line of `part`; resolves with its stderr. */
function killedAt(args: string[], part: string, nth: number): Promise<string> {
  const child = spawn(process.execPath, [BIN, 'migrate', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let seen = 0;
  return new Promise((resolveRun, reject) => {
    child.stderr.on('data', (d) => {
      stderr += d;
      const lines = String(d).split('\n').filter((l) => l.startsWith(`spur migrate: ${part} `));
      seen += lines.length;
      if (seen >= nth && child.exitCode === null) child.kill('SIGKILL');
    });
    child.once('exit', (code, signal) => (signal === 'SIGKILL' ? resolveRun(stderr) : reject(new Error(`spur migrate ended (${code}) before the kill: ${stderr}`))));
  });
}

/** What a store holds, in comparable form. */
async function contents(store: Store) {
  const events: string[] = [];
  for (let after = 0; ; ) {
    const page = await store.eventPage({}, after, 1000);
    events.push(...page.map((e) => e.body));
    if (page.length < 1000) break;
    after = page[page.length - 1].seq;
  }
  const graph = await store.identityGraph();
  return {
    events: events.sort(),
    rejected: (await store.listRejected()).map((r) => JSON.stringify(r)).sort(),
    links: graph.links,
    aliases: [...graph.aliases].sort((a, b) => a.previousId.localeCompare(b.previousId)),
    erasures: await store.listErasures(),
  };
}

describePostgres('spur migrate', (db) => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'spur-migrate-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('copies everything exactly once across two SIGKILLs, then copies nothing when run again', async () => {
    const file = join(dir, 'spur.db');
    await sourceDatabase(file);
    const url = await db.fresh();
    const args = ['--from', file, '--to', url, '--chunk', '25'];
    const pg = new Client({ connectionString: url });
    await pg.connect();
    try {
      const count = async (table: string) => Number((await pg.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
      await killedAt(args, 'events', 4);
      const partial = await count('events');
      expect(partial).toBeGreaterThanOrEqual(100);
      expect(partial).toBeLessThan(APPENDS * 10);
      await killedAt(args, 'rejected events', 2);
      expect(await count('rejected_events')).toBeLessThan(APPENDS);

      const io = captureIo();
      expect(await main(['migrate', ...args], io)).toBe(0);
      expect(io.stderr).toMatch(/spur migrate: rejected events \d+ of 1\d\d/);
      expect(io.stdout).toMatch(/^spur migrate: copied /);

      const source = createStore(await openSqliteStorage(file));
      const target = createStore(await openStorage({ db: file, databaseUrl: url }));
      try {
        const [want, got] = [await contents(source), await contents(target)];
        expect(got.events).toEqual(want.events);
        expect(got.events.length).toBeGreaterThan(1000);
        expect(got.rejected).toEqual(want.rejected);
        // Rejected rows have no key of their own: as many as in the file, none copied twice.
        const file_ = new Database(file, { readonly: true });
        expect(await count('rejected_events')).toBe(file_.prepare('SELECT count(*) FROM rejected_events').pluck().get());
        expect(await count('rejected_terms')).toBe(file_.prepare('SELECT count(*) FROM rejected_terms').pluck().get());
        file_.close();
        expect(got.links).toEqual(want.links);
        expect(got.aliases).toEqual(want.aliases);
        expect(got.erasures).toEqual(want.erasures);
        // The salt came along: a subject's rejected events are found by its ids, as in SQLite.
        const subject = async (store: Store) => {
          const found = await store.findSubject('customer-3');
          if (found.status !== 'found') throw new Error(`customer-3: ${found.status}`);
          return (await store.subjectRejected(found.subject, 0)).rows.map((r) => r.raw).sort();
        };
        expect(await subject(target)).toEqual(await subject(source));
        expect((await subject(target)).length).toBeGreaterThan(0);
        // And the erased customer stays suppressed.
        const later = { type: 'track' as const, event: 'x', messageId: 'after-migrate', userId: 'customer-7', timestamp: at(9000), originalTimestamp: at(9000), receivedAt: at(9000) };
        expect(await target.append({ writeKey: 'wk', events: [later], rejected: [] })).toEqual({ stored: [false], suppressed: 1 });
      } finally {
        await Promise.all([source.close(), target.close()]);
      }
      const rows = { events: await count('events'), rejected: await count('rejected_events'), terms: await count('rejected_terms') };
      const generation = Number((await pg.query('SELECT generation FROM privacy_state')).rows[0].generation);

      const again = captureIo();
      expect(await main(['migrate', ...args], again)).toBe(0);
      expect(again.stdout).toBe('spur migrate: nothing left to copy (everything was copied before)\n');
      expect({ events: await count('events'), rejected: await count('rejected_events'), terms: await count('rejected_terms') }).toEqual(rows);
      expect(Number((await pg.query('SELECT generation FROM privacy_state')).rows[0].generation)).toBe(generation);
    } finally {
      await pg.end();
    }
  }, 120_000);

  it('refuses a PostgreSQL database that holds another spur database', async () => {
    const [first, second] = [join(dir, 'a.db'), join(dir, 'b.db')];
    for (const f of [first, second]) {
      const store = createStore(await openSqliteStorage(f));
      await store.append({ writeKey: 'wk', events: [{ type: 'track', event: 'x', messageId: `${f}-1`, timestamp: at(1), originalTimestamp: at(1), receivedAt: at(1) }], rejected: [] });
      await store.close();
    }
    const url = await db.fresh();
    expect(await main(['migrate', '--from', first, '--to', url], captureIo())).toBe(0);
    const io = captureIo();
    expect(await main(['migrate', '--from', second, '--to', url], io)).toBe(1);
    expect(io.stderr).toMatch(/already holds data of another spur database/);
  });

  it('leaves a database that spur purge and spur export read through SPUR_DATABASE_URL', async () => {
    const file = join(dir, 'small.db');
    const store = createStore(await openSqliteStorage(file));
    const old = new Date(Date.now() - 400 * 86_400_000).toISOString();
    await store.append({ writeKey: 'wk', events: [{ type: 'track', event: 'x', messageId: 'old-1', timestamp: old, originalTimestamp: old, receivedAt: old }], rejected: [] });
    await store.close();
    const url = await db.fresh();
    expect(await main(['migrate', '--from', file, '--to', url], captureIo())).toBe(0);
    const purge = captureIo({ SPUR_DATABASE_URL: url });
    expect(await main(['purge', '--retention-days', '30', '--dry-run'], purge)).toBe(0);
    expect(purge.stdout).toMatch(/would purge 1 event and 0 rejected events/);
    const exported = captureIo({ SPUR_DATABASE_URL: url });
    expect(await main(['export', 'events'], exported)).toBe(0);
    expect(exported.stdout).toContain('"messageId":"old-1"');
  });

  it('names what is missing', async () => {
    const io = captureIo();
    expect(await main(['migrate', '--from', join(dir, 'none.db')], io)).toBe(2);
    expect(io.stderr).toMatch(/no target: give --to postgres:/);
  });
});
