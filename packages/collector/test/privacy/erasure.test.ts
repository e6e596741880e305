// DELETE /v1/privacy/subjects/:customerId: erasure everywhere, suppression of later events, and
// analytics caches (of this process and of another on the same database) that forget the
// subject. On SQLite and on PostgreSQL.
import type { Express } from 'express';
import type { StoredEvent } from '@spur/sdk';
import { recordAbandonedCarts, useFixtures } from '../helpers';
import { describePostgres } from '../postgres/server';
import { postgresBackend, sqliteBackend, type PrivacyBackend } from './backends';
import { admin, ev, MUG, scenario, send } from './shop';

const exportRows = async (app: Express, kind: string) =>
  (await admin(app, 'get', `/v1/exports/${kind}?format=json`).expect(200)).body as Record<string, unknown>[];
const storedIds = async (app: Express) =>
  (await admin(app, 'get', '/v1/exports/events').expect(200)).text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as StoredEvent);

function erasureTests(backend: () => PrivacyBackend): void {
  const fx = useFixtures((file) => backend().open(file));
  it('erases a customer everywhere, answers the counts, and leaves the others untouched', async () => {
    const file = fx.dbFile();
    const { app, storage } = await fx.collector({}, file);
    await send(app, [...scenario(), ev('track', { anonymousId: 'P', event: ['not', 'a', 'name'] }, -98)]);
    await recordAbandonedCarts(storage); // C's Cart Abandoned event, as the abandonment job records it
    const before = { D: (await admin(app, 'get', '/v1/profiles/D').expect(200)).body, V: (await admin(app, 'get', '/v1/profiles/V').expect(200)).body };

    const res = await admin(app, 'delete', '/v1/privacy/subjects/C').expect(200);
    expect(res.body).toEqual({
      ok: true,
      erasedAt: expect.any(String),
      suppressedUntil: expect.any(String),
      counts: { events: 5, derivedEvents: 1, identityLinks: 2, aliases: 0, rejectedEvents: 1, anonymousIds: 2, suppressedIds: 3 },
    });
    // 30 days of suppression by default, from the collector's clock.
    expect(Date.parse(res.body.suppressedUntil) - Date.parse(res.body.erasedAt)).toBe(30 * 86_400_000);
    for (const id of ['C', 'P', 'L']) await admin(app, 'get', `/v1/profiles/${id}`).expect(404);
    await admin(app, 'get', '/v1/privacy/subjects/C').expect(404);
    expect((await admin(app, 'get', '/v1/profiles/D').expect(200)).body).toEqual(before.D);
    expect((await admin(app, 'get', '/v1/profiles/V').expect(200)).body).toEqual(before.V);
    const left = await storedIds(app);
    expect(left.every((e) => !['C', 'P', 'L'].includes((e.userId ?? e.anonymousId)!))).toBe(true);
    expect(left).toHaveLength(4);

    // What is left in the database: no trace of the ids, one audit row with a hash.
    for (const table of backend().tables) {
      const dump = JSON.stringify(await backend().rows(file, table));
      expect(dump).not.toMatch(/"C"|"P"|"L"|c@example\.com|\\"C\\"|\\"P\\"/);
    }
    expect(await backend().rows(file, 'erasures')).toHaveLength(1);
  });

  it('on a device shared with another customer, erases only what the erased customer owned there', async () => {
    const { app } = await fx.collector();
    const mine = [ev('track', { anonymousId: 'S', event: 'Product Viewed', properties: MUG }, -300), ev('identify', { anonymousId: 'S', userId: 'C2' }, -290)];
    const theirs = [ev('identify', { anonymousId: 'S', userId: 'E' }, -100), ev('track', { anonymousId: 'S', event: 'Product Viewed', properties: MUG }, -90)];
    await send(app, [...mine, ...theirs]);
    const before = (await admin(app, 'get', '/v1/profiles/E/events').expect(200)).body.events;

    const res = await admin(app, 'delete', '/v1/privacy/subjects/C2').expect(200);
    expect(res.body.counts).toMatchObject({ events: 2, identityLinks: 1, anonymousIds: 0, suppressedIds: 1 });
    expect((await admin(app, 'get', '/v1/profiles/E/events').expect(200)).body.events).toEqual(before);
    // The device id stays usable: its next event is stored, and it is E's.
    const next = ev('track', { anonymousId: 'S', event: 'Cart Viewed' }, -1);
    expect(await send(app, [next])).toMatchObject({ accepted: 1 });
    expect((await admin(app, 'get', '/v1/profiles/S').expect(200)).body).toMatchObject({ id: 'E', eventCount: 3 });
  });

  it('does not take back an erasure when a client resends the erased events (same messageId), nor store new ones', async () => {
    const { app } = await fx.collector();
    const batch = scenario();
    await send(app, batch);
    await admin(app, 'delete', '/v1/privacy/subjects/C').expect(200);
    const resent = batch.filter((e) => e.anonymousId === 'P' || e.anonymousId === 'L'); // anonymous-only ones among them
    expect(await send(app, resent)).toMatchObject({ accepted: 0, rejected: [] });
    expect(await send(app, [ev('track', { userId: 'C', event: 'Product Viewed' }, 0), ev('alias', { previousId: 'C', userId: 'C-new' }, 0)])).toMatchObject({ accepted: 0 });
    await admin(app, 'get', '/v1/profiles/P').expect(404);
    await admin(app, 'get', '/v1/profiles/C').expect(404);
    await admin(app, 'get', '/v1/profiles/C-new').expect(404);
  });

  it('with SPUR_SUPPRESS_DAYS=0 suppresses nothing', async () => {
    const { app } = await fx.collector({ suppressDays: 0 });
    const batch = scenario();
    await send(app, batch);
    expect((await admin(app, 'delete', '/v1/privacy/subjects/C').expect(200)).body).toMatchObject({ suppressedUntil: null });
    expect(await send(app, batch.filter((e) => e.anonymousId === 'P'))).toMatchObject({ accepted: 3 });
  });

  it('makes exports forget the customer, in this collector and in another one on the same database', async () => {
    const file = fx.dbFile();
    const { app } = await fx.collector({}, file);
    const other = (await fx.collector({}, file)).app;
    await send(app, scenario());
    const customers = (rows: Record<string, unknown>[]) => rows.map((r) => r.customerId).sort();
    // Both caches hold C before the erasure.
    expect(customers(await exportRows(app, 'profiles'))).toEqual(['C', 'D']);
    expect(customers(await exportRows(other, 'profiles'))).toEqual(['C', 'D']);
    expect(customers(await exportRows(other, 'abandoned-carts'))).toEqual(['C']);

    await admin(app, 'delete', '/v1/privacy/subjects/C').expect(200);
    for (const collector of [app, other]) {
      expect(customers(await exportRows(collector, 'profiles'))).toEqual(['D']);
      expect(await exportRows(collector, 'abandoned-carts')).toEqual([]);
      const funnel = (await admin(collector, 'get', '/v1/exports/funnel?steps=Product Viewed&unit=visitor').expect(200)).body;
      expect(funnel.steps[0].units).toBe(1); // V only: C's views are gone (D viewed nothing)
    }
  });

  it('is all or nothing: an erasure that fails midway leaves everything as it was', async () => {
    const file = fx.dbFile();
    const { app, storage } = await fx.collector({}, file);
    await send(app, scenario());
    await recordAbandonedCarts(storage);
    const before = await storedIds(app);
    // The audit row is written last: failing it fails the erasure after every delete ran.
    await backend().refuseAudit(file, true);
    const res = await admin(app, 'delete', '/v1/privacy/subjects/C');
    expect(res.status).toBe(503);
    expect(await storedIds(app)).toEqual(before);
    expect((await admin(app, 'get', '/v1/privacy/subjects/C').expect(200)).body.counts.events).toBe(6);
    await backend().refuseAudit(file, false);
    await admin(app, 'delete', '/v1/privacy/subjects/C').expect(200);
  });

  it('while ingest runs, keeps every event of others and leaves nothing of the erased customer', async () => {
    const { app } = await fx.collector();
    await send(app, scenario());
    const others = Array.from({ length: 12 }, (_, i) => [ev('track', { anonymousId: `o-${i}`, event: 'Product Viewed' }, -5)]);
    const hers = Array.from({ length: 12 }, () => [ev('track', { anonymousId: 'L', userId: 'C', event: 'Product Viewed' }, -5)]);
    const [erasure, ...answers] = await Promise.all([
      admin(app, 'delete', '/v1/privacy/subjects/C'),
      ...others.map((b) => send(app, b)),
      ...hers.map((b) => send(app, b)),
    ]);
    expect(erasure.status).toBe(200);
    expect(answers.slice(0, 12).every((a) => a.accepted === 1)).toBe(true);
    const left = await storedIds(app);
    expect(left.filter((e) => e.anonymousId?.startsWith('o-'))).toHaveLength(12);
    // Each of hers was either there when the erasure ran (erased) or came after it (suppressed).
    expect(left.filter((e) => e.userId === 'C' || e.anonymousId === 'L' || e.anonymousId === 'P')).toEqual([]);
  });

  it('answers 404 for an unknown id and 409 for an anonymous id of a customer, erasing nothing', async () => {
    const { app } = await fx.collector();
    await send(app, scenario());
    await admin(app, 'delete', '/v1/privacy/subjects/nobody').expect(404);
    const res = await admin(app, 'delete', '/v1/privacy/subjects/P').expect(409);
    expect(res.body.error.code).toBe('identified_anonymous_id');
    expect(await storedIds(app)).toHaveLength(9);
  });
}

describe('DELETE /v1/privacy/subjects/:customerId (SQLite)', () => erasureTests(() => sqliteBackend));

describePostgres('DELETE /v1/privacy/subjects/:customerId (PostgreSQL)', (db) => {
  const backend = postgresBackend(db);
  erasureTests(() => backend);
});
