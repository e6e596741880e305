// GET /v1/privacy/subjects/:customerId: an access request answered with one JSON document.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StoredEvent } from '@spur/sdk';
import { recordAbandonedCarts, useFixtures } from '../helpers';
import { describePostgres } from '../postgres/server';
import { postgresBackend, sqliteBackend, type PrivacyBackend } from './backends';
import { admin, at, ev, MUG, scenario, send } from './shop';

function accessTests(backend: () => PrivacyBackend): void {
  const fx = useFixtures((file) => backend().open(file));
  it('answers everything stored about a customer: profile, ids, carts, every event in time order, rejected events', async () => {
    const { app, storage } = await fx.collector();
    await send(app, scenario());
    const bad = await send(app, [ev('track', { anonymousId: 'P', event: 42 }, -98)]);
    expect(bad.rejected).toHaveLength(1);
    await recordAbandonedCarts(storage); // the collector's abandonment job, on its timer

    const res = await admin(app, 'get', '/v1/privacy/subjects/C').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('no-store');
    const doc = res.body;
    expect(doc.subject).toEqual({ id: 'C', customerId: 'C', customerIds: ['C'], anonymousIds: ['L', 'P'], sharedAnonymousIds: [] });
    // The same profile and events the admin API shows, the Cart Abandoned event the job recorded included.
    expect(doc.profile).toEqual((await admin(app, 'get', '/v1/profiles/C').expect(200)).body);
    const events = (await admin(app, 'get', '/v1/profiles/C/events').expect(200)).body.events as StoredEvent[];
    expect(doc.events).toEqual(events);
    expect(doc.events.map((e: StoredEvent) => e.event ?? e.type)).toEqual([
      'Product Viewed',
      'Product Added',
      'Cart Abandoned',
      'identify',
      'Product Viewed',
      'identify',
    ]);
    expect(doc.profile).toMatchObject({ eventCount: 6, traits: { email: 'c@example.com', name: 'Cee' } });
    expect(doc.identity.links.map((l: { anonymousId: string }) => l.anonymousId).sort()).toEqual(['L', 'P']);
    expect(doc.abandonedCarts).toEqual([
      expect.objectContaining({ customerId: 'C', anonymousId: 'P', value: 25, lastActivityAt: at(-299), abandonedAt: at(-269) }),
    ]);
    expect(doc.rejectedEvents).toEqual([expect.objectContaining({ reason: expect.any(String), raw: expect.stringContaining('"P"') })]);
    expect(doc.counts).toEqual({ events: 6, rejectedEvents: 1, abandonedCarts: 1 });
    // Nothing of the other customer or the visitor.
    for (const other of ['"D"', '"Q"', '"V"', 'd@example.com']) expect(res.text).not.toContain(other);
  });

  it('answers for an anonymous visitor who never identified', async () => {
    const { app } = await fx.collector();
    await send(app, scenario());
    const doc = (await admin(app, 'get', '/v1/privacy/subjects/V').expect(200)).body;
    expect(doc.subject).toMatchObject({ customerId: null, anonymousIds: ['V'] });
    expect(doc.profile).toEqual((await admin(app, 'get', '/v1/profiles/V').expect(200)).body);
    expect(doc.events).toHaveLength(1);
  });

  it('answers 404 for an id nothing is stored about, 409 for an anonymous id of a customer, 401 without the admin token', async () => {
    const { app } = await fx.collector();
    await send(app, scenario());
    const unknown = await admin(app, 'get', '/v1/privacy/subjects/nobody').expect(404);
    expect(unknown.body.error).toEqual({ code: 'not_found', message: 'nothing is stored about "nobody"' });
    const linked = await admin(app, 'get', '/v1/privacy/subjects/P').expect(409);
    expect(linked.body.error.message).toMatch(/identified as a customer: make the request with the customer id/);
    const anyone = await (await import('supertest')).default(app).get('/v1/privacy/subjects/C');
    expect(anyone.status).toBe(401);
  });

  it('streams 100,000 events of one customer, in time order, while the collector keeps answering', async () => {
    const { app, storage } = await fx.collector();
    const T0 = Date.parse('2024-01-01T00:00:00.000Z');
    const total = 100_000;
    for (let start = 0; start < total; start += 5000) {
      const events = Array.from({ length: 5000 }, (_, i) => {
        // Arrival order is not time order: every page holds times from all over the range.
        const t = new Date(T0 + ((start + i) * 7919 % total) * 1000).toISOString();
        return {
          type: 'track' as const,
          event: 'Product Viewed',
          messageId: `big-${start + i}`,
          userId: 'BIG',
          anonymousId: `dev-${(start + i) % 3}`,
          properties: MUG,
          timestamp: t,
          originalTimestamp: t,
          receivedAt: t,
        };
      });
      await storage.append({ writeKey: 'wk', events, rejected: [] });
    }
    const server = app.listen(0, '127.0.0.1');
    fx.cleanup(() => {
      server.closeAllConnections(); // also a document left unread by a failed expectation
      return new Promise((resolve) => server.close(resolve));
    });
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    const get = (path: string) =>
      new Promise<IncomingMessage>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path, headers: { authorization: 'Bearer admin-secret-token' } }, resolve);
        req.on('error', reject);
        req.end();
      });

    // Warm the analytics cache, so that what follows is the access request's own work.
    expect((await get('/v1/exports/profiles')).statusCode).toBe(200);

    const order: string[] = [];
    const document = get('/v1/privacy/subjects/BIG').then((res) => {
      order.push('document starts');
      return res;
    });
    // Sent while the collector gathers the document: answered before it starts, because the
    // gathering reads page by page and lets other requests in between.
    const health = await get('/healthz');
    order.push('healthz answered');
    health.resume();
    const res = await document;
    expect(res.statusCode).toBe(200);
    expect(order).toEqual(['healthz answered', 'document starts']);
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (text += chunk));
    await new Promise((resolve) => res.on('end', resolve));
    const doc = JSON.parse(text);
    expect(doc.counts.events).toBe(total);
    expect(doc.profile.eventCount).toBe(total);
    const times = (doc.events as StoredEvent[]).map((e) => e.timestamp);
    expect(times).toEqual([...times].sort());
    expect(new Set((doc.events as StoredEvent[]).map((e) => e.messageId)).size).toBe(total);
  }, 120_000);
}

describe('GET /v1/privacy/subjects/:customerId (SQLite)', () => accessTests(() => sqliteBackend));

describePostgres('GET /v1/privacy/subjects/:customerId (PostgreSQL)', (db) => {
  const backend = postgresBackend(db);
  accessTests(() => backend);
});
