// Storage becoming unavailable and available again (storage-watch.ts), on a real SQLite store
// whose probe is made to fail and then pass.
import { Worker } from 'node:worker_threads';
import supertest from 'supertest';
import { createStore, openSqliteStorage, StorageUnavailableError, type Store } from '../../src';
import { watchStorage } from '../../src/jobs/storage-watch';
import { NOW, WRITE_KEY, basic, track, useFixtures } from '../helpers';
import { captureLogs, type LogLine } from '../log-capture';

const fx = useFixtures();
const request = { requestId: 'r-1', method: 'POST', path: '/v1/batch' };

describe('watchStorage', () => {
  it('logs the first failure, probes until storage takes writes, then logs that it is back with the failures counted', async () => {
    const real = await fx.storage();
    let broken = true;
    let probes = 0;
    const storage = {
      ...real,
      ping: async () => {
        probes++;
        if (broken) throw new StorageUnavailableError('database or disk is full', { reason: 'disk_full' });
        return real.ping(); // the real probe: a write joins a commit
      },
    };
    const logs = captureLogs();
    let clock = 1_000;
    const watch = watchStorage({ storage, logger: logs.logger, now: () => clock, probeMs: 5 });
    fx.cleanup(() => watch.stop());
    const failure = new StorageUnavailableError('database or disk is full', { reason: 'disk_full' });
    watch.failed(failure, request);
    watch.failed(failure, { ...request, requestId: 'r-2' });
    watch.failed(failure, { ...request, requestId: 'r-3' });
    expect(logs.lines()).toEqual([expect.objectContaining({ level: 'error', msg: 'storage unavailable', reason: 'disk_full', requestId: 'r-1' })]);

    while (probes < 3) await new Promise((r) => setTimeout(r, 5));
    expect(logs.lines()).toHaveLength(1);
    clock += 42_000;
    broken = false;
    while (logs.raw.length < 2) await new Promise((r) => setTimeout(r, 5));
    expect(logs.lines()[1]).toMatchObject({ level: 'info', msg: 'storage available again', downMs: 42_000, failedRequests: 3 });

    // Unavailable again: a new first failure, logged.
    watch.failed(failure, { ...request, requestId: 'r-4' });
    expect(logs.lines()[2]).toMatchObject({ msg: 'storage unavailable', requestId: 'r-4' });
  });

  it('while requests keep failing, adds a line with the count once a minute, not per request', async () => {
    const storage = await fx.storage();
    const down = { ...storage, ping: () => Promise.reject(new StorageUnavailableError('database or disk is full', { reason: 'disk_full' })) };
    const logs = captureLogs();
    let clock = 0;
    const watch = watchStorage({ storage: down, logger: logs.logger, now: () => clock, probeMs: 60_000 });
    fx.cleanup(() => watch.stop());
    const failure = new StorageUnavailableError('database or disk is full', { reason: 'disk_full' });
    // 150 s of failures, one every 100 ms.
    for (let i = 0; i < 1500; i++, clock += 100) watch.failed(failure, { ...request, requestId: `r-${i}` });
    expect(logs.lines().map((l) => [l.level, l.msg, l.failedRequests])).toEqual([
      ['error', 'storage unavailable', undefined],
      ['error', 'storage still unavailable after 60 s: 601 requests refused so far', 601],
      ['error', 'storage still unavailable after 120 s: 1201 requests refused so far', 1201],
    ]);
    expect(logs.lines()[1]).toMatchObject({ reason: 'disk_full', downMs: 60_000, code: 'storage_unavailable' });
  });

  it('does not probe a storage that was closed (the collector is shutting down)', async () => {
    const storage = await fx.storage();
    let probes = 0;
    const counted = { ...storage, ping: () => (probes++, storage.ping()) };
    const logs = captureLogs();
    const watch = watchStorage({ storage: counted, logger: logs.logger, probeMs: 5 });
    fx.cleanup(() => watch.stop());
    watch.failed(new StorageUnavailableError('storage is closed', { reason: 'closed' }), request);
    await new Promise((r) => setTimeout(r, 50));
    expect(probes).toBe(0);
    expect(logs.lines()).toEqual([expect.objectContaining({ msg: 'storage unavailable', reason: 'closed' })]);
  });
});

describe('a disk-full spell through the collector', () => {
  // Over 500 requests of 30 KB each, one after the other: about 2 s here alone, and past Jest's
  // 5 s default on this shared 2-core machine under the whole suite (the build before the jobs
  // took as long). No assertion depends on time but the injected clock's.
  jest.setTimeout(30_000);
  const stack = (l: LogLine) => JSON.stringify(l).includes('\\n    at ');
  let batchNo = 0;
  /** Posts one batch of 20 events of about 1.5 KB each; resolves to the status. */
  async function post(app: Parameters<typeof supertest>[0]): Promise<number> {
    batchNo++;
    const batch = Array.from({ length: 20 }, (_, i) => track({ messageId: `spell-${process.pid}-${batchNo}-${i}`, properties: { blob: 'y'.repeat(1500) } }));
    return (await supertest(app).post('/v1/batch').set('Authorization', basic(WRITE_KEY)).send({ batch })).status;
  }

  async function collector(storage: Store, clock: () => number) {
    fx.cleanup(() => storage.close());
    const logs = captureLogs('info');
    const { app } = await fx.collector({ storage, logger: logs.logger, now: clock });
    // The lines of the spell: not the start-up warnings, nor the analytics cache's line.
    const start = logs.raw.length;
    return { app, lines: () => logs.lines().slice(start).filter((l) => l.msg !== 'analytics ready') };
  }

  it('past the size cap (SQLITE_FULL from the writer thread): 500 refused requests make one line, then one a minute with the count, no stack', async () => {
    let clock = NOW;
    const { app, lines } = await collector(createStore(await openSqliteStorage(fx.dbFile(), { maxSizeBytes: 1024 * 1024 })), () => clock);
    let stored = 0;
    while ((await post(app)) === 200) stored++; // the first refusal starts the spell
    expect(stored).toBeGreaterThan(5);
    for (let i = 0; i < 500; i++) {
      expect(await post(app)).toBe(503);
      clock += 150; // 75 s in all
    }
    expect(lines()).toEqual([
      expect.objectContaining({ level: 'error', msg: 'storage unavailable', reason: 'disk_full', code: 'storage_unavailable', path: '/v1/batch' }),
      expect.objectContaining({ level: 'error', msg: 'storage still unavailable after 60 s: 402 requests refused so far', reason: 'disk_full', failedRequests: 402 }),
    ]);
    expect(lines().filter(stack)).toEqual([]);
  });

  it('with the writer thread gone for good: one line naming it, then the count each minute', async () => {
    // Note which Worker the storage posts to: its writer thread.
    const post0 = Worker.prototype.postMessage;
    const threads = new Set<Worker>();
    const spy = jest.spyOn(Worker.prototype, 'postMessage').mockImplementation(function (this: Worker, value, transfer) {
      threads.add(this);
      return post0.call(this, value, transfer);
    });
    fx.cleanup(() => spy.mockRestore());
    const storage = createStore(await openSqliteStorage(fx.dbFile()));
    await storage.append({ writeKey: WRITE_KEY, events: [], rejected: [] });
    spy.mockRestore();
    expect(threads.size).toBe(1);
    let clock = NOW;
    const { app, lines } = await collector(storage, () => clock);
    await [...threads][0].terminate();
    for (let i = 0; i < 300; i++) {
      expect(await post(app)).toBe(503);
      clock += 250;
    }
    // The retention job's start-up purge may meet the dead writer too (its own line, once).
    const storageLines = lines().filter((l) => String(l.msg).startsWith('storage'));
    expect(lines().length - storageLines.length).toBeLessThanOrEqual(1);
    expect(storageLines.map((l) => [l.msg, l.reason, l.failedRequests])).toEqual([
      ['storage unavailable', 'unavailable', undefined],
      ['storage still unavailable after 60 s: 241 requests refused so far', 'unavailable', 241],
    ]);
    expect((storageLines[0].error as { message: string }).message).toMatch(/writer thread stopped/);
    expect(lines().filter(stack)).toEqual([]);
  });
});
