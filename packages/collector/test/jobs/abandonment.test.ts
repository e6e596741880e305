// The abandonment job: Cart Abandoned events are recorded by it (after each full catch-up and on
// its timer), never by reading the cache; once per cart, also with two collectors on one
// database. Real SQLite stores.
import { createStore, openSqliteStorage } from '../../src';
import { startAbandonment } from '../../src/jobs/abandonment';
import { createAnalyticsService } from '../../src/jobs/catch-up';
import type { Store } from '../../src/rules/store';
import { NOW, useFixtures } from '../helpers';
import { storedEvent } from '../storage/contract';

const fx = useFixtures();
const at = (minutes: number) => new Date(NOW + minutes * 60_000).toISOString();
const mug = { product_id: 'mug', price: 10, currency: 'EUR', quantity: 1 };
const added = (minutes: number, anonymousId: string) => storedEvent(at(minutes), { event: 'Product Added', anonymousId, properties: mug });
const until = async (condition: () => boolean) => {
  while (!condition()) await new Promise((r) => setTimeout(r, 5));
};
const timeline = async (storage: Store, id: string) => (await storage.getProfileEvents(id))!.map((e) => e.event);

/** A collector's cache and abandonment job over `storage`, stopped after the test. */
function jobs(storage: Store, options: { intervalMs?: number } = {}) {
  const analytics = createAnalyticsService(storage);
  const job = startAbandonment({ store: storage, analytics, now: () => NOW, ...options });
  fx.cleanup(() => Promise.all([job.stop(), analytics.stop()]));
  return { analytics, job };
}

describe('abandonment job', () => {
  it('has recorded the carts left while the collector was down when it says ready', async () => {
    const storage = await fx.storage();
    await storage.append({ writeKey: 'wk', events: [added(-40, 'A')], rejected: [] });
    // A slow commit of the Cart Abandoned event: ready must wait for it.
    const slow: Store = { ...storage, append: async (input) => (await new Promise((r) => setTimeout(r, 100)), storage.append(input)) };
    const { analytics, job } = jobs(slow);
    analytics.start();
    await until(() => analytics.status().ready);
    // The cache is caught up; the collector is not ready until the cart is recorded.
    expect(job.status()).toEqual({ ready: false, progress: 1 });
    await until(() => job.status().ready);
    expect(await timeline(storage, 'A')).toEqual(['Product Added', 'Cart Abandoned']);
  });

  it('is recorded by the job alone: reading the cache writes nothing', async () => {
    const storage = await fx.storage();
    await storage.append({ writeKey: 'wk', events: [added(-40, 'A')], rejected: [] });
    const analytics = createAnalyticsService(storage);
    const carts = (await analytics.refresh()).abandonedCarts({ asOf: NOW });
    expect(carts).toHaveLength(1);
    await analytics.refresh();
    expect(await timeline(storage, 'A')).toEqual(['Product Added']);
    // The job's timer, with nobody asking.
    jobs(storage, { intervalMs: 10 });
    for (let i = 0; i < 200 && (await timeline(storage, 'A')).length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await timeline(storage, 'A')).toEqual(['Product Added', 'Cart Abandoned']);
  });

  it('records a cart once when two collectors run on one database', async () => {
    const file = fx.dbFile();
    const one = await fx.storage(file);
    const two = createStore(await openSqliteStorage(file));
    fx.cleanup(() => two.close());
    await one.append({ writeKey: 'wk', events: [added(-40, 'A'), added(-50, 'B')], rejected: [] });
    const [first, second] = [jobs(one).job, jobs(two).job];
    // Both find both carts due; the second append is a duplicate of the first.
    expect(await Promise.all([first.run(), second.run()])).toEqual([2, 2]);
    expect(await first.run()).toBe(0); // known to this job now
    expect(await timeline(one, 'A')).toEqual(['Product Added', 'Cart Abandoned']);
    expect(await timeline(two, 'B')).toEqual(['Product Added', 'Cart Abandoned']);
    expect(await one.countEvents({})).toBe(4);
  });
});
