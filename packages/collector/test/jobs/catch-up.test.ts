// The analytics cache after a start: it catches up in the background from start() (no export has
// to ask), says how far it is, logs once when it is ready, and starts over (not ready) when an
// erasure deleted events; it only reads. Real SQLite stores; a gate holds a catch-up midway where a
// test looks.
import { createAnalyticsService } from '../../src/jobs/catch-up';
import type { Store } from '../../src/rules/store';
import { captureLogs } from '../log-capture';
import { NOW, useFixtures } from '../helpers';
import { storedEvent } from '../storage/contract';

const fx = useFixtures();
const at = (minutes: number) => new Date(NOW + minutes * 60_000).toISOString();

/** Appends `n` page views of one visitor, in appends of 5,000. */
async function fill(storage: Store, n: number): Promise<void> {
  for (let done = 0; done < n; done += 5000) {
    const events = Array.from({ length: Math.min(5000, n - done) }, (_, i) => storedEvent(at(-60 + (done + i) / 1000), { type: 'page', anonymousId: 'A' }));
    await storage.append({ writeKey: 'wk', events, rejected: [] });
  }
}

/**
 * `storage` whose `call`-th read of events (0-based) waits until release() is called; atGate
 * resolves when that read is reached.
 */
function gated(storage: Store, call: number) {
  let release!: () => void;
  const open = new Promise<void>((r) => (release = r));
  let calls = 0;
  let reached!: () => void;
  const atGate = new Promise<void>((r) => (reached = r));
  const store: Store = {
    ...storage,
    factsAfter: async (cursor, limit, prefix) => {
      if (calls++ === call) {
        reached();
        await open;
      }
      return storage.factsAfter(cursor, limit, prefix);
    },
  };
  return { storage: store, atGate, release };
}

const until = async (condition: () => boolean) => {
  while (!condition()) await new Promise((r) => setTimeout(r, 5));
};

describe('analytics service: the catch-up after a start', () => {
  it('catches up from start() without an export asking, reporting its progress, and logs once when ready', async () => {
    const real = await fx.storage();
    await fill(real, 12_000);
    const gate = gated(real, 1); // the second page of 5,000
    const logs = captureLogs();
    const service = createAnalyticsService(gate.storage, { logger: logs.logger });
    fx.cleanup(() => service.stop());
    expect(service.status()).toEqual({ ready: false, progress: 0 });
    service.start();
    await gate.atGate;
    // 5,000 of 12,000 rows read.
    expect(service.status()).toEqual({ ready: false, progress: 0.41 });
    expect(logs.lines()).toEqual([]);
    gate.release();
    await until(() => service.status().ready);
    expect(service.status()).toEqual({ ready: true, progress: 1 });
    expect(logs.lines()).toEqual([expect.objectContaining({ level: 'info', msg: 'analytics ready', events: 12_000, ms: expect.any(Number) })]);
    // Later refreshes read only what is new, and say nothing.
    await fill(real, 10);
    const analytics = await service.refresh();
    expect(analytics.table.length).toBe(12_010);
    expect(logs.lines()).toHaveLength(1);
  });

  it('makes a refresh asked for during the catch-up wait for it, and see every event', async () => {
    const real = await fx.storage();
    await fill(real, 7_000);
    const gate = gated(real, 1);
    const service = createAnalyticsService(gate.storage);
    fx.cleanup(() => service.stop());
    service.start();
    await gate.atGate;
    const asked = service.refresh();
    let answered = false;
    void asked.then(() => (answered = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(answered).toBe(false);
    gate.release();
    expect((await asked).table.length).toBe(7_000);
  });

  it('is not ready again after an erasure deleted events, until it has caught up from the first row', async () => {
    const real = await fx.storage();
    await real.append({ writeKey: 'wk', events: [storedEvent(at(-5), { type: 'identify', anonymousId: 'A', userId: 'U' }), storedEvent(at(-4), { anonymousId: 'B' })], rejected: [] });
    // Reads of events: the first catch-up's one page, then the next refresh's first.
    const gate = gated(real, 1);
    const logs = captureLogs();
    const service = createAnalyticsService(gate.storage, { logger: logs.logger });
    expect((await service.refresh()).table.length).toBe(2);
    expect(service.status().ready).toBe(true);
    await real.eraseSubject('U', { at: at(0), suppressUntil: null });
    // The next refresh sees the erasure and starts over from the first row: not ready meanwhile.
    const refreshed = service.refresh();
    await gate.atGate;
    expect(service.status()).toEqual({ ready: false, progress: 0 });
    gate.release();
    expect((await refreshed).table.length).toBe(1);
    expect(service.status()).toEqual({ ready: true, progress: 1 });
    expect(logs.lines().map((l) => [l.msg, l.events])).toEqual([
      ['analytics ready', 2],
      ['analytics ready', 1],
    ]);
  });
});
