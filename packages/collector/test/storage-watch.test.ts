// Storage becoming unavailable and available again (storage-watch.ts), on a real SQLite store
// whose probe is made to fail and then pass.
import { StorageUnavailableError } from '../src';
import { watchStorage } from '../src/storage-watch';
import { useFixtures } from './helpers';
import { captureLogs } from './log-capture';

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
