// A collector's close(): every job and timer it started is stopped (the analytics catch-up, the
// abandonment job, retention, the storage watch's probe), runs under way are awaited, and none
// runs afterwards. Timers are watched through async_hooks, which sees unref'd ones too; only
// those the collector's own code sets count (not, say, node's cache of the Date header).
import { createHook } from 'node:async_hooks';
import request from 'supertest';
import { createCollector, createStore, openSqliteStorage, startServer, StorageUnavailableError, type Store } from '../../src';
import { WRITE_KEY, WRITE_KEYS, basic, track, useFixtures } from '../helpers';

const fx = useFixtures();
const SRC = `${__dirname.replace(/test\/jobs$/, 'src')}/`;

/** Timers created by src/ code since start() and not yet cleared or fired. */
function watchTimers() {
  const live = new Map<number, string>();
  const hook = createHook({
    init(id, type) {
      if (type !== 'Timeout') return;
      // The caller of setTimeout / setInterval: the first frame past the timers' own and this hook.
      const frames = (new Error().stack ?? '').split('\n').slice(1);
      const caller = frames.find((line) => !/node:internal\/|node:timers|async_hooks|close\.test\.ts/.test(line));
      if (caller?.includes(SRC)) live.set(id, caller.trim());
    },
    destroy(id) {
      live.delete(id);
    },
  });
  hook.enable();
  fx.cleanup(() => hook.disable());
  return {
    /** What is left, after the destroy hooks of cleared timers had their turn. */
    async left(): Promise<string[]> {
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      return [...live.values()];
    },
  };
}

/** A store whose appends fail as on a full disk, counting the calls of storage made after `mark()`. */
function failing(store: Store) {
  let calls = 0;
  let counting = false;
  const count = <T>(fn: () => T) => {
    if (counting) calls++;
    return fn();
  };
  const wrapped: Store = {
    ...store,
    eventsAfter: (cursor, limit) => count(() => store.eventsAfter(cursor, limit)),
    factsAfter: (cursor, limit, prefix) => count(() => store.factsAfter(cursor, limit, prefix)),
    purge: (options) => count(() => store.purge(options)),
    ping: () => count(() => store.ping()),
    append: () => Promise.reject(new StorageUnavailableError('disk full', { reason: 'disk_full' })),
  };
  return { store: wrapped, mark: () => void (counting = true), calls: () => calls };
}

describe('createCollector().close()', () => {
  it('leaves no timer of the collector behind, and no job runs after it', async () => {
    const timers = watchTimers();
    const opened = createStore(await openSqliteStorage(fx.dbFile()));
    fx.cleanup(() => opened.close());
    const storage = failing(opened);
    // Retention on, jobs on short intervals' defaults; a refused append starts the watch's probe.
    const { app } = await fx.collector({ storage: storage.store, retentionDays: 30 });
    const refused = await request(app).post('/v1/batch').set('Authorization', basic(WRITE_KEY)).send({ batch: [track()] });
    expect(refused.status).toBe(503);
    expect((await timers.left()).length).toBeGreaterThanOrEqual(3); // catch-up, abandonment, retention, probe
    await app.close();
    expect(await timers.left()).toEqual([]);
    storage.mark();
    await new Promise((r) => setTimeout(r, 50));
    expect(storage.calls()).toBe(0);
  });

  it('waits for a run under way, and is idempotent', async () => {
    const { app, storage } = await fx.collector({ retentionDays: 30 });
    await new Promise((r) => setImmediate(r)); // the first catch-up and purge have begun
    const [a, b] = [app.close(), app.close()];
    expect(a).toBe(b);
    await a;
    // Storage is the caller's: still open, and nothing of the collector is left writing to it.
    await expect(storage.ping()).resolves.toBeUndefined();
  });

  it("is called by startServer's close(), before storage closes", async () => {
    const timers = watchTimers();
    const storage = createStore(await openSqliteStorage(fx.dbFile()));
    const app = createCollector({ storage, writeKeys: WRITE_KEYS, retentionDays: 30 });
    const closeApp = jest.spyOn(app, 'close');
    const closeStorage = jest.spyOn(storage, 'close');
    const server = await startServer(app, { port: 0, host: '127.0.0.1', storage });
    expect((await timers.left()).length).toBeGreaterThan(0);
    await server.close();
    expect(closeApp).toHaveBeenCalled();
    expect(closeApp.mock.invocationCallOrder[0]).toBeLessThan(closeStorage.mock.invocationCallOrder[0]);
    expect(await timers.left()).toEqual([]);
  });
});
