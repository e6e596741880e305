// The catch-up reads each row's facts (stored at ingest) instead of its body: the engine it builds
// must be the engine built from the bodies, answer for answer (funnels by session and customer,
// with a breakdown, abandoned carts, products, customers), on a generated shop and on the real
// OTTO excerpt, on SQLite and PostgreSQL; and rows stored without facts (before the column
// existed) are read from their bodies, mixed with rows that have them.
import fs from 'node:fs';
import path from 'node:path';
import { Pool } from 'pg';
import type { StoredEvent } from '@spur/sdk';
import { createAnalytics, type Analytics } from '../../src/analytics';
import { readFactsPage } from '../../src/analytics/fact-page-encoder';
import { FACTS_PREFIX, FACTS_VERSION } from '../../src/analytics/stored-facts';
import { createAnalyticsService } from '../../src/jobs/catch-up';
import { createStore, type Store } from '../../src';
import { openPostgresStorage } from '../../src/storage/postgres/storage';
import { describePostgres } from '../postgres/server';
import { useFixtures } from '../helpers';

// The bench's shop (bench/lib/shop-events.js): visitors on several devices, campaigns, carts,
// orders with product lines, logins; stored events as the collector keeps them.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { shopBatches } = require('../../../../bench/lib/shop-events') as {
  shopBatches(total: number, options?: { seed?: number; size?: number }): Iterable<StoredEvent[]>;
};

const fx = useFixtures();
const STEPS = ['Product Viewed', 'Product Added', 'Checkout Started', 'Order Completed'];

/** The generated shop's events, `total` in all. */
function shop(total: number, seed = 7): StoredEvent[] {
  const out: StoredEvent[] = [];
  for (const batch of shopBatches(total, { seed, size: 1000 })) out.push(...batch);
  return out;
}

/** The OTTO excerpt (test/data/otto-sample) as stored events: clicks, carts and orders. */
function otto(): StoredEvent[] {
  const file = path.resolve(__dirname, '../data/otto-sample/train.jsonl');
  const names = { clicks: 'Product Viewed', carts: 'Product Added', orders: 'Order Completed' } as const;
  const out: StoredEvent[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const s = JSON.parse(line) as { session: number; events: { aid: number; ts: number; type: keyof typeof names }[] };
    s.events.forEach((e, i) => {
      const at = new Date(e.ts).toISOString();
      const productId = String(e.aid);
      const properties =
        e.type === 'orders' ? { order_id: `o-${s.session}-${i}`, products: [{ product_id: productId, quantity: 1 }] } : { product_id: productId, ...(e.type === 'carts' && { quantity: 1 }) };
      out.push({
        type: 'track',
        event: names[e.type],
        messageId: `otto-${s.session}-${i}`,
        anonymousId: `otto-${s.session}`,
        timestamp: at,
        originalTimestamp: at,
        receivedAt: at,
        context: { sessionId: String(s.session) },
        properties,
      } as StoredEvent);
    });
  }
  return out;
}

async function store(storage: Store, events: StoredEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += 2000) await storage.append({ writeKey: 'wk', events: events.slice(i, i + 2000), rejected: [] });
}

/** The engine as it was built before facts: every body parsed and appended. */
async function fromBodies(storage: Store): Promise<Analytics> {
  const analytics = createAnalytics();
  let cursor: string | null = null;
  let seq = 0;
  for (;;) {
    const page = await storage.eventsAfter(cursor, 5000);
    for (const event of page.rows) analytics.appendEvent(event, ++seq);
    cursor = page.cursor;
    if (page.rows.length < 5000) break;
  }
  analytics.setIdentity(await storage.identityGraph());
  return analytics;
}

/** Every answer the exports give, from one engine. */
function answers(a: Analytics, steps: string[]) {
  const asOf = Date.parse('2030-01-01T00:00:00.000Z');
  return {
    rows: a.table.length,
    sessionFunnel: a.funnel({ steps }),
    byDevice: a.funnel({ steps, by: 'device' }),
    byChannel: a.funnel({ steps, by: 'channel' }),
    customerFunnel: a.funnel({ steps, unit: 'customer', window: '7d' }),
    pages: a.funnel({ steps: ['page', 'page:/p', steps[steps.length - 1]] }),
    carts: a.abandonedCarts({ asOf }),
    products: a.products({ asOf }),
    customers: a.customers({ asOf }).rows,
    segments: a.segments({ asOf }),
  };
}

/** Checks that the catch-up (facts) and the bodies build the same engine; answers how many rows came as facts. */
async function expectSameEngine(storage: Store, steps: string[]): Promise<number> {
  const service = createAnalyticsService(storage);
  fx.cleanup(() => service.stop());
  const fromFacts = await service.refresh();
  const expected = answers(await fromBodies(storage), steps);
  expect(answers(fromFacts, steps)).toEqual(expected);
  expect(expected.rows).toBeGreaterThan(0);
  const rows = readFactsPage((await storage.factsAfter(null, 1_000_000, FACTS_PREFIX)).page);
  return rows.filter((row) => Array.isArray(row) && row[0] === FACTS_VERSION).length;
}

function runEquality(name: string, open: () => Promise<{ storage: Store; forgetFacts(share: number): Promise<void> }>) {
  describe(`catch-up from facts: ${name}`, () => {
    it('builds the engine the bodies build, on a generated shop', async () => {
      const { storage } = await open();
      const events = shop(12_000);
      await store(storage, events);
      // Every row came as facts: no body was parsed.
      expect(await expectSameEngine(storage, STEPS)).toBe(events.length);
    }, 60_000);

    it('builds the engine the bodies build, on the OTTO excerpt', async () => {
      const { storage } = await open();
      const events = otto();
      await store(storage, events);
      expect(await expectSameEngine(storage, ['Product Viewed', 'Product Added', 'Order Completed'])).toBe(events.length);
    }, 60_000);

    it('reads rows stored without facts from their bodies, among rows with facts', async () => {
      const { storage, forgetFacts } = await open();
      const events = shop(6_000, 11);
      await store(storage, events);
      // As a database from before the facts column: every third row has none.
      await forgetFacts(3);
      const withFacts = await expectSameEngine(storage, STEPS);
      expect(withFacts).toBeLessThan(events.length);
      expect(withFacts).toBeGreaterThan(events.length / 2);
    }, 60_000);
  });
}

runEquality('sqlite', async () => {
  const file = fx.dbFile();
  const storage = await fx.storage(file);
  return {
    storage,
    async forgetFacts(share) {
      // A second connection on the file, as an older collector's rows would be: facts NULL.
      const Database = (await import('better-sqlite3')).default;
      const db = new Database(file);
      try {
        db.prepare('UPDATE events SET facts = NULL WHERE rowid % ? = 0').run(share);
      } finally {
        db.close();
      }
    },
  };
});

describePostgres('PostgreSQL', (db) => {
  runEquality('postgres', async () => {
    const url = await db.fresh();
    const storage = createStore(await openPostgresStorage(url));
    fx.cleanup(() => storage.close());
    return {
      storage,
      async forgetFacts(share) {
        const pool = new Pool({ connectionString: url });
        try {
          await pool.query('UPDATE events SET facts = NULL WHERE id % $1 = 0', [share]);
        } finally {
          await pool.end();
        }
      },
    };
  });
});
