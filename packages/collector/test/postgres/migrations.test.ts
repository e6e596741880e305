// Numbered migrations on a real server: each in a transaction of its own, each run once also
// when several collectors start at the same moment, a newer database refused.
import { connectPostgres, type PostgresConnection } from '../../src/storage/postgres/connection';
import { migrate, MIGRATIONS, SCHEMA_VERSION, type Migration } from '../../src/storage/postgres/migrations';
import { describePostgres } from './server';

describePostgres('migrate', (db) => {
  const opened: PostgresConnection[] = [];
  const open = (url: string) => {
    const connection = connectPostgres({ url });
    opened.push(connection);
    return connection;
  };
  afterEach(async () => {
    for (const c of opened.splice(0)) await c.close();
  });
  const versions = async (pool: PostgresConnection) =>
    (await pool.query('SELECT version FROM schema_migrations ORDER BY version')).rows.map((r) => r.version as number);

  it('creates the schema on an empty database, then has nothing left to do', async () => {
    const pool = open(await db.fresh());
    expect(await migrate(pool)).toEqual({ from: 0, to: SCHEMA_VERSION, applied: MIGRATIONS.map((m) => m.version) });
    expect(await versions(pool)).toEqual([1, 2, 3, 4, 5, 6]);
    const { rows } = await pool.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
    expect(rows.map((r) => r.tablename)).toEqual([
      'account_sessions', 'accounts', 'aliases', 'copy_progress', 'erasures', 'events', 'facts_backfill', 'health', 'identity_links',
      'privacy_state', 'rejected_events', 'rejected_terms', 'saved_funnels', 'schema_migrations', 'sign_in_failures', 'suppressions',
      'webhook_attempts', 'webhook_endpoints', 'webhook_outbox',
    ]);
    expect(await migrate(pool)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION, applied: [] });
  });

  it('gives every database a random salt of 32 bytes as hex, and generation 0', async () => {
    const salts = [];
    for (let i = 0; i < 2; i++) {
      const pool = open(await db.fresh());
      await migrate(pool);
      const { rows } = await pool.query('SELECT salt, generation FROM privacy_state');
      expect(rows).toHaveLength(1);
      expect(rows[0].salt).toMatch(/^[0-9a-f]{64}$/);
      expect(rows[0].generation).toBe('0');
      salts.push(rows[0].salt);
    }
    expect(salts[0]).not.toBe(salts[1]);
  });

  it('stamps each event with its transaction id and refuses a second row of one messageId', async () => {
    const pool = open(await db.fresh());
    await migrate(pool);
    const insert = "INSERT INTO events (message_id, type, timestamp, received_at, write_key, body) VALUES ($1, 'track', 't', 'r', 'k', '{}') ON CONFLICT (message_id) DO NOTHING RETURNING id, xid::text";
    const { xid, first, again } = await pool.transaction(async (tx) => {
      const xid = (await tx.query('SELECT pg_current_xact_id()::text AS xid')).rows[0].xid as string;
      const first = await tx.query(insert, ['m-1']);
      const again = await tx.query(insert, ['m-1']);
      return { xid, first, again };
    });
    expect(first.rows[0].xid).toBe(xid);
    expect(again.rows).toEqual([]);
  });

  it('runs each migration once when five collectors start at the same moment, and all succeed', async () => {
    const url = await db.fresh();
    const pools = Array.from({ length: 5 }, () => open(url));
    const runs = await Promise.all(pools.map((pool) => migrate(pool)));
    // Every version applied by exactly one of them; the others found it done.
    expect(runs.flatMap((r) => r.applied).sort((a, b) => a - b)).toEqual(MIGRATIONS.map((m) => m.version));
    for (const run of runs) expect(run.to).toBe(SCHEMA_VERSION);
    expect(await versions(pools[0])).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('takes turns under the advisory lock: slow migrations of five migrators each run once', async () => {
    // Each migration counts its runs and sleeps, so that without the lock the others would
    // find the version still unapplied and run it too.
    const counting: Migration[] = [
      { version: 1, name: 'counter', sql: 'CREATE TABLE runs (version int, n int); INSERT INTO runs VALUES (1, 1)' },
      ...[2, 3, 4].map((version) => ({
        version,
        name: `count ${version}`,
        sql: `SELECT pg_sleep(0.1); INSERT INTO runs VALUES (${version}, 1)`,
      })),
    ];
    const url = await db.fresh();
    const pools = Array.from({ length: 5 }, () => open(url));
    const runs = await Promise.all(pools.map((pool) => migrate(pool, { migrations: counting })));
    expect(runs.flatMap((r) => r.applied).sort()).toEqual([1, 2, 3, 4]);
    const { rows } = await pools[0].query('SELECT version, sum(n)::int AS n FROM runs GROUP BY version ORDER BY version');
    expect(rows).toEqual([1, 2, 3, 4].map((version) => ({ version, n: 1 })));
  });

  it('commits each migration on its own: a failing one leaves the earlier ones and nothing of itself', async () => {
    const steps: Migration[] = [
      { version: 1, name: 'first', sql: 'CREATE TABLE a (v int)' },
      { version: 2, name: 'second, broken', sql: 'CREATE TABLE b (v int); INSERT INTO b VALUES (1); SELECT 1 / 0' },
    ];
    const pool = open(await db.fresh());
    await expect(migrate(pool, { migrations: steps })).rejects.toThrow('schema migration 2 (second, broken) failed: division by zero');
    expect(await versions(pool)).toEqual([1]);
    const { rows } = await pool.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('a', 'b')");
    expect(rows.map((r) => r.tablename)).toEqual(['a']);
    // Fixed, it goes on from where it stopped.
    steps[1] = { version: 2, name: 'second', sql: 'CREATE TABLE b (v int)' };
    expect(await migrate(pool, { migrations: steps })).toEqual({ from: 1, to: 2, applied: [2] });
  });

  it('refuses a database of a newer collector', async () => {
    const pool = open(await db.fresh());
    await migrate(pool);
    await pool.query("INSERT INTO schema_migrations (version, name) VALUES ($1, 'from the future')", [SCHEMA_VERSION + 1]);
    await expect(migrate(pool)).rejects.toThrow(`database schema version ${SCHEMA_VERSION + 1} is newer than this collector supports (${SCHEMA_VERSION})`);
  });

  it('refuses migrations that are not numbered 1, 2, 3 …', async () => {
    const pool = open(await db.fresh());
    await expect(migrate(pool, { migrations: [{ version: 2, name: 'x', sql: 'SELECT 1' }] })).rejects.toThrow('migration 1 is numbered 2');
  });
});
