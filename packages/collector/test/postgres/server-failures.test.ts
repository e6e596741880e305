// The PostgreSQL server itself failing, on a server of this file's own: stopped, crashed, out of
// disk. Requests meanwhile are answered 503 with Retry-After by the collector's error middleware,
// and the same pool works again as soon as the server is back, without a restart of anything.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';
import request from 'supertest';
import { errorMiddleware, RETRY_AFTER_SECONDS, StorageUnavailableError } from '../../src/errors';
import { silentLogger } from '../../src/log';
import { createRejectionLog } from '../../src/rejections';
import { connectPostgres, type PostgresConnection } from '../../src/storage/postgres/connection';
import { describePostgres, useOwnServer } from './server';

/** A route that writes one row, behind the collector's error middleware (which answers 503s). */
function noteApp(pool: PostgresConnection, failures: StorageUnavailableError[]) {
  const app = express();
  app.post('/notes', async (_req, res) => {
    await pool.query('INSERT INTO notes (v) VALUES ($1)', ['a note']);
    res.json({ ok: true });
  });
  app.use(
    errorMiddleware({
      logger: silentLogger,
      rejections: createRejectionLog({ logger: silentLogger }),
      // Records what the middleware reports as storage failures (the collector logs them).
      storage: { failed: (err) => void failures.push(err) },
    }),
  );
  return app;
}

async function expect503(app: express.Express) {
  const res = await request(app).post('/notes');
  expect(res.status).toBe(503);
  expect(res.headers['retry-after']).toBe(String(RETRY_AFTER_SECONDS));
  expect(res.body).toEqual({ error: { code: 'storage_unavailable', message: 'storage is unavailable, retry later' } });
}

describePostgres('the PostgreSQL server failing', () => {
  const own = useOwnServer();
  let pool: PostgresConnection;
  let failures: StorageUnavailableError[];
  let app: express.Express;
  beforeAll(async () => {
    pool = connectPostgres({ url: own.cluster.url(), connectionTimeoutMs: 2_000 });
    await pool.query('CREATE TABLE notes (v text)');
  });
  beforeEach(() => {
    failures = [];
    app = noteApp(pool, failures);
  });
  afterAll(() => pool?.close());

  it.each(['fast', 'immediate'] as const)(
    'answers 503 with Retry-After while it is down (stopped %s), and the same pool recovers when it is back',
    async (mode) => {
      expect((await request(app).post('/notes')).status).toBe(200);
      // Sessions open in the pool when the server goes: the pool must drop them.
      await Promise.all([pool.query('SELECT pg_sleep(0.05)'), pool.query('SELECT pg_sleep(0.05)')]);

      await own.cluster.stop(mode);
      await expect503(app);
      await expect503(app);
      expect(failures.map((f) => f.reason)).toEqual(['unavailable', 'unavailable']);

      await own.cluster.start();
      // The first request after the start is stored: nothing stale is handed out.
      expect((await request(app).post('/notes')).status).toBe(200);
      await Promise.all(Array.from({ length: 4 }, async () => expect((await request(app).post('/notes')).status).toBe(200)));
    },
    60_000,
  );

  it('fails a statement running when the server shuts down with 503, not a hang', async () => {
    const running = request(app)
      .post('/notes')
      .then((r) => r);
    const slow = pool.query('SELECT pg_sleep(20)').then(
      () => null,
      (err: unknown) => err,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    await own.cluster.stop('fast');
    expect(await slow).toMatchObject({ reason: 'unavailable' });
    expect([200, 503]).toContain((await running).status);
    await own.cluster.start();
    expect((await request(app).post('/notes')).status).toBe(200);
  }, 60_000);

  // A tablespace on a tiny tmpfs: the server runs out of disk for real. Mounting needs root.
  const mountable = (() => {
    const dir = mkdtempSync('/tmp/spur-probe-');
    try {
      const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { encoding: 'utf8' });
      if (r.status !== 0) return `cannot mount a tmpfs: ${(r.stderr || r.error?.message || '').trim()}`;
      spawnSync('umount', [dir]);
      return null;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  })();
  if (mountable) console.warn(`server-failures: skipping the real disk-full test: ${mountable}`);

  (mountable ? it.skip : it)('answers 503 for a server out of disk space (53100, disk_full)', async () => {
    const dir = join(own.cluster.dir, 'full');
    const owner = statSync(own.cluster.dir); // the server's user owns its folder
    spawnSync('mkdir', [dir]);
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=1m,uid=${owner.uid},gid=${owner.gid},mode=0700`, 'tmpfs', dir]);
    expect(mount.status).toBe(0);
    try {
      await pool.query(`CREATE TABLESPACE full_disk LOCATION '${dir}'`);
      await pool.query('CREATE TABLE full_notes (v text) TABLESPACE full_disk');
      await pool.query('ALTER TABLE full_notes ALTER COLUMN v SET STORAGE PLAIN');
      const full = await pool.query("INSERT INTO full_notes SELECT repeat('x', 1000) FROM generate_series(1, 4000)").catch((e: unknown) => e);
      expect(full).toBeInstanceOf(StorageUnavailableError);
      expect(full).toMatchObject({ reason: 'disk_full', code: '53100' });

      const fullApp = express();
      fullApp.post('/notes', async (_req, res) => {
        await pool.query("INSERT INTO full_notes SELECT repeat('y', 1000) FROM generate_series(1, 4000)");
        res.json({ ok: true });
      });
      fullApp.use(errorMiddleware({ logger: silentLogger, rejections: createRejectionLog({ logger: silentLogger }), storage: { failed: (err) => void failures.push(err) } }));
      await expect503(fullApp);
      expect(failures.map((f) => f.reason)).toEqual(['disk_full']);
      // The rest of the database, on its own disk, still takes writes.
      expect((await request(app).post('/notes')).status).toBe(200);
    } finally {
      await pool.query('DROP TABLE IF EXISTS full_notes').catch(() => undefined);
      await pool.query('DROP TABLESPACE IF EXISTS full_disk').catch(() => undefined);
      spawnSync('umount', ['-l', dir]);
    }
  }, 60_000);
});
