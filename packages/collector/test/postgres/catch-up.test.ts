// The commit-ordered catch-up cursor against a real server: transactions that commit in another
// order than they inserted, interleaved at random with reads, and never a row skipped or read twice.
import fc from 'fast-check';
import { Client } from 'pg';
import { CATCH_UP_START, eventsAfter, formatCursor, parseCursor, type CatchUpCursor, type CatchUpRow } from '../../src/storage/postgres/catch-up';
import { connectPostgres, type PostgresConnection } from '../../src/storage/postgres/connection';
import { migrate } from '../../src/storage/postgres/migrations';
import { describePostgres } from './server';

const INSERT = `INSERT INTO events (message_id, type, timestamp, received_at, write_key, body)
  VALUES ($1, 'track', '2024-05-01T12:00:00.000Z', '2024-05-01T12:00:00.000Z', 'wk', $2)`;

async function session(url: string): Promise<Client> {
  const client = new Client({ connectionString: url });
  await client.connect();
  return client;
}

/** Reads everything the cursor gives now, `limit` rows a page. */
async function readAll(pool: PostgresConnection, cursor: CatchUpCursor, limit = 3) {
  const rows: CatchUpRow[] = [];
  for (;;) {
    const page = await eventsAfter(pool, cursor, limit);
    rows.push(...page.rows);
    cursor = page.cursor;
    if (page.rows.length < limit) return { rows, ids: rows.map((r) => r.messageId), cursor };
  }
}

/** Reads until `expected` rows came, waiting for transactions elsewhere on the server to end. */
async function readUntil(pool: PostgresConnection, cursor: CatchUpCursor, expected: number) {
  const rows: CatchUpRow[] = [];
  const deadline = Date.now() + 20_000;
  while (rows.length < expected && Date.now() < deadline) {
    const page = await readAll(pool, cursor);
    rows.push(...page.rows);
    cursor = page.cursor;
    if (rows.length < expected) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { rows, ids: rows.map((r) => r.messageId), cursor };
}

describePostgres('eventsAfter', (db) => {
  let pool: PostgresConnection;
  let url: string;
  const sessions: Client[] = [];
  const open = async () => {
    const s = await session(url);
    sessions.push(s);
    return s;
  };
  beforeEach(async () => {
    url = await db.fresh();
    pool = connectPostgres({ url });
    await migrate(pool);
  });
  afterEach(async () => {
    for (const s of sessions.splice(0)) await s.end();
    await pool.close();
  });

  it('returns a row inserted first and committed last exactly once, in order, where a reader by id skips it', async () => {
    const [first, second] = [await open(), await open()];
    await first.query('BEGIN');
    await first.query(INSERT, ['early-insert-late-commit', '{}']);
    await second.query('BEGIN');
    await second.query(INSERT, ['late-insert-early-commit', '{}']);
    await second.query('COMMIT');

    // A reader by id alone: after this read its cursor is past the first row's id...
    const byId = async (after: number) => (await pool.query('SELECT id, message_id FROM events WHERE id > $1 ORDER BY id', [after])).rows;
    const naive = await byId(0);
    expect(naive.map((r) => r.message_id)).toEqual(['late-insert-early-commit']);

    // ...while the commit-ordered reader waits: the first transaction is still open.
    const before = await readAll(pool, CATCH_UP_START);
    expect(before.ids).toEqual([]);
    expect(before.cursor).toEqual(CATCH_UP_START);

    await first.query('COMMIT');
    expect((await byId(Number(naive[0].id))).map((r) => r.message_id)).toEqual([]); // skipped for good
    const after = await readUntil(pool, before.cursor, 2);
    expect(after.ids).toEqual(['early-insert-late-commit', 'late-insert-early-commit']);
    expect((await readAll(pool, after.cursor)).ids).toEqual([]);
  });

  it('orders by the inserting transaction, then by id', async () => {
    const [older, younger] = [await open(), await open()];
    await older.query('BEGIN');
    await older.query('SELECT pg_current_xact_id()'); // takes its transaction id first
    await younger.query('BEGIN');
    await younger.query(INSERT, ['younger-transaction-lower-id', '{}']);
    await older.query(INSERT, ['older-transaction-higher-id', '{}']);
    await younger.query('COMMIT');
    await older.query('COMMIT');
    const { ids } = await readUntil(pool, CATCH_UP_START, 2);
    expect(ids).toEqual(['older-transaction-higher-id', 'younger-transaction-lower-id']);
  });

  it('orders transaction ids as numbers, not as text, where they gain a digit', async () => {
    // Transactions of one row each until the transaction ids pass the next power of ten.
    const start = BigInt((await pool.query('SELECT pg_current_xact_id()::text AS x')).rows[0].x);
    const power = 10n ** BigInt(start.toString().length);
    const ids: string[] = [];
    for (let i = 0; BigInt((await pool.query('SELECT pg_current_xact_id()::text AS x')).rows[0].x) < power + 3n; i++) {
      await pool.query(INSERT, [`digit-${i}`, '{}']);
      ids.push(`digit-${i}`);
    }
    expect(ids.length).toBeGreaterThan(3);
    const { ids: read } = await readUntil(pool, CATCH_UP_START, ids.length);
    expect(read).toEqual(ids);
  }, 60_000);

  it('gives every committed row exactly once, in (xid, id) order, over random interleavings', async () => {
    type Op =
      | { kind: 'insert'; s: number; rows: number }
      | { kind: 'xid'; s: number }
      | { kind: 'commit'; s: number }
      | { kind: 'rollback'; s: number }
      | { kind: 'read'; limit: number };
    const s = fc.integer({ min: 0, max: 3 });
    const op: fc.Arbitrary<Op> = fc.oneof(
      { arbitrary: fc.record({ kind: fc.constant('insert' as const), s, rows: fc.integer({ min: 1, max: 3 }) }), weight: 4 },
      { arbitrary: fc.record({ kind: fc.constant('xid' as const), s }), weight: 1 },
      { arbitrary: fc.record({ kind: fc.constant('commit' as const), s }), weight: 2 },
      { arbitrary: fc.record({ kind: fc.constant('rollback' as const), s }), weight: 1 },
      { arbitrary: fc.record({ kind: fc.constant('read' as const), limit: fc.integer({ min: 1, max: 4 }) }), weight: 3 },
    );
    const writers = await Promise.all(Array.from({ length: 4 }, () => open()));
    // One reader across all runs, as a collector's cache reads for its whole life.
    let cursor = CATCH_UP_START;
    let last: [bigint, bigint] = [-1n, -1n];
    let run = 0;
    const take = (rows: { xid: string; id: string; messageId: string }[], seen: Set<string>, committed: Set<string>) => {
      for (const r of rows) {
        const key: [bigint, bigint] = [BigInt(r.xid), BigInt(r.id)];
        expect(key[0] > last[0] || (key[0] === last[0] && key[1] > last[1])).toBe(true); // strictly after the last
        last = key;
        expect(committed.has(r.messageId)).toBe(true); // never a row of an open or rolled back transaction
        expect(seen.has(r.messageId)).toBe(false); // never twice
        seen.add(r.messageId);
      }
    };

    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 30 }), async (ops) => {
        run++;
        const pending: string[][] = writers.map(() => []);
        const open = writers.map(() => false);
        const committed = new Set<string>();
        const seen = new Set<string>();
        let n = 0;
        const end = async (w: number, how: 'COMMIT' | 'ROLLBACK') => {
          if (!open[w]) return;
          await writers[w].query(how);
          if (how === 'COMMIT') for (const id of pending[w]) committed.add(id);
          pending[w] = [];
          open[w] = false;
        };
        for (const o of ops) {
          if (o.kind === 'read') {
            const page = await eventsAfter(pool, cursor, o.limit);
            take(page.rows, seen, committed);
            cursor = page.cursor;
            continue;
          }
          const w = writers[o.s];
          if (o.kind === 'commit' || o.kind === 'rollback') {
            await end(o.s, o.kind === 'commit' ? 'COMMIT' : 'ROLLBACK');
            continue;
          }
          if (!open[o.s]) {
            await w.query('BEGIN');
            open[o.s] = true;
          }
          if (o.kind === 'xid') await w.query('SELECT pg_current_xact_id()');
          else {
            for (let i = 0; i < o.rows; i++) {
              const id = `r${run}-w${o.s}-${n++}`;
              await w.query(INSERT, [id, '{}']);
              pending[o.s].push(id);
            }
          }
        }
        for (let w = 0; w < writers.length; w++) await end(w, 'COMMIT');
        const rest = await readUntil(pool, cursor, committed.size - seen.size);
        take(rest.rows, seen, committed);
        cursor = rest.cursor;
        expect(seen).toEqual(committed); // every committed row, none left behind
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});

describe('catch-up cursor text', () => {
  it('round-trips and refuses anything else', () => {
    const cursor = { xid: '18446744073709551615', id: '9223372036854775807' };
    expect(parseCursor(formatCursor(cursor))).toEqual(cursor);
    expect(parseCursor(formatCursor(CATCH_UP_START))).toEqual(CATCH_UP_START);
    for (const bad of ['', '1', '1.', '.1', '1.2.3', '-1.2', '1.x', ' 1.2', '1.99999999999999999999']) {
      expect(() => parseCursor(bad)).toThrow('not a catch-up cursor');
    }
  });
});
