// Retention (SPUR_RETENTION_DAYS, SPUR_REJECTED_DAYS): old events and rejected events are purged
// by the collector's daily job and by purgeExpired, on a fixed clock; analytics caches forget them.
import Database from 'better-sqlite3';
import request from 'supertest';
import type { Express } from 'express';
import { purgeExpired, startRetention, type PurgeReport } from '../../src/jobs/retention';
import { openSqliteStorage } from '../../src/storage';
import type { StoredEvent } from '@spur/sdk';
import { NOW, useFixtures } from '../helpers';
import { captureLogs } from '../log-capture';
import { describePostgres } from '../postgres/server';
import { postgresBackend, sqliteBackend, type PrivacyBackend } from './backends';
import { admin } from './shop';

const fx = useFixtures();
const DAY = 86_400_000;
const daysAgo = (days: number) => new Date(NOW - days * DAY).toISOString();

let n = 0;
function stored(fields: Partial<StoredEvent>, days: number): StoredEvent {
  n += 1;
  const t = daysAgo(days);
  return { type: 'track', event: 'Product Viewed', messageId: `r-${n}`, timestamp: t, originalTimestamp: t, receivedAt: t, ...fields } as StoredEvent;
}

/** Old history (40 days), recent history (10 days), and a rejected event of each age. */
function history() {
  return {
    writeKey: 'wk',
    events: [
      stored({ type: 'identify', anonymousId: 'A', userId: 'OLD' } as Partial<StoredEvent>, 40),
      stored({ anonymousId: 'A' }, 39),
      stored({ type: 'identify', anonymousId: 'B', userId: 'NEW' } as Partial<StoredEvent>, 10),
      stored({ anonymousId: 'B' }, 9),
      stored({ anonymousId: 'A' }, 5), // the old customer's device, back recently
    ],
    rejected: [
      { raw: '{"type":"nope"}', reason: 'old', writeKey: 'wk', receivedAt: daysAgo(31) },
      { raw: '{"type":"nope"}', reason: 'recent', writeKey: 'wk', receivedAt: daysAgo(29) },
    ],
  };
}

const customers = async (app: Express) =>
  ((await admin(app, 'get', '/v1/exports/profiles?format=json').expect(200)).body as { customerId: string; events: number }[])
    .map((r) => `${r.customerId}:${r.events}`)
    .sort();

// The purge on every backend; the job's tests below run on SQLite.
function purgeTests(backend: () => PrivacyBackend): void {
  const fx = useFixtures((file) => backend().open(file));
  it('deletes events whose time is more than N days before now, and rejected events received then', async () => {
    const storage = await fx.storage();
    await storage.append(history());
    const dry = await purgeExpired(storage, { days: 30, now: () => NOW, dryRun: true });
    expect(dry).toEqual({ events: 2, rejectedEvents: 1, before: daysAgo(30), rejectedBefore: daysAgo(30), dryRun: true });
    expect(await storage.countEvents({})).toBe(5);

    expect(await purgeExpired(storage, { days: 30, now: () => NOW })).toEqual({
      events: 2,
      rejectedEvents: 1,
      before: daysAgo(30),
      rejectedBefore: daysAgo(30),
      dryRun: false,
    });
    expect(await storage.countEvents({})).toBe(3);
    expect((await storage.listRejected()).map((r) => r.reason)).toEqual(['recent']);
    // Links stay: the old customer's device is still theirs, with what is left of it.
    expect(await storage.getProfile('A')).toMatchObject({ id: 'OLD', eventCount: 1, firstSeen: daysAgo(5) });
  });

  it('purges rejected events after their own period without touching events, and the shorter period wins', async () => {
    const storage = await fx.storage();
    await storage.append(history());
    const generation = await storage.generation();
    expect(await purgeExpired(storage, { rejectedDays: 30, now: () => NOW })).toEqual({
      events: 0,
      rejectedEvents: 1,
      before: null,
      rejectedBefore: daysAgo(30),
      dryRun: false,
    });
    expect(await storage.countEvents({})).toBe(5);
    expect((await storage.listRejected()).map((r) => r.reason)).toEqual(['recent']);
    // Rejected events are in no analytics cache: the caches need not start over.
    expect(await storage.generation()).toBe(generation);

    expect(await purgeExpired(storage, { days: 60, rejectedDays: 20, now: () => NOW, dryRun: true })).toMatchObject({ before: daysAgo(60), rejectedBefore: daysAgo(20), rejectedEvents: 1 });
    expect(await purgeExpired(storage, { days: 20, rejectedDays: 60, now: () => NOW, dryRun: true })).toMatchObject({ before: daysAgo(20), rejectedBefore: daysAgo(20) });
    // 0: no period of their own; without one for events either, nothing is looked at.
    expect(await purgeExpired(storage, { rejectedDays: 0, now: () => NOW })).toEqual({ events: 0, rejectedEvents: 0, before: null, rejectedBefore: null, dryRun: false });
    expect(await purgeExpired(storage, { days: 20, rejectedDays: 0, now: () => NOW, dryRun: true })).toMatchObject({ rejectedBefore: daysAgo(20), rejectedEvents: 1 });
  });
}

describe('purgeExpired (SQLite)', () => purgeTests(() => sqliteBackend));

describePostgres('purgeExpired (PostgreSQL)', (db) => {
  const backend = postgresBackend(db);
  purgeTests(() => backend);
});

describe('the retention job of the collector', () => {
  it('purges at start, and every analytics cache on the database forgets what went', async () => {
    const file = fx.dbFile();
    const { app, storage } = await fx.collector({ rejectedDays: 0 }, file);
    await storage.append(history());
    expect(await customers(app)).toEqual(['NEW:2', 'OLD:3']);

    let purged!: (report: PurgeReport) => void;
    const report = new Promise<PurgeReport>((resolve) => (purged = resolve));
    await fx.collector({ retentionDays: 30, rejectedDays: 0, onPurge: purged }, file);
    expect(await report).toMatchObject({ events: 2, rejectedEvents: 1, before: daysAgo(30), rejectedBefore: daysAgo(30) });
    expect(await customers(app)).toEqual(['NEW:2', 'OLD:1']);
    const events = (await request(app).get('/v1/exports/events').set('Authorization', 'Bearer admin-secret-token')).text;
    expect(events.trim().split('\n')).toHaveLength(3);
  });

  it('runs again a day later, by the clock it is given', async () => {
    const storage = await fx.storage();
    await storage.append(history());
    // Only the job's timers are fake: storage answers through real threads.
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask', 'Date', 'hrtime', 'performance'] });
    fx.cleanup(() => jest.useRealTimers());
    let clock = NOW;
    const reports: PurgeReport[] = [];
    let next!: () => void;
    let ran = new Promise<void>((resolve) => (next = resolve));
    const logs = captureLogs();
    const job = startRetention({
      storage,
      days: 30,
      now: () => clock,
      logger: logs.logger,
      onPurge: (r) => {
        reports.push(r);
        next();
      },
    });
    fx.cleanup(() => job.stop());
    jest.advanceTimersByTime(0);
    await ran;
    ran = new Promise<void>((resolve) => (next = resolve));
    clock += 2 * DAY; // the rejected event received 29 days ago is now 31 days old
    jest.advanceTimersByTime(DAY - 1);
    expect(reports).toHaveLength(1);
    jest.advanceTimersByTime(1);
    await ran;
    expect(reports.map((r) => [r.before, r.events, r.rejectedEvents])).toEqual([
      [daysAgo(30), 2, 1],
      [daysAgo(28), 0, 1],
    ]);
    // Each run is a log line too.
    expect(logs.lines().map((l) => [l.level, l.msg.split(':')[0], l.before, l.events, l.rejectedEvents])).toEqual([
      ['info', 'retention purge', daysAgo(30), 2, 1],
      ['info', 'retention purge', daysAgo(28), 0, 1],
    ]);
  });

  it('reports a failed run to its log and resolves without a report', async () => {
    const file = fx.dbFile();
    const storage = await openSqliteStorage(file, { busyTimeoutMs: 20 });
    fx.cleanup(() => storage.close());
    // Another process holds the write lock past the busy timeout.
    const other = new Database(file);
    fx.cleanup(() => other.close());
    other.exec('BEGIN IMMEDIATE');
    const logs = captureLogs();
    const job = startRetention({ storage, days: 30, now: () => NOW, logger: logs.logger });
    fx.cleanup(() => job.stop());
    await expect(job.run()).resolves.toBeUndefined();
    other.exec('ROLLBACK');
    expect(logs.lines()).toEqual([
      expect.objectContaining({ level: 'error', msg: 'retention purge failed', days: 30, error: expect.objectContaining({ reason: 'locked' }) }),
    ]);
    // A storage failure is explained by its reason; its stack is for the debug level.
    expect((logs.lines()[0].error as Record<string, unknown>).stack).toBeUndefined();
  });

  it('skips a run quietly when storage is closed (the collector is stopping)', async () => {
    const storage = await fx.storage();
    await storage.close();
    const logs = captureLogs();
    const job = startRetention({ storage, rejectedDays: 30, now: () => NOW, logger: logs.logger });
    fx.cleanup(() => job.stop());
    await expect(job.run()).resolves.toBeUndefined();
    expect(logs.lines().filter((l) => l.level !== 'debug')).toEqual([]);
  });

  it('purges rejected events after 30 days by default, without SPUR_RETENTION_DAYS, and keeps every event', async () => {
    const file = fx.dbFile();
    const storage = await fx.storage(file);
    await storage.append(history());
    let purged!: (report: PurgeReport) => void;
    const report = new Promise<PurgeReport>((resolve) => (purged = resolve));
    const { app } = await fx.collector({ storage, onPurge: purged });
    expect(await report).toEqual({ events: 0, rejectedEvents: 1, before: null, rejectedBefore: daysAgo(30), dryRun: false });
    expect((await storage.listRejected()).map((r) => r.reason)).toEqual(['recent']);
    expect(await customers(app)).toEqual(['NEW:2', 'OLD:3']);
  });
});
