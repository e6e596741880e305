// The catch-up's decoder thread: a catch-up whose first page is full, on a storage that reads on
// this thread, parses the pages after it on a thread of its own, reading each next page while the
// thread parses; the engine it builds is the engine a catch-up builds that reads and parses
// everything on this thread (also what it builds where a server reads). The thread ends with
// the run (and so with close()), a page read ahead of an erasure never outlives the reset the
// erasure causes, and a process that catches up through the thread exits by itself once done, not
// before. Real SQLite files; the last test runs the built collector in a process of its own.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { StoredEvent } from '@spur/sdk';
import type { Analytics } from '../../src/analytics';
import { createAnalyticsService } from '../../src/jobs/catch-up';
import type { Store } from '../../src/rules/store';
import { storedEvent } from '../storage/contract';
import { NOW, useFixtures } from '../helpers';
import { exited, ROOT } from '../spur-process';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { shopBatches } = require('../../../../bench/lib/shop-events') as {
  shopBatches(total: number, options?: { seed?: number; size?: number }): Iterable<StoredEvent[]>;
};

const fx = useFixtures();
const STEPS = ['Product Viewed', 'Product Added', 'Checkout Started', 'Order Completed'];

async function storeShop(storage: Store, total: number): Promise<void> {
  for (const events of shopBatches(total, { seed: 11, size: 2000 })) await storage.append({ writeKey: 'wk', events, rejected: [] });
}

/** The decoder threads started from now on: the Workers that are sent a page. */
function watchDecoders(): Set<Worker> {
  const post = Worker.prototype.postMessage;
  const decoders = new Set<Worker>();
  const spy = jest.spyOn(Worker.prototype, 'postMessage').mockImplementation(function (this: Worker, value, transfer) {
    if (value !== null && typeof value === 'object' && 'page' in value) decoders.add(this);
    return post.call(this, value, transfer);
  });
  fx.cleanup(() => spy.mockRestore());
  return decoders;
}

const stopped = (workers: Set<Worker>) => [...workers].every((w) => w.threadId === -1);

/** `storage` whose `call`-th factsAfter (0-based) waits for release(); atGate resolves when it is reached. */
function gated(storage: Store, call: number) {
  let release!: () => void;
  const open = new Promise<void>((r) => (release = r));
  let reached!: () => void;
  const atGate = new Promise<void>((r) => (reached = r));
  let calls = 0;
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

/** What the exports read of an engine, and the table's columns. */
function answers(a: Analytics) {
  const v = a.table.view();
  const asOf = Date.parse('2030-01-01T00:00:00.000Z');
  return {
    columns: [v.ts, v.type, v.name, v.path, v.anonymousId, v.userId, v.sessionId, v.agent, v.origin, v.product, v.cart].map((c) => Array.from(c)),
    funnel: a.funnel({ steps: STEPS, by: 'channel' }),
    customers: a.funnel({ steps: STEPS, unit: 'customer', window: '7d' }),
    carts: a.abandonedCarts({ asOf }),
    products: a.products({ asOf }),
    stats: a.customers({ asOf }).rows,
  };
}

describe('the catch-up through its decoder thread', () => {
  it('builds the engine that a catch-up parsing every page on this thread builds', async () => {
    const storage = await fx.storage();
    await storeShop(storage, 6000);
    const decoders = watchDecoders();
    const alone = createAnalyticsService(storage, { pageRows: 1_000_000 });
    const paged = createAnalyticsService(storage, { pageRows: 700 });
    fx.cleanup(() => Promise.all([alone.stop(), paged.stop()]));
    const expected = answers(await alone.refresh());
    // One page: no thread.
    expect(decoders.size).toBe(0);
    const engine = await paged.refresh();
    expect(decoders.size).toBe(1);
    expect(engine.table.length).toBe(6000);
    expect(answers(engine)).toEqual(expected);
    // The thread ended with the run; a refresh with little new reads it here.
    expect(stopped(decoders)).toBe(true);
    await storage.append({ writeKey: 'wk', events: [storedEvent(new Date(NOW).toISOString(), { anonymousId: 'late' })], rejected: [] });
    expect((await paged.refresh()).table.length).toBe(6001);
    expect(decoders.size).toBe(1);
  }, 30_000);

  it('parses every page here where a server reads (the storage does not read on this thread)', async () => {
    const real = await fx.storage();
    await storeShop(real, 3000);
    const decoders = watchDecoders();
    const expected = answers(await createAnalyticsService(real, { pageRows: 1_000_000 }).refresh());
    const served: Store = { ...real, readsOnCallingThread: () => false };
    const engine = await createAnalyticsService(served, { pageRows: 400 }).refresh();
    expect(decoders.size).toBe(0);
    expect(answers(engine)).toEqual(expected);
  });

  it("ends the thread when a collector's close() stops a catch-up under way", async () => {
    const real = await fx.storage();
    await storeShop(real, 12_000);
    const decoders = watchDecoders();
    // The catch-up's third read (5,000 rows a page): the thread parses the second page meanwhile.
    const gate = gated(real, 2);
    const { app } = await fx.collector({ storage: gate.storage });
    await gate.atGate;
    expect(decoders.size).toBe(1);
    expect(stopped(decoders)).toBe(false);
    const closed = app.close();
    gate.release();
    await closed;
    expect(stopped(decoders)).toBe(true);
  }, 30_000);

  it('fails the run when its thread dies, and parses here from then on', async () => {
    const real = await fx.storage();
    await storeShop(real, 3000);
    const expected = answers(await createAnalyticsService(real, { pageRows: 1_000_000 }).refresh());
    const decoders = watchDecoders();
    // At the third read the thread has the second page.
    const gate = gated(real, 2);
    const service = createAnalyticsService(gate.storage, { pageRows: 400 });
    fx.cleanup(() => service.stop());
    const run = service.refresh();
    await gate.atGate;
    await [...decoders][0].terminate();
    gate.release();
    await expect(run).rejects.toThrow("the catch-up's decoder thread exited");
    // The next run goes on from the last page appended, without a thread.
    expect(answers(await service.refresh())).toEqual(expected);
    expect(decoders.size).toBe(1);
  }, 30_000);

  it('never appends a page read ahead of an erasure after the reset the erasure causes', async () => {
    const real = await fx.storage();
    // 3 pages of 40: the customer's events are in every page.
    const at = (i: number) => new Date(NOW - 3_600_000 + i * 1000).toISOString();
    const events = Array.from({ length: 120 }, (_, i) => storedEvent(at(i), i % 3 === 0 ? { userId: 'U', anonymousId: 'A' } : { anonymousId: `other-${i}` }));
    await real.append({ writeKey: 'wk', events, rejected: [] });
    // At the third read, page 2 has been read ahead (before the erasure) and not appended yet.
    const gate = gated(real, 2);
    const service = createAnalyticsService(gate.storage, { pageRows: 40 });
    fx.cleanup(() => service.stop());
    const first = service.refresh();
    await gate.atGate;
    await real.eraseSubject('U', { at: at(200), suppressUntil: null });
    // Asked after the erasure: it waits for a run of its own, which starts over.
    const after = service.refresh();
    gate.release();
    const stale = await first;
    expect(stale.table.userIds.id('U')).toBeGreaterThanOrEqual(0);
    const fresh = await after;
    expect(fresh).not.toBe(stale);
    expect(fresh.table.length).toBe(80);
    expect(fresh.table.userIds.id('U')).toBe(-1);
    expect(fresh.table.anonymousIds.id('A')).toBe(-1);
  }, 30_000);

  it('keeps a process alive while the thread owes a page, and lets it exit by itself once done', async () => {
    const file = fx.dbFile();
    const storage = await fx.storage(file);
    await storeShop(storage, 3000);
    await storage.close();
    // A process whose only work is a catch-up through the thread (the built collector, as a
    // script like `spur export` would be): nothing else keeps its event loop alive.
    const script = `
      const { openSqliteStorage, createStore, createAnalyticsService } = require(${JSON.stringify(join(ROOT, 'packages/collector/dist'))});
      (async () => {
        const storage = createStore(await openSqliteStorage(${JSON.stringify(file)}, { readonly: true }));
        const analytics = await createAnalyticsService(storage, { pageRows: 400 }).refresh();
        console.log(analytics.table.length);
        await storage.close();
      })();`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    expect(await exited(child)).toBe(0);
    expect(out.trim()).toBe('3000');
  }, 30_000);
});
