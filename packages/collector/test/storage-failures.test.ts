// Storage failures provoked for real where the machine allows it (a full tmpfs, an immutable
// file, a read-only bind mount; these need root), and through SQLite's own limits everywhere
// (max_page_count, read-only open mode, a second connection holding the write lock). In every
// case: 503 with Retry-After, never a 2xx for an event that was not stored, /readyz names it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Express } from 'express';
import request from 'supertest';
import { createStore, openSqliteStorage, type Store } from '../src';
import { checkFreeSpace } from '../src/storage/sqlite/failures';
import { WRITE_KEY, track, useFixtures } from './helpers';

const fx = useFixtures();

/** Runs a command; null when it succeeded, else why not. */
function run(cmd: string, ...args: string[]): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) return r.error.message;
  return r.status === 0 ? null : r.stderr.trim() || `${cmd} exited with ${r.status}`;
}
const must = (cmd: string, ...args: string[]) => {
  const failed = run(cmd, ...args);
  if (failed) throw new Error(`${cmd} ${args.join(' ')}: ${failed}`);
};

// What this machine permits, probed once; a skipped test says why.
function probe(what: string, attempt: (dir: string) => string | null): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'spur-probe-'));
  try {
    const failed = attempt(dir);
    if (failed) console.warn(`storage-failures: skipping the real ${what} test: ${failed}`);
    return failed === null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const canMountTmpfs = probe('disk-full (tmpfs)', (dir) => run('mount', '-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir) ?? run('umount', dir));
const canChattr = probe('immutable-file (chattr +i)', (dir) => {
  writeFileSync(join(dir, 'f'), '');
  return run('chattr', '+i', join(dir, 'f')) ?? run('chattr', '-i', join(dir, 'f'));
});
const canBindReadOnly = probe('read-only bind mount', (dir) => {
  mkdirSync(join(dir, 'a'));
  mkdirSync(join(dir, 'b'));
  const failed = run('mount', '--bind', join(dir, 'a'), join(dir, 'b'));
  if (failed) return failed;
  return run('mount', '-o', 'remount,bind,ro', join(dir, 'b')) ?? run('umount', join(dir, 'b'));
});

interface Outcome {
  status: number;
  ids: string[];
  retryAfter?: string;
}

let batchNo = 0;
/** Posts one batch of `size` events of about 1.5 KB each. */
async function postBatch(app: Express, size = 20, ids?: string[]): Promise<Outcome> {
  batchNo += 1;
  const messageIds = ids ?? Array.from({ length: size }, (_, i) => `fail-${process.pid}-${batchNo}-${i}`);
  const batch = messageIds.map((messageId) => track({ messageId, properties: { blob: 'y'.repeat(1500) } }));
  const res = await request(app).post('/v1/batch').send({ writeKey: WRITE_KEY, batch });
  if (res.status === 200) expect(res.body).toMatchObject({ accepted: messageIds.length, rejected: [] });
  return { status: res.status, ids: messageIds, retryAfter: res.headers['retry-after'] };
}

/** Posts batches until one is refused; returns every outcome (the last is the refusal). */
async function fillUntilRefused(app: Express, limit = 2000): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (let i = 0; i < limit; i++) {
    const outcome = await postBatch(app);
    outcomes.push(outcome);
    if (outcome.status !== 200) return outcomes;
  }
  throw new Error(`still accepting after ${limit} batches`);
}

/** message_id of every stored event, read by a connection of its own. */
function storedIds(file: string): Set<string> {
  const db = new Database(file, { readonly: true });
  try {
    return new Set(db.prepare('SELECT message_id FROM events').pluck().all() as string[]);
  } finally {
    db.close();
  }
}

/** Every 2xx'd event is stored, and no event of a refused request is. */
function expectAcknowledgedExactly(file: string, outcomes: Outcome[]): void {
  const stored = storedIds(file);
  for (const o of outcomes) {
    for (const id of o.ids) expect([id, o.status, stored.has(id)]).toEqual([id, o.status, o.status === 200]);
  }
}

function expect503(outcome: Outcome): void {
  expect(outcome.status).toBe(503);
  expect(outcome.retryAfter).toBe('5');
}

async function readyz(app: Express) {
  const res = await request(app).get('/readyz');
  return { status: res.status, body: res.body, retryAfter: res.headers['retry-after'] };
}

async function expectNotReady(app: Express, reason: string): Promise<void> {
  const r = await readyz(app);
  expect(r).toMatchObject({ status: 503, retryAfter: '5', body: { error: { code: 'not_ready', reason } } });
  expect(r.body.error.message).toEqual(expect.any(String));
}

async function collectorOn(storage: Store) {
  fx.cleanup(() => storage.close());
  return (await fx.collector({ storage })).app;
}

describe('disk full', () => {
  (canMountTmpfs ? it : it.skip)(
    'on a real full file system (4 MiB tmpfs): 503 with Retry-After, nothing unstored acknowledged, /readyz disk_full, recovery when space returns',
    async () => {
      const dir = fx.tempDir();
      must('mount', '-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir);
      fx.cleanup(() => must('umount', dir)); // runs after the storage below is closed
      const file = join(dir, 'spur.db');
      const app = await collectorOn(createStore(await openSqliteStorage(file)));

      const outcomes = await fillUntilRefused(app);
      const refused = outcomes[outcomes.length - 1];
      expect503(refused);
      expect(outcomes.length).toBeGreaterThan(10);
      expectAcknowledgedExactly(file, outcomes);
      await expectNotReady(app, 'disk_full');
      // Independently of the remembered failure, free space alone says so.
      await expect(checkFreeSpace(dir)).rejects.toMatchObject({ reason: 'disk_full' });

      must('mount', '-o', 'remount,size=16m', dir);
      const retried = await postBatch(app, 20, refused.ids); // the client's retry, same messageIds
      expect(retried.status).toBe(200);
      expect((await readyz(app)).status).toBe(200);
      expectAcknowledgedExactly(file, [...outcomes.slice(0, -1), retried]);
    },
  );

  it('past the configured size cap (SQLite max_page_count, SQLITE_FULL): the same answers', async () => {
    const file = fx.dbFile();
    const app = await collectorOn(createStore(await openSqliteStorage(file, { maxSizeBytes: 1024 * 1024 })));
    expect((await readyz(app)).status).toBe(200);
    const outcomes = await fillUntilRefused(app);
    expect503(outcomes[outcomes.length - 1]);
    expect(outcomes.length).toBeGreaterThan(5);
    expectAcknowledgedExactly(file, outcomes);
    // The probe's one-row write still fits; /readyz reports the append that failed.
    await expectNotReady(app, 'disk_full');
  });
});

describe('read-only database', () => {
  /** A database with the current schema, closed again. */
  async function existingDatabase(file: string): Promise<void> {
    const storage = createStore(await openSqliteStorage(file));
    await storage.append({ writeKey: WRITE_KEY, events: [], rejected: [] });
    await storage.close();
  }

  async function expectReadOnly(app: Express, file: string, reason = 'read_only'): Promise<void> {
    await expectNotReady(app, reason); // the probe, before any append has failed
    const refused = await postBatch(app, 3);
    expect503(refused);
    await expectNotReady(app, reason);
    expectAcknowledgedExactly(file, [refused]);
  }

  (canChattr ? it : it.skip)('an immutable database file (chattr +i): 503, /readyz read_only', async () => {
    const file = fx.dbFile();
    await existingDatabase(file);
    must('chattr', '+i', file);
    fx.cleanup(() => must('chattr', '-i', file));
    // SQLite cannot open the file for writing and falls back to read-only, as on a read-only disk.
    const app = await collectorOn(createStore(await openSqliteStorage(file)));
    await expectReadOnly(app, file);
  });

  (canBindReadOnly ? it : it.skip)('a database reached through a read-only bind mount: 503, /readyz read_only', async () => {
    const dir = fx.tempDir();
    const real = join(dir, 'rw');
    const readOnly = join(dir, 'ro');
    mkdirSync(real);
    mkdirSync(readOnly);
    await existingDatabase(join(real, 'spur.db'));
    // A writer elsewhere keeps the WAL index (-shm) in place, which a read-only reader needs.
    const writer = new Database(join(real, 'spur.db'));
    writer.prepare('SELECT count(*) FROM events').get();
    must('mount', '--bind', real, readOnly);
    must('mount', '-o', 'remount,bind,ro', readOnly);
    // SQLite closes a file only when every connection of the process to it is closed.
    fx.cleanup(() => must('umount', readOnly));
    fx.cleanup(() => writer.close());
    const app = await collectorOn(createStore(await openSqliteStorage(join(readOnly, 'spur.db'))));
    await expectReadOnly(app, join(real, 'spur.db'));
  });

  it("opened in SQLite's read-only mode (the same SQLITE_READONLY path, on any machine)", async () => {
    const file = fx.dbFile();
    await existingDatabase(file);
    const app = await collectorOn(createStore(await openSqliteStorage(file, { readonly: true })));
    await expectReadOnly(app, file);
  });

  (canChattr ? it : it.skip)('a database file made immutable while open: 503, /readyz io_error', async () => {
    const file = fx.dbFile();
    const app = await collectorOn(createStore(await openSqliteStorage(file)));
    const before = await postBatch(app, 3);
    expect(before.status).toBe(200);
    // The kernel refuses the writes (EPERM), which SQLite reports as an I/O error, not read-only.
    must('chattr', '+i', file, `${file}-wal`);
    fx.cleanup(() => must('chattr', '-i', file, `${file}-wal`));
    const refused = await postBatch(app, 3);
    expect503(refused);
    await expectNotReady(app, 'io_error');
    expectAcknowledgedExactly(file, [before, refused]);
  });
});

describe('locked database', () => {
  it('another connection holding the write lock past busy_timeout: 503, /readyz locked, then recovery', async () => {
    const file = fx.dbFile();
    const app = await collectorOn(createStore(await openSqliteStorage(file, { busyTimeoutMs: 50 })));
    const locker = new Database(file);
    fx.cleanup(() => locker.close());
    locker.exec('BEGIN IMMEDIATE');
    await expectNotReady(app, 'locked'); // the probe, before any append has failed
    const refused = await postBatch(app, 3);
    expect503(refused);
    await expectNotReady(app, 'locked');
    locker.exec('ROLLBACK');
    const retried = await postBatch(app, 3, refused.ids);
    expect(retried.status).toBe(200);
    expect((await readyz(app)).status).toBe(200);
    expectAcknowledgedExactly(file, [retried]);
  });
});
