// connectPostgres against the run's real server: the session settings every connection gets,
// and real failures (provoked on the server, not simulated) mapped to the storage failure
// reasons the collector answers 503 for.
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { Client } from 'pg';
import { StorageUnavailableError } from '../../src/errors';
import { connectPostgres, type PostgresConnection, type PostgresOptions } from '../../src/storage/postgres/connection';
import { isRetryable, PostgresUnavailableError } from '../../src/storage/postgres/failures';
import { captureLogs } from '../log-capture';
import { databaseUrl, describePostgres } from './server';

/** Runs `fn` on a plain client (no settings of spur's) of the database at `url`. */
async function raw<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const nameOf = (url: string) => new URL(url).pathname.slice(1);

async function failure(promise: Promise<unknown>): Promise<PostgresUnavailableError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PostgresUnavailableError);
  expect(err).toBeInstanceOf(StorageUnavailableError); // what the collector answers 503 for
  return err as PostgresUnavailableError;
}

describePostgres('connectPostgres', (db) => {
  const opened: PostgresConnection[] = [];
  const open = (options: Partial<PostgresOptions> = {}) => {
    const connection = connectPostgres({ url: db.url, ...options });
    opened.push(connection);
    return connection;
  };
  afterEach(async () => {
    for (const c of opened.splice(0)) await c.close();
  });

  it('runs every session with synchronous_commit on, also when the database defaults to off', async () => {
    const url = await db.fresh();
    await raw(db.url, (c) => c.query(`ALTER DATABASE ${nameOf(url)} SET synchronous_commit = off`));
    // A session without spur's settings gets the database's default...
    expect((await raw(url, (c) => c.query('SHOW synchronous_commit'))).rows[0].synchronous_commit).toBe('off');
    // ...every session of the pool says on, the first and the ones opened alongside.
    const pool = open({ url });
    const shown = await Promise.all(
      Array.from({ length: 4 }, () => pool.withClient(async (c) => {
        const { rows } = await c.query('SHOW synchronous_commit');
        await c.query('SELECT pg_sleep(0.05)'); // keeps this one busy, so the pool opens others
        return rows[0].synchronous_commit as string;
      })),
    );
    expect(shown).toEqual(['on', 'on', 'on', 'on']);
  });

  it('sets the statement timeout, the idle-in-transaction timeout and the application name', async () => {
    const pool = open({ statementTimeoutMs: 1500, applicationName: 'spur-test-app' });
    const { rows } = await pool.query(
      `SELECT current_setting('statement_timeout') AS st, current_setting('idle_in_transaction_session_timeout') AS idle,
              (SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()) AS app`,
    );
    expect(rows[0]).toEqual({ st: '1500ms', idle: '3s', app: 'spur-test-app' });
    const defaults = open();
    const shown = await defaults.query("SELECT current_setting('statement_timeout') AS st, current_setting('application_name') AS app");
    expect(shown.rows[0]).toEqual({ st: '30s', app: 'spur-collector' });
  });

  it('maps a statement that outlives the statement timeout to unavailable (57014)', async () => {
    const pool = open({ statementTimeoutMs: 200 });
    const err = await failure(pool.query('SELECT pg_sleep(5)'));
    expect(err).toMatchObject({ reason: 'unavailable', code: '57014', retryable: false });
    expect(err.message).toMatch(/timed out/);
    expect((await pool.query('SELECT 1 AS one')).rows[0].one).toBe(1); // the session goes on
  });

  it('maps a database that only takes reads to read_only (25006)', async () => {
    const url = await db.fresh();
    await raw(url, (c) => c.query('CREATE TABLE t (v int)'));
    await raw(db.url, (c) => c.query(`ALTER DATABASE ${nameOf(url)} SET default_transaction_read_only = on`));
    const err = await failure(open({ url }).query('INSERT INTO t VALUES (1)'));
    expect(err).toMatchObject({ reason: 'read_only', code: '25006' });
  });

  describe('as a role of its own', () => {
    const role = `spur_limited_${randomBytes(4).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    const roleUrl = () => {
      const u = new URL(db.url);
      u.username = role;
      u.password = password;
      return u.toString();
    };
    beforeAll(() => raw(db.url, (c) => c.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}' CONNECTION LIMIT 1`)));
    afterAll(() => raw(db.url, (c) => c.query(`DROP ROLE IF EXISTS ${role}`)));

    it('maps too many connections to unavailable (53300)', async () => {
      const pool = open({ url: roleUrl() });
      // The role's one connection is taken while a second is asked for.
      const err = await pool.withClient(() => failure(pool.query('SELECT 1')));
      expect(err).toMatchObject({ reason: 'unavailable', code: '53300' });
      expect(err.message).toMatch(/too many connections/);
      expect((await pool.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    });

    it('maps a wrong password to unavailable (28P01), and neither the error nor the log shows it', async () => {
      const logs = captureLogs('debug');
      const u = new URL(roleUrl());
      u.password = 'not-the-password-4711';
      const pool = open({ url: u.toString(), logger: logs.logger });
      const err = await failure(pool.query('SELECT 1'));
      expect(err).toMatchObject({ reason: 'unavailable', code: '28P01' });
      expect(`${err.message} ${String(err.stack)} ${JSON.stringify(err)}`).not.toContain('not-the-password-4711');
      expect(pool.target).toBe(u.toString().replace('not-the-password-4711', '***'));
      expect(logs.raw.join('')).not.toContain('not-the-password-4711');
    });
  });

  it('maps a missing database to unavailable (3D000)', async () => {
    const err = await failure(open({ url: databaseUrl(db.url, 'spur_no_such_database') }).query('SELECT 1'));
    expect(err).toMatchObject({ reason: 'unavailable', code: '3D000' });
  });

  it('maps a serialization failure to a retryable locked (40001); transaction() runs it again', async () => {
    const pool = open();
    await pool.query('CREATE TABLE shifts (doctor text, on_call boolean)');
    await pool.query("INSERT INTO shifts VALUES ('alice', true), ('bob', true)");
    // Two transactions each read that two doctors are on call and take one off: write skew,
    // which SERIALIZABLE refuses for one of them.
    let attempts = 0;
    let arrived = 0;
    let release!: () => void;
    const bothRead = new Promise<void>((resolve) => (release = resolve));
    const offCall = (doctor: string) =>
      pool.transaction(async (tx) => {
        attempts++;
        await tx.query('SET TRANSACTION ISOLATION LEVEL SERIALIZABLE');
        const { rows } = await tx.query('SELECT count(*)::int AS n FROM shifts WHERE on_call');
        if (++arrived === 2) release();
        if (arrived <= 2) await bothRead;
        if (rows[0].n >= 2) await tx.query('UPDATE shifts SET on_call = false WHERE doctor = $1', [doctor]);
      });
    await Promise.all([offCall('alice'), offCall('bob')]);
    expect(attempts).toBe(3); // one of them ran twice
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM shifts WHERE on_call');
    expect(rows[0].n).toBe(1);

    // Without the retry, that failure is a storage failure the client may retry.
    arrived = 0;
    let releaseAgain!: () => void;
    const bothReadAgain = new Promise<void>((resolve) => (releaseAgain = resolve));
    await pool.query('UPDATE shifts SET on_call = true');
    const single = (doctor: string) =>
      pool.transaction(async (tx) => {
        await tx.query('SET TRANSACTION ISOLATION LEVEL SERIALIZABLE');
        const { rows } = await tx.query('SELECT count(*)::int AS n FROM shifts WHERE on_call');
        if (++arrived === 2) releaseAgain();
        await bothReadAgain;
        if (rows[0].n >= 2) await tx.query('UPDATE shifts SET on_call = false WHERE doctor = $1', [doctor]);
      }, { attempts: 1 });
    const outcomes = await Promise.allSettled([single('alice'), single('bob')]);
    const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(failed).toHaveLength(1);
    expect(failed[0].reason).toMatchObject({ reason: 'locked', code: '40001', retryable: true });
  });

  it('maps a deadlock to a retryable locked (40P01)', async () => {
    const pool = open();
    await pool.query('CREATE TABLE accounts (id int PRIMARY KEY, balance int)');
    await pool.query('INSERT INTO accounts VALUES (1, 0), (2, 0)');
    let locked = 0;
    let release!: () => void;
    const bothLocked = new Promise<void>((resolve) => (release = resolve));
    const transfer = (first: number, second: number) =>
      pool.transaction(async (tx) => {
        await tx.query("SET LOCAL deadlock_timeout = '50ms'");
        await tx.query('UPDATE accounts SET balance = balance - 1 WHERE id = $1', [first]);
        if (++locked === 2) release();
        await bothLocked;
        await tx.query('UPDATE accounts SET balance = balance + 1 WHERE id = $1', [second]);
      }, { attempts: 1 });
    const outcomes = await Promise.allSettled([transfer(1, 2), transfer(2, 1)]);
    const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(failed).toHaveLength(1);
    expect(failed[0].reason).toMatchObject({ reason: 'locked', code: '40P01', retryable: true });
    expect(isRetryable(failed[0].reason)).toBe(true);
  });

  it('drops a session the server ended (57P01), idle or in use, and goes on with a new one', async () => {
    const logs = captureLogs('info');
    const pool = open({ logger: logs.logger });
    const pidOf = (q: { query: PostgresConnection['query'] }) => q.query('SELECT pg_backend_pid() AS pid').then((r) => r.rows[0].pid as number);
    const terminate = (pid: number) => raw(db.url, (c) => c.query('SELECT pg_terminate_backend($1, 5000)', [pid]));

    // Idle in the pool: the pool drops it (an 'error' that would end the process unheard).
    const idle = await pidOf(pool);
    await terminate(idle);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const lost = logs.lines().find((l) => l.msg === 'postgres connection lost');
    expect(lost).toMatchObject({ level: 'warn', reason: 'unavailable', database: pool.target });
    expect(await pidOf(pool)).not.toBe(idle);

    // Checked out between two statements: the next statement fails, the session is not reused.
    let inUse = 0;
    const err = await failure(
      pool.withClient(async (c) => {
        inUse = await pidOf(c);
        await terminate(inUse);
        await new Promise((resolve) => setTimeout(resolve, 100));
        await c.query('SELECT 1');
      }),
    );
    expect(err).toMatchObject({ reason: 'unavailable', connectionLost: true });
    expect(await pidOf(pool)).not.toBe(inUse);
  });

  it('maps a refused connection (nothing listens) to unavailable', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    const u = new URL(db.url);
    u.port = String(port);
    const err = await failure(open({ url: u.toString() }).query('SELECT 1'));
    expect(err).toMatchObject({ reason: 'unavailable', code: 'ECONNREFUSED' });
  });

  it('maps a server that never answers to unavailable after the connection timeout', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => void sockets.push(socket)); // accepts, says nothing
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const u = new URL(db.url);
      u.port = String((silent.address() as { port: number }).port);
      const started = Date.now();
      const err = await failure(open({ url: u.toString(), connectionTimeoutMs: 300 }).query('SELECT 1'));
      expect(err).toMatchObject({ reason: 'unavailable' });
      expect(err.message).toMatch(/connection timeout/);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('answers closed after close()', async () => {
    const pool = open();
    await pool.query('SELECT 1');
    await pool.close();
    await pool.close(); // idempotent
    expect(await failure(pool.query('SELECT 1'))).toMatchObject({ reason: 'closed' });
  });

  it('leaves a bug a bug: a syntax error is no storage failure', async () => {
    const err = await open().query('SELEKT 1').catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(StorageUnavailableError);
    expect(err).toMatchObject({ code: '42601' });
  });

  it('rolls a transaction back when its function throws, and reuses the session clean', async () => {
    const pool = open({ maxConnections: 1 });
    await pool.query('CREATE TABLE notes (v text)');
    await expect(
      pool.transaction(async (tx) => {
        await tx.query("INSERT INTO notes VALUES ('lost')");
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    const { rows } = await pool.query('SELECT count(*)::int AS n, now() = statement_timestamp() AS fresh FROM notes');
    expect(rows[0]).toEqual({ n: 0, fresh: true }); // no row, and not inside an old transaction
  });

  it('fails a transaction whose COMMIT rolled back (an error caught midway), never reporting it done', async () => {
    const pool = open();
    await pool.query('CREATE TABLE once (v int PRIMARY KEY)');
    await pool.query('INSERT INTO once VALUES (1)');
    await expect(
      pool.transaction(async (tx) => {
        await tx.query('INSERT INTO once VALUES (2)');
        await tx.query('INSERT INTO once VALUES (1)').catch(() => undefined); // fails, ignored
      }),
    ).rejects.toThrow(/rolled back at COMMIT/);
    expect((await pool.query('SELECT count(*)::int AS n FROM once')).rows[0].n).toBe(1);
  });
});
