// Three real `spur serve` processes on one PostgreSQL database behave as one collector: load sent
// through all three (a client whose collector fails goes on to the next, as behind a load
// balancer), one of them SIGKILLed mid-load; every acknowledged event is stored once, a Cart
// Abandoned event is recorded once however many collectors see the cart, an erasure asked of one
// is honoured by the others (profiles, exports, analytics, suppression), and the analytics of each
// survivor catch up with everything stored.
import { existsSync } from 'node:fs';
import { Agent, get, request } from 'node:http';
import { join } from 'node:path';
import type { StoredEvent } from '@spur/sdk';
import { Client } from 'pg';
import { createStore } from '../../src/rules/store';
import { openPostgresStorage } from '../../src/storage/postgres/storage';
import { exited, freePort, post, ROOT, sleep, startCollector } from '../spur-process';
import { describePostgres } from './server';

const KEY = 'threekey';
const TOKEN = 'three-collectors-admin-token';
const CLIENTS = 6;
const ENV = { SPUR_WRITE_KEYS: KEY, SPUR_ADMIN_TOKEN: TOKEN, SPUR_RATE_LIMIT: '0', SPUR_EVENT_RATE_LIMIT: '0' };
const send = (agent: Agent, port: number, batch: unknown[]) =>
  post(agent, port, JSON.stringify({ sentAt: new Date().toISOString(), batch }), { 'x-spur-write-key': KEY });

/** GET on a collector's admin API (or /readyz…); the status and the parsed body. */
function fetchJson(port: number, path: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text }));
    }).on('error', reject);
  });
}

function erase(port: number, id: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: `/v1/privacy/subjects/${id}`, method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describePostgres('three collectors on one PostgreSQL database', (db) => {
  it('store every acknowledged event once, derive a Cart Abandoned once, honour one erasure everywhere and all catch up', async () => {
    expect(existsSync(join(ROOT, 'packages/cli/dist/index.js'))).toBe(true); // run `npx tsc -b` first
    // A cart left two hours ago, stored before the collectors start: each records its Cart
    // Abandoned event after its first catch-up, all three at about the same moment.
    const seed = createStore(await openPostgresStorage(db.url));
    const cartAt = new Date(Date.now() - 2 * 3600_000).toISOString();
    const cart: StoredEvent = { type: 'track', event: 'Product Added', messageId: 'cart-1', anonymousId: 'cart-visitor', timestamp: cartAt, originalTimestamp: cartAt, receivedAt: cartAt, properties: { product_id: 'mug', price: 12, quantity: 1 } };
    await seed.append({ writeKey: KEY, events: [cart], rejected: [] });
    await seed.close();
    const ports = await Promise.all([freePort(), freePort(), freePort()]);
    const collectors = await Promise.all(ports.map((port) => startCollector(port, ['--database-url', db.url], ENV)));
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    try {
      const agent = new Agent({ keepAlive: true });
      // Ready means caught up and the carts due then recorded.
      for (const port of ports) {
        for (let tries = 0; (await fetchJson(port, '/readyz/analytics')).status !== 200; tries++) {
          if (tries > 200) throw new Error(`collector on ${port} never caught up`);
          await sleep(50);
        }
      }
      const carts = await Promise.all(ports.map((port) => fetchJson(port, '/v1/exports/abandoned-carts?format=json')));
      for (const answer of carts) expect(answer).toMatchObject({ status: 200, body: [expect.objectContaining({ anonymousId: 'cart-visitor' })] });

      // Load through all three; collector 0 is killed mid-load and its clients move on.
      const acked = new Set<string>();
      const sent = new Set<string>();
      let stop = false;
      const down = new Set<number>();
      async function client(n: number): Promise<void> {
        const mine = new Agent({ keepAlive: true, maxSockets: 1 });
        let target = n % 3;
        for (let b = 0; !stop; b++) {
          const batch = Array.from({ length: 5 + ((n + b) % 11) }, (_, i) => ({
            type: i === 2 ? 'identify' : 'track',
            event: 'Product Viewed',
            messageId: `c${n}-b${b}-e${i}`,
            anonymousId: `anon-${n}`,
            ...(i === 2 && { userId: `cus-${n}` }),
            timestamp: new Date().toISOString(),
            properties: { product_id: `prod-${n}` },
          }));
          batch.forEach((e) => sent.add(e.messageId));
          for (;;) {
            const answer = await send(mine, ports[target], batch);
            if ('status' in answer && answer.status === 200) {
              expect((answer.body.accepted ?? 0) + (answer.body.duplicates ?? 0)).toBe(batch.length);
              batch.forEach((e) => acked.add(e.messageId));
              break;
            }
            if ('status' in answer && answer.status < 500) throw new Error(`client ${n}: HTTP ${answer.status}`);
            target = (target + 1) % 3; // the load balancer tries the next collector
            if (down.has(target)) target = (target + 1) % 3;
            await sleep(10);
          }
        }
        mine.destroy();
      }
      const clients = Array.from({ length: CLIENTS }, (_, n) => client(n));
      await sleep(800);
      collectors[0].kill('SIGKILL');
      down.add(0);
      await exited(collectors[0]);
      await sleep(800);
      stop = true;
      await Promise.all(clients);

      const rows = (await pg.query<{ id: string; n: string }>('SELECT message_id AS id, count(*) AS n FROM events GROUP BY message_id')).rows;
      const stored = new Set(rows.map((r) => r.id));
      expect(acked.size).toBeGreaterThan(300); // the load was real
      expect([...acked].filter((id) => !stored.has(id))).toEqual([]); // no acknowledged event lost
      expect(rows.filter((r) => r.n !== '1')).toEqual([]); // none stored twice
      expect(acked.size).toBe(sent.size);
      const derived = await pg.query("SELECT count(*)::int AS n FROM events WHERE body::jsonb ->> 'event' = 'Cart Abandoned'");
      expect(derived.rows[0].n).toBe(1);

      // Each survivor's analytics caught up with everything stored: views per product as in the table.
      const survivors = ports.slice(1);
      const views = await pg.query<{ product: string; n: number }>(
        "SELECT body::jsonb -> 'properties' ->> 'product_id' AS product, count(*)::int AS n FROM events WHERE type = 'track' AND body::jsonb ->> 'event' = 'Product Viewed' GROUP BY 1",
      );
      const expected = Object.fromEntries(views.rows.map((r) => [r.product, r.n]));
      for (const port of survivors) {
        const products = (await fetchJson(port, '/v1/exports/products?format=json')).body as { productId: string; views: number }[];
        expect(Object.fromEntries(products.filter((p) => p.views > 0).map((p) => [p.productId, p.views]))).toEqual(expected);
        expect((await fetchJson(port, '/readyz/analytics')).status).toBe(200);
      }

      // Erased through collector 1: gone for collector 2 too, and its later events suppressed there.
      expect((await fetchJson(ports[2], '/v1/profiles/cus-1')).status).toBe(200);
      expect(await erase(ports[1], 'cus-1')).toBe(200);
      expect((await fetchJson(ports[2], '/v1/profiles/cus-1')).status).toBe(404);
      expect((await fetchJson(ports[2], '/v1/profiles/anon-1')).status).toBe(404);
      const products = (await fetchJson(ports[2], '/v1/exports/products?format=json')).body as { productId: string; views: number }[];
      expect(products.find((p) => p.productId === 'prod-1' && p.views > 0)).toBeUndefined();
      expect(products.find((p) => p.productId === 'prod-2')?.views).toBe(expected['prod-2']);
      const again = await send(agent, ports[2], [{ type: 'track', event: 'Product Viewed', messageId: 'after-erasure', userId: 'cus-1', timestamp: new Date().toISOString() }]);
      expect(again).toMatchObject({ status: 200, body: { accepted: 0, duplicates: 1 } });
      const left = await pg.query("SELECT count(*)::int AS n FROM events WHERE user_id = 'cus-1' OR anonymous_id = 'anon-1'");
      expect(left.rows[0].n).toBe(0);
      agent.destroy();
    } finally {
      await pg.end();
      for (const c of collectors) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
      await Promise.all(collectors.map(exited));
    }
  }, 60_000);
});
