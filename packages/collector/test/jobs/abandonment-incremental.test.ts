// The abandonment job's runs after the first replay only what can have changed since the
// previous run: the carts abandoned lately, and every cart of the customers with new events or
// whose rows the identity graph moved. On generated traffic (carts filled, emptied and ordered,
// customers identified on a second device or a shared one, customer ids aliased, events arriving
// late by up to three hours) its Cart Abandoned events are exactly those of a job that replays
// every cart on every run, run for run. Real SQLite stores, one per job.
import { randomUUID } from 'node:crypto';
import type { StoredEvent } from '@spur/sdk';
import { startAbandonment } from '../../src/jobs/abandonment';
import { createAnalyticsService } from '../../src/jobs/catch-up';
import type { Store } from '../../src/rules/store';
import { NOW, useFixtures } from '../helpers';
import { storedEvent } from '../storage/contract';

const fx = useFixtures();
const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** A job over a fresh store whose clock the test moves. */
async function job(clock: () => number) {
  const storage = await fx.storage();
  const analytics = createAnalyticsService(storage);
  // The timer never fires by itself: the test runs the job.
  const abandonment = startAbandonment({ store: storage, analytics, now: clock, intervalMs: 1e9 });
  fx.cleanup(() => Promise.all([abandonment.stop(), analytics.stop()]));
  return { storage, abandonment };
}

/** The Cart Abandoned events stored: messageId -> [abandonedAt, recorded at]. */
async function abandoned(storage: Store): Promise<Map<string, [string, string]>> {
  const out = new Map<string, [string, string]>();
  let cursor: string | null = null;
  do {
    const page: { rows: StoredEvent[]; cursor: string | null } = await storage.eventsAfter(cursor, 1000);
    for (const e of page.rows) if (e.event === 'Cart Abandoned') out.set(e.messageId, [e.timestamp, e.receivedAt]);
    cursor = page.rows.length ? page.cursor : null;
  } while (cursor);
  return out;
}

/** A seeded generator (a linear congruential one): the same traffic on every run. */
function random(seed: number): () => number {
  let x = seed;
  return () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
}

/** The events of one step of two minutes ending at `now`: a few shoppers' doings, some of them late. */
function traffic(rnd: () => number, now: number): StoredEvent[] {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const events: StoredEvent[] = [];
  for (let k = Math.floor(rnd() * 6); k > 0; k--) {
    // One in six arrives late: an offline queue sent hours after the fact.
    const at = rnd() < 1 / 6 ? now - Math.floor(rnd() * 180) * MINUTE : now - Math.floor(rnd() * 2 * MINUTE);
    const anonymousId = `anon-${Math.floor(rnd() * 30)}`;
    const product = { product_id: pick(['mug', 'cup', 'pot']), price: pick([5, 12, 30]), currency: 'EUR', quantity: 1 };
    const kind = rnd();
    const fields: Partial<StoredEvent> =
      kind < 0.5
        ? { event: 'Product Added', anonymousId, properties: product }
        : kind < 0.6
          ? { event: 'Product Removed', anonymousId, properties: product }
          : kind < 0.75
            ? { event: 'Order Completed', anonymousId, properties: { order_id: randomUUID(), total: 30, currency: 'EUR' } }
            : kind < 0.85
              ? // Two devices of one customer (their carts become one profile's), or a shared one.
                { type: 'identify', event: undefined, anonymousId, userId: `customer-${Math.floor(rnd() * 8)}` }
              : kind < 0.87
                ? // Two customer ids found to be one customer.
                  { type: 'alias', event: undefined, previousId: `customer-${Math.floor(rnd() * 8)}`, userId: `customer-${Math.floor(rnd() * 8)}` }
                : { event: 'Product Viewed', anonymousId, properties: product };
    events.push(storedEvent(iso(at), fields));
  }
  return events;
}

describe('the abandonment job between full replays', () => {
  it('records a cart abandoned hours ago that a late event made, at its next narrowed run', async () => {
    let clock = NOW;
    const { storage, abandonment } = await job(() => clock);
    expect(await abandonment.run()).toBe(0);
    clock += 15_000;
    expect(await abandonment.run(true)).toBe(0);
    // Sent at NOW - 3 h, arriving now: its cart was abandoned 2.5 hours ago, long before the window.
    await storage.append({ writeKey: 'wk', events: [storedEvent(iso(NOW - 180 * MINUTE), { event: 'Product Added', anonymousId: 'late', properties: { product_id: 'mug', price: 5, quantity: 1 } })], rejected: [] });
    clock += 15_000;
    expect(await abandonment.run(true)).toBe(1);
    expect((await storage.getProfileEvents('late'))!.map((e) => [e.event, e.timestamp])).toEqual([
      ['Product Added', iso(NOW - 180 * MINUTE)],
      ['Cart Abandoned', iso(NOW - 150 * MINUTE)],
    ]);
    expect(await abandonment.run(true)).toBe(0);
  });

  it('records the cart a customer is left with when a shared device is identified as another customer later', async () => {
    let clock = NOW;
    const { storage, abandonment } = await job(() => clock);
    const mug = { product_id: 'mug', price: 5, quantity: 1 };
    // Ann identifies on the shop's tablet, fills a cart and orders: no cart left.
    await storage.append({
      writeKey: 'wk',
      events: [
        storedEvent(iso(NOW - 60 * MINUTE), { type: 'identify', event: undefined, anonymousId: 'tablet', userId: 'ann' }),
        storedEvent(iso(NOW - 50 * MINUTE), { event: 'Product Added', anonymousId: 'tablet', properties: mug }),
        storedEvent(iso(NOW - 45 * MINUTE), { event: 'Order Completed', anonymousId: 'tablet', properties: { order_id: 'o-1', total: 5 } }),
      ],
      rejected: [],
    });
    expect(await abandonment.run()).toBe(0);
    clock = NOW + 30 * MINUTE;
    expect(await abandonment.run(true)).toBe(0);
    // Bob's identify on the tablet at -47 min arrives late: the order was Bob's, Ann's cart was
    // left at -50 min and abandoned at -20 min. Ann has no new event; her rows moved.
    await storage.append({ writeKey: 'wk', events: [storedEvent(iso(NOW - 47 * MINUTE), { type: 'identify', event: undefined, anonymousId: 'tablet', userId: 'bob' })], rejected: [] });
    clock += 15_000;
    expect(await abandonment.run(true)).toBe(1);
    expect([...(await abandoned(storage)).values()].map(([abandonedAt]) => abandonedAt)).toEqual([iso(NOW - 20 * MINUTE)]);
  });

  it('records what a replay of every cart records, run for run, on generated traffic', async () => {
    let clock = NOW;
    const narrowed = await job(() => clock);
    const full = await job(() => clock);
    const rnd = random(17);
    let late = 0;
    expect(await narrowed.abandonment.run()).toBe(await full.abandonment.run());
    for (let step = 0; step < 150; step++) {
      clock += 2 * MINUTE;
      const events = traffic(rnd, clock);
      // The same events into both stores (copies: a store may keep what it is given).
      await narrowed.storage.append({ writeKey: 'wk', events: events.map((e) => ({ ...e })), rejected: [] });
      await full.storage.append({ writeKey: 'wk', events: events.map((e) => ({ ...e })), rejected: [] });
      const [a, b] = [await narrowed.abandonment.run(true), await full.abandonment.run(false)];
      expect([step, a]).toEqual([step, b]);
    }
    const [a, b] = [await abandoned(narrowed.storage), await abandoned(full.storage)];
    expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
    expect(a).toEqual(b);
    // The traffic holds what a replay of only the recent carts would miss: carts recorded long
    // after they were abandoned (late events), besides the many recorded as their time came.
    for (const [abandonedAt, recordedAt] of a.values()) if (Date.parse(recordedAt) - Date.parse(abandonedAt) > 10 * MINUTE) late++;
    expect(late).toBeGreaterThan(5);
    expect(a.size).toBeGreaterThan(late + 20);
  });
});
