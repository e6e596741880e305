// `spur migrate`: an SQLite database made by the collector copied into a real PostgreSQL,
// exactly, once, resumed after a SIGKILL of the real command. The killed run uses the built
// CLI (`npx tsc -b` first; `npm test` does).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { addAccount, copySqliteToPostgres, createCollector, createStore, openSqliteStorage, openStorage, subjectAccess, subjectErasure } from '@spur/collector';
import { main } from '@spur/cli';
import { describePostgres } from '../../collector/test/postgres/server';
import { BIN, exited } from '../../collector/test/spur-process';
import { captureIo } from './io';
import { startReceiver, verifies } from '../../collector/test/webhooks/receiver';
import { webhookOp } from '../../collector/src/webhooks/programs';
import { counts, dumpPostgres, dumpSqlite, makeSource, SOURCE_PASSWORD, type SourceHooks } from './migrate-data';

let dir: string;
let source: string;
let hooks: SourceHooks;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spur-migrate-'));
  source = join(dir, 'spur.db');
  hooks = await makeSource(source, 600);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const query = async <T>(url: string, text: string): Promise<T[]> => {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
};

/**
 * A collector on the PostgreSQL database `url` listening on loopback, for `fn`: signs in over
 * HTTP (the dashboard's form) and reads with the session.
 */
async function onPostgresCollector<T>(
  url: string,
  fn: (http: { signIn(name: string, password: string): Promise<string | null>; get(path: string, cookie: string): Promise<Response> }) => Promise<T>,
  config: Partial<Parameters<typeof createCollector>[0]> = {},
): Promise<T> {
  const storage = createStore(await openStorage({ db: '', databaseUrl: url }));
  const app = createCollector({ storage, writeKeys: { shop: [] }, adminToken: 'a'.repeat(32), analytics: 'off', ...config });
  const server = createServer(app).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    return await fn({
      // The session cookie when the form signs in (303), else null.
      async signIn(name, password) {
        const res = await fetch(`${base}/dashboard/login`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ username: name, password }) });
        return res.status === 303 ? res.headers.getSetCookie()[0].split(';')[0] : null;
      },
      get: (path, cookie) => fetch(`${base}${path}`, { headers: { Cookie: cookie } }),
    });
  } finally {
    await new Promise((r) => server.close(r));
    await app.close();
    await storage.close();
  }
}

describePostgres('spur migrate', (pg) => {
  it('copies every table exactly (rows, ids, salt), and a second run copies nothing', async () => {
    const expected = dumpSqlite(source);
    // The source has something of each kind.
    for (const [table, n] of Object.entries(counts(expected))) expect([table, n > 0]).toEqual([table, true]);

    const io = captureIo();
    expect(await main(['migrate', '--from', source, '--to', pg.url], io)).toBe(0);
    expect(await dumpPostgres(pg.url)).toEqual(expected);
    // The lease a process of the SQLite collector held is not copied.
    expect(await query(pg.url, 'SELECT count(*)::int AS n FROM webhook_outbox WHERE lease_until IS NOT NULL')).toEqual([{ n: 0 }]);
    expect(io.stdout).toMatch(new RegExp(`events +${expected.events.length.toLocaleString('en')} +0\\n`));
    expect(io.stdout).toMatch(new RegExp(`webhook_attempts +${expected.webhook_attempts.length} +0\\n`));
    expect(io.stdout).toMatch(/done in/);

    const again = captureIo({ SPUR_DB: source, SPUR_DATABASE_URL: pg.url });
    expect(await main(['migrate'], again)).toBe(0);
    expect(again.stdout).toMatch(/went on with an earlier copy/);
    expect(again.stdout).toMatch(new RegExp(`events +0 +${expected.events.length.toLocaleString('en')}\\n`));
    expect(again.stdout).toMatch(/nothing to copy/);
    for (const table of ['webhook_endpoints', 'webhook_outbox', 'webhook_attempts']) {
      expect(again.stdout).toMatch(new RegExp(`${table} +0 +${expected[table].length}\\n`));
    }
    expect(await dumpPostgres(pg.url)).toEqual(expected);

    // The collector on PostgreSQL finds a subject's rejected events by their keyed terms: the salt came along.
    const storage = createStore(await openStorage({ db: '', databaseUrl: pg.url }));
    try {
      const access = await subjectAccess(storage, 'user-10');
      let text = '';
      for await (const chunk of access.chunks) text += chunk;
      expect(text).toContain('v10@shop.example');
      // The suppression holds: an event of the erased customer is kept out.
      const late = await storage.append({ writeKey: 'shop', events: [{ type: 'track', event: 'X', messageId: 'later', userId: 'user-3', timestamp: '2026-11-02T00:00:00.000Z', originalTimestamp: '2026-11-02T00:00:00.000Z', receivedAt: new Date().toISOString() }], rejected: [] });
      expect(late.suppressed).toBe(1);
    } finally {
      await storage.close();
    }

    // The accounts came with their password hashes: the password set on SQLite signs in on
    // PostgreSQL, over HTTP, and the saved funnels are there; sessions were not copied.
    expect(expected.accounts.map((r) => r[0])).toEqual(['ada', 'vic']);
    expect(await query(pg.url, 'SELECT count(*)::int AS n FROM account_sessions')).toEqual([{ n: 0 }]);
    expect(await query(pg.url, 'SELECT count(*)::int AS n FROM sign_in_failures')).toEqual([{ n: 0 }]);
    await onPostgresCollector(pg.url, async (http) => {
      expect(await http.signIn('ada', 'not the password')).toBeNull();
      const cookie = await http.signIn('vic', SOURCE_PASSWORD);
      expect(cookie).toMatch(/^spur_session=/);
      const session = await http.get('/dashboard/session', cookie!);
      expect(await session.json()).toMatchObject({ account: 'vic', role: 'viewer' });
      const funnels = (await (await http.get('/v1/funnels', cookie!)).json()) as { funnels: { name: string; steps: string[]; createdBy: string }[] };
      expect(funnels.funnels.map(({ name, steps, createdBy }) => ({ name, steps, createdBy }))).toEqual([
        { name: 'Browse', steps: ['Product Viewed', 'Product Added'], createdBy: 'vic' },
        { name: 'Checkout', steps: ['Product Added', 'Order Completed'], createdBy: 'ada' },
      ]);
    });
  }, 60_000);

  it('leaves an account or saved funnel the target has under the same name as it is, and names it', async () => {
    const url = await pg.fresh();
    // Made on the target before the copy: an account ada with a password of its own, a funnel.
    const target = createStore(await openStorage({ db: '', databaseUrl: url }));
    await addAccount(target.accounts, { name: 'ada', role: 'viewer', password: 'set on the postgres side', now: Date.now() });
    await target.accounts.saveFunnel({ name: 'Checkout', definition: JSON.stringify({ steps: ['Cart Viewed'] }), createdBy: 'ada', createdAt: new Date().toISOString() });
    // And an endpoint under the id of the source's first, with a secret of its own.
    const ownSecret = 'whsec_' + Buffer.alloc(32, 7).toString('base64');
    const own = { id: hooks.endpointId, url: 'http://127.0.0.1:9/elsewhere', events: ['order.completed'], secret: ownSecret, previousSecret: null, previousUntil: null, enabled: true, createdAt: new Date().toISOString(), disabledReason: null };
    await webhookOp(target, { op: 'add', row: own });
    await target.close();
    const expected = dumpSqlite(source);

    for (const run of [1, 2]) {
      const io = captureIo();
      expect([run, await main(['migrate', '--from', source, '--to', url], io)]).toEqual([run, 0]);
      expect(io.stdout).toMatch(/accounts: 1 left as the target has them \(another row of the same name there\): ada\n/);
      expect(io.stdout).toMatch(/saved_funnels: 1 left as the target has them \(another row of the same name there\): Checkout\n/);
      expect(io.stderr).toMatch(/spur migrate: accounts ada: the target has another row of the same name, left as it is/);
      // vic and Browse go over once: the first run copies them, the second finds them there.
      expect(io.stdout).toMatch(run === 1 ? /accounts +1 +0\n/ : /accounts +0 +1\n/);
      expect(io.stdout).toMatch(run === 1 ? /saved_funnels +1 +0\n/ : /saved_funnels +0 +1\n/);
      expect(io.stdout).toContain(`webhook_endpoints: 1 left as the target has them (another row of the same id there): ${hooks.endpointId}\n`);
      expect(io.stderr).toContain(`spur migrate: webhook_endpoints ${hooks.endpointId}: the target has another row of the same id, left as it is`);
      expect(io.stdout).toMatch(run === 1 ? /webhook_endpoints +1 +0\n/ : /webhook_endpoints +0 +1\n/);
    }
    const dump = await dumpPostgres(url);
    expect(dump.events).toEqual(expected.events);
    expect(dump.accounts.map((r) => [r[0], r[1]])).toEqual([['ada', 'viewer'], ['vic', 'viewer']]);
    expect(dump.accounts[1]).toEqual(expected.accounts[1]);
    // The target's endpoint keeps its own secret and address; the other one came over.
    expect(dump.webhook_endpoints.map((r) => [r[0], r[1], r[3]])).toEqual(
      expected.webhook_endpoints.map((r) => (r[0] === hooks.endpointId ? [own.id, own.url, ownSecret] : [r[0], r[1], r[3]])),
    );
    expect(dump.saved_funnels.map((r) => [r[0], r[1]])).toEqual([
      ['Browse', expected.saved_funnels[0][1]],
      ['Checkout', JSON.stringify({ steps: ['Cart Viewed'] })],
    ]);
    await onPostgresCollector(url, async (http) => {
      expect(await http.signIn('ada', SOURCE_PASSWORD)).toBeNull();
      expect(await http.signIn('ada', 'set on the postgres side')).toMatch(/^spur_session=/);
    });
  }, 60_000);

  it('hands the pending webhook deliveries to a collector on PostgreSQL: delivered once, same webhook-id, signatures verify', async () => {
    const receiver = await startReceiver();
    try {
      const file = join(dir, 'hooks.db');
      const made = await makeSource(file, 20, receiver.url);
      const url = await pg.fresh();
      expect(await main(['migrate', '--from', file, '--to', url], captureIo())).toBe(0);
      // Allowed to reach 127.0.0.1, as SPUR_WEBHOOKS_ALLOW_PRIVATE=true allows it.
      await onPostgresCollector(url, async () => {
        const deliveries = await receiver.until(2, 30_000);
        // The retry after the 500 and the one leased on SQLite; nothing to the disabled endpoint.
        expect(deliveries.map((d) => d.id).sort()).toEqual([...made.due].sort());
        for (const d of deliveries) {
          expect(d.status).toBe(200);
          // The receivers' secrets: the current one, and the one before the rotation (its grace runs).
          expect(verifies(made.secret, d)).toBe(true);
          expect(verifies(made.oldSecret, d)).toBe(true);
        }
        let states: { message_id: string; state: string; attempts: number }[] = [];
        for (let i = 0; i < 200; i++) {
          states = await query(url, "SELECT message_id, state, attempts FROM webhook_outbox WHERE message_id IN ('" + made.due.join("', '") + "') ORDER BY message_id");
          if (states.every((r) => r.state === 'delivered')) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        expect(states.map((r) => r.state)).toEqual(['delivered', 'delivered']);
        // The retry counts on from the attempt made on SQLite.
        expect(states.map((r) => [r.message_id, r.attempts]).sort()).toEqual([[made.due[0], 2], [made.due[1], 1]].sort());
        // Once: a few more rounds of the dispatcher send nothing again.
        await new Promise((r) => setTimeout(r, 500));
        expect(receiver.deliveries).toHaveLength(2);
      }, { webhooksAllowPrivate: true, webhookIntervalMs: 50 });
    } finally {
      await receiver.close();
    }
  }, 60_000);

  it('resumes after a SIGKILL midway and ends with every row once', async () => {
    const url = await pg.fresh();
    const expected = dumpSqlite(source);
    const child = spawn(process.execPath, [BIN, 'migrate', '--from', source, '--to', url, '--chunk', '3'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    // Killed once some events are committed in the target, long before all are.
    for (;;) {
      const [{ n }] = await query<{ n: string }>(url, "SELECT count(*) AS n FROM pg_tables WHERE tablename = 'events'").then(async (r) =>
        Number(r[0].n) > 0 ? query<{ n: string }>(url, 'SELECT count(*) AS n FROM events') : [{ n: '0' }],
      );
      if (Number(n) >= 30) break;
      if (child.exitCode !== null) throw new Error(`spur migrate ended before it was killed: ${output}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGKILL');
    await exited(child);
    const partial = await dumpPostgres(url);
    expect(partial.events.length).toBeLessThan(expected.events.length);
    // What is there is a prefix, each row once.
    expect(partial.events).toEqual(expected.events.slice(0, partial.events.length));

    // The next run reads on after the last committed chunk: no event is read, nor written, twice.
    const resumed = await copySqliteToPostgres({ from: source, to: url, chunkRows: 7 });
    expect(resumed.start).toBe('resumed');
    const events = resumed.tables.find((t) => t.table === 'events')!;
    expect(events).toEqual({ table: 'events', total: expected.events.length, done: expected.events.length, read: expected.events.length - partial.events.length, copied: expected.events.length - partial.events.length, skipped: [] });
    expect(await dumpPostgres(url)).toEqual(expected);
  }, 60_000);

  it('draws its progress on a terminal and stops after the chunk under way when asked', async () => {
    const url = await pg.fresh();
    const io = captureIo({}, true);
    let stop: (() => void) | undefined;
    io.onShutdown = (handler) => {
      stop = () => handler('SIGINT');
      return () => undefined;
    };
    const expected = dumpSqlite(source);
    let draws = 0;
    const err = io.err;
    io.err = (text) => {
      err(text);
      if (text.includes('migrating: events') && ++draws === 1) stop!();
    };
    expect(await main(['migrate', '--from', source, '--to', url, '--chunk', '1'], io)).toBe(130);
    expect(io.stderr).toMatch(/\rmigrating: events [\d,]+\/[\d,]+ \(\d+%\), all tables \d+%, [\d,]+ rows\/s/);
    expect(io.stdout).toMatch(/interrupted/);
    const partial = await dumpPostgres(url);
    expect(partial.events.length).toBeGreaterThan(0);
    expect(partial.events.length).toBeLessThan(expected.events.length);
  }, 60_000);

  it('says so (exit 3) when the source took writes during the copy, and a later run copies them', async () => {
    const file = join(dir, 'busy.db');
    await makeSource(file, 200); // at a row per chunk, long enough for progress lines (every 100 ms)
    const url = await pg.fresh();
    // Another connection commits to the source while the copy reads, as a collector still running
    // on it would; synchronously, so the write is in before the copy goes on.
    const writer = new Database(file);
    const io = captureIo({}, true);
    let written = false;
    const err = io.err;
    io.err = (text) => {
      err(text);
      if (text.includes('migrating: events') && !written) {
        written = true;
        writer
          .prepare('INSERT INTO events (message_id, type, anonymous_id, user_id, timestamp, received_at, write_key, body) VALUES (?, ?, ?, NULL, ?, ?, ?, ?)')
          .run('during', 'page', 'anon-d', '2026-11-03T00:00:00.000Z', '2026-11-03T00:00:00.000Z', 'shop', JSON.stringify({ type: 'page', messageId: 'during' }));
      }
    };
    expect(await main(['migrate', '--from', file, '--to', url, '--chunk', '1'], io)).toBe(3);
    writer.close();
    expect(io.stderr).toMatch(/took writes while it was copied \(is a collector still running on it\?\)/);
    expect(await query(url, "SELECT 1 FROM events WHERE message_id = 'during'")).toEqual([]);

    const again = captureIo();
    expect(await main(['migrate', '--from', file, '--to', url], again)).toBe(0);
    expect(again.stdout).toMatch(/events +1 +/);
    expect(await dumpPostgres(url)).toEqual(dumpSqlite(file));
  }, 60_000);

  it('refuses a target that holds another database, and one whose source was erased from since', async () => {
    const other = await pg.fresh();
    const storage = createStore(await openStorage({ db: '', databaseUrl: other }));
    await storage.append({ writeKey: 'k', events: [{ type: 'page', messageId: 'theirs', anonymousId: 'a', timestamp: '2026-11-01T00:00:00.000Z', originalTimestamp: '2026-11-01T00:00:00.000Z', receivedAt: '2026-11-01T00:00:00.000Z' }], rejected: [] });
    await storage.close();
    const io = captureIo();
    expect(await main(['migrate', '--from', source, '--to', other], io)).toBe(1);
    expect(io.stderr).toMatch(/the target database holds data of another spur database \(events;/);
    expect(await query(other, 'SELECT message_id FROM events')).toEqual([{ message_id: 'theirs' }]);

    // Half a copy, then an erasure on the source: rows it deleted may be in the target.
    const copy = join(dir, 'erased.db');
    await makeSource(copy, 40);
    const url = await pg.fresh();
    const aborted = new AbortController();
    const first = await copySqliteToPostgres({ from: copy, to: url, chunkRows: 5, signal: aborted.signal, onProgress: (t) => t.some((x) => x.table === 'events' && x.done > 0) && aborted.abort() });
    expect(first.interrupted).toBe(true);
    const sqlite = createStore(await openSqliteStorage(copy));
    await subjectErasure(sqlite, 'user-6', { suppressDays: 0 });
    await sqlite.close();
    const again = captureIo();
    expect(await main(['migrate', '--from', copy, '--to', url], again)).toBe(1);
    expect(again.stderr).toMatch(/the source had an erasure or a purge since the copy began/);
  }, 60_000);

  it('refuses to run while another spur migrate copies into the same database', async () => {
    const url = await pg.fresh();
    const other = new Client({ connectionString: url });
    await other.connect();
    try {
      // The copy lock ('spur', 2), held as a second spur migrate holds it.
      await other.query('SELECT pg_advisory_lock($1, $2)', [0x73707572, 2]);
      const io = captureIo();
      expect(await main(['migrate', '--from', source, '--to', url], io)).toBe(1);
      expect(io.stderr).toMatch(/another spur migrate is copying into this database now/);
      expect(await query(url, 'SELECT count(*)::int AS n FROM events')).toEqual([{ n: 0 }]);
    } finally {
      await other.end();
    }
  });

  it('does not hand an empty target the salt of the source while a collector is connected to it', async () => {
    const url = await pg.fresh();
    // A collector on the empty database: it read its salt at start and would keep hashing with it.
    const collector = await openStorage({ db: '', databaseUrl: url });
    const io = captureIo();
    expect(await main(['migrate', '--from', source, '--to', url], io)).toBe(1);
    expect(io.stderr).toMatch(/spur collector session\(s\) are connected to the target database: stop those collectors/);
    await collector.close();
    expect(await main(['migrate', '--from', source, '--to', url], captureIo())).toBe(0);
  });

  it('leaves a database that spur purge and spur export read through SPUR_DATABASE_URL', async () => {
    const file = join(dir, 'small.db');
    const store = createStore(await openSqliteStorage(file));
    const old = new Date(Date.now() - 400 * 86_400_000).toISOString();
    await store.append({ writeKey: 'wk', events: [{ type: 'track', event: 'x', messageId: 'old-1', timestamp: old, originalTimestamp: old, receivedAt: old }], rejected: [] });
    await store.close();
    const url = await pg.fresh();
    expect(await main(['migrate', '--from', file, '--to', url], captureIo())).toBe(0);
    const purge = captureIo({ SPUR_DATABASE_URL: url });
    expect(await main(['purge', '--retention-days', '30', '--dry-run'], purge)).toBe(0);
    expect(purge.stdout).toMatch(/would purge 1 event and 0 rejected events/);
    const exported = captureIo({ SPUR_DATABASE_URL: url });
    expect(await main(['export', 'events'], exported)).toBe(0);
    expect(exported.stdout).toContain('"messageId":"old-1"');
  });

  it('names a bad URL or a missing file (exit 2), an unreachable server (exit 1), never the password', async () => {
    const cases: [string[], number, RegExp][] = [
      [['--to', 'postgres://spur:hunter22@127.0.0.1:5432/'], 2, /the target database URL \(--to \/ SPUR_DATABASE_URL\): no database name/],
      [['--to', 'mysql://spur:hunter22@127.0.0.1/spur'], 2, /the scheme must be postgres:\/\//],
      [[], 2, /no target: give --to/],
      [['--to', 'postgres://spur:hunter22@127.0.0.1:1/spur?connect_timeout=2'], 1, /spur migrate: .* -> postgres:\/\/spur:\*\*\*@127\.0\.0\.1:1\/spur.*: .*(refused|ECONNREFUSED)/i],
    ];
    for (const [args, code, message] of cases) {
      const io = captureIo();
      expect([args, await main(['migrate', '--from', source, ...args], io)]).toEqual([args, code]);
      expect(io.stderr).toMatch(message);
      expect(io.stderr + io.stdout).not.toContain('hunter22');
    }
    const io = captureIo();
    expect(await main(['migrate', '--from', join(dir, 'nope.db'), '--to', pg.url], io)).toBe(2);
    expect(io.stderr).toContain(`no database at ${join(dir, 'nope.db')}: set --from or SPUR_DB`);
  });
});

describe('spur migrate --help', () => {
  it('is listed in the help and says what it copies, how it resumes, and its exit codes', async () => {
    const top = captureIo();
    expect(await main(['--help'], top)).toBe(0);
    expect(top.stdout).toMatch(/\n {2}migrate {6}copy an SQLite database into PostgreSQL\n/);
    const io = captureIo();
    expect(await main(['migrate', '--help'], io)).toBe(0);
    expect(io.stdout).toMatch(/^Usage: spur migrate --to postgres:/);
    for (const word of ['rejected', 'identity links', 'aliases', 'erasure records', 'suppressions', 'accounts', 'saved funnels', 'webhook endpoints', 'webhook-id', 'delivery log', 'sign in again', 'goes on after the last chunk', 'SPUR_DATABASE_URL', 'SPUR_DB']) {
      expect(io.stdout).toContain(word);
    }
  });
});
