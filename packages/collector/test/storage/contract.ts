// The storage contract: every backend runs this suite. Each test opens its own fresh database
// (a new file under os.tmpdir()) so tests never depend on each other's state.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredEvent } from '@spur/sdk';
import { attributionUrl } from '../../src/analytics/channels';
import { FactRecord } from '../../src/analytics/fact-record';
import { factFromEvent } from '../../src/analytics/from-event';
import { readFactsPage } from '../../src/analytics/fact-page-encoder';
import { FACTS_PREFIX, FACTS_VERSION, readCatchUpValue } from '../../src/analytics/stored-facts';
import { StorageUnavailableError } from '../../src/errors';
import type { AppendInput } from '../../src/rules/append';
import { createStore, type Store } from '../../src/rules/store';
import { CONFLICT_REASON, DERIVED_WRITE_KEY, type Storage } from '../../src/storage/types';

const RECEIVED = '2024-05-01T12:00:00.000Z';
let serial = 0;

/** A stored event; `at` is its (corrected) timestamp. */
export function storedEvent(at: string, fields: Partial<StoredEvent> = {}): StoredEvent {
  serial += 1;
  return {
    type: 'track',
    event: 'Product Viewed',
    messageId: `m-${serial}-${Math.random().toString(36).slice(2)}`,
    timestamp: at,
    originalTimestamp: at,
    receivedAt: RECEIVED,
    ...fields,
  };
}

const input = (events: StoredEvent[], extra: Partial<AppendInput> = {}): AppendInput => ({
  writeKey: 'wk',
  events,
  rejected: [],
  ...extra,
});

const day = (d: number) => `2024-01-${String(d).padStart(2, '0')}T00:00:00.000Z`;

/**
 * factsAfter's page read back: its rows (facts arrays or bodies) in the order of their keys, which
 * must be commit order, and the cursor; checks that the page holds as many rows as it says.
 */
async function factsPage(storage: Store, cursor: string | null, limit: number, prefix: string): Promise<{ rows: unknown[]; cursor: string | null }> {
  const answer = await storage.factsAfter(cursor, limit, prefix);
  const rows = readFactsPage(answer.page);
  expect(rows).toHaveLength(answer.rows);
  return { rows, cursor: answer.cursor };
}

/**
 * One device (anonymous id A) used by two customers: an anonymous event, U1 identifies, another
 * anonymous event, U2 identifies, a last anonymous event. Appended to `storage`.
 */
async function appendSharedDevice(storage: Store) {
  const events = {
    early: storedEvent(day(1), { anonymousId: 'A' }),
    first: storedEvent(day(2), { type: 'identify', anonymousId: 'A', userId: 'U1' }),
    middle: storedEvent(day(3), { anonymousId: 'A' }),
    second: storedEvent(day(5), { type: 'identify', anonymousId: 'A', userId: 'U2' }),
    late: storedEvent(day(6), { anonymousId: 'A' }),
  };
  await storage.append(input(Object.values(events)));
  return events;
}

export function runStorageContract(name: string, openFn: (file: string) => Promise<Storage>): void {
  describe(`storage contract: ${name}`, () => {
    let cleanups: (() => unknown)[] = [];
    afterEach(async () => {
      for (const fn of cleanups.reverse()) await fn();
      cleanups = [];
    });

    /** A fresh database; `file` reopens the same one. */
    async function fresh(): Promise<{ storage: Store; file: string }> {
      const dir = mkdtempSync(join(tmpdir(), 'spur-contract-'));
      const file = join(dir, 'store.db');
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      return { storage: await reopen(file), file };
    }
    // The backend with the rules over it: what the collector uses.
    async function reopen(file: string): Promise<Store> {
      const storage = createStore(await openFn(file));
      cleanups.push(() => storage.close());
      return storage;
    }
    const ids = (events: StoredEvent[] | null) => events?.map((e) => e.messageId);

    it('stores events and returns them as stored', async () => {
      const { storage } = await fresh();
      const e = storedEvent(day(1), {
        anonymousId: 'A',
        properties: { price: 9.5, tags: ['x'] },
        context: { ip: '203.0.0.0', device: { type: 'desktop' } },
        sentAt: day(1),
      });
      await expect(storage.append(input([e]))).resolves.toEqual({ stored: [true] });
      expect(await storage.getProfileEvents('A')).toEqual([e]);
    });

    it('reads what is new after an opaque cursor, in commit order, and estimates the count (0 before any)', async () => {
      const { storage } = await fresh();
      expect(await storage.eventCountEstimate()).toBe(0);
      expect(await storage.eventsAfter(null, 10)).toEqual({ rows: [], cursor: null });
      const [a, b, c] = [storedEvent(day(3)), storedEvent(day(1)), storedEvent(day(2))];
      await storage.append(input([a, b]));
      const first = await storage.eventsAfter(null, 1);
      expect(ids(first.rows)).toEqual([a.messageId]);
      await storage.append(input([c]));
      const rest = await storage.eventsAfter(first.cursor, 10);
      expect(ids(rest.rows)).toEqual([b.messageId, c.messageId]);
      // Nothing new: nothing read, and the same cursor back.
      expect(await storage.eventsAfter(rest.cursor, 10)).toEqual({ rows: [], cursor: rest.cursor });
      expect(await storage.eventCountEstimate()).toBeGreaterThan(0);
    });

    it('reads only the identify events that name a customer id, in row order, page by page', async () => {
      const { storage } = await fresh();
      const identify = (userId: string | undefined, at: string) => storedEvent(at, { type: 'identify', event: undefined, anonymousId: 'A', userId, traits: { email: `${userId}@example.com` } });
      const [one, two, three] = [identify('u1', day(3)), identify('u2', day(1)), identify('u3', day(2))];
      // Around them: a track event of a customer, an anonymous identify, a page view whose body names identify.
      await storage.append(input([storedEvent(day(1), { userId: 'u1' }), one, identify(undefined, day(1)), two]));
      await storage.append(input([storedEvent(day(2), { anonymousId: 'B', properties: { note: '"type":"identify"' } }), three]));
      const first = await storage.identifyPage(0, 2);
      expect(first.map((r) => (JSON.parse(r.body) as StoredEvent).messageId)).toEqual([one.messageId, two.messageId]);
      expect(first.map((r) => r.timestamp)).toEqual([one.timestamp, two.timestamp]);
      const rest = await storage.identifyPage(first[1].seq, 2);
      expect(rest.map((r) => (JSON.parse(r.body) as StoredEvent).messageId)).toEqual([three.messageId]);
      expect(await storage.identifyPage(rest[0].seq, 2)).toEqual([]);
    });

    it('backfills facts older than the version asked in steps of rows in commit order, resumes where it stood, and leaves rows in their place', async () => {
      const { storage, file } = await fresh();
      const events = Array.from({ length: 7 }, (_, i) => storedEvent(day(1 + i), { anonymousId: `A${i}` }));
      await storage.append(input(events.slice(0, 4)));
      await storage.append(input(events.slice(4)));
      // Every row holds facts of this build's version: for the next version they are all stale.
      const next = FACTS_VERSION + 1;
      const encode = (body: string) => JSON.stringify([next, (JSON.parse(body) as StoredEvent).messageId]);
      const first = await storage.backfillFacts({ version: next, limit: 3, encode });
      expect(first).toEqual({ looked: 3, written: 3, failed: 0, remaining: expect.any(Number), busy: false });
      expect(first.remaining).toBeGreaterThan(0);
      // Another store on the database goes on from where the first step stood.
      const other = await reopen(file);
      expect(await other.backfillFacts({ version: next, limit: 3, encode })).toMatchObject({ looked: 3, written: 3 });
      const last = await storage.backfillFacts({ version: next, limit: 3, encode });
      expect(last).toEqual({ looked: 1, written: 1, failed: 0, remaining: 0, busy: false });
      expect(await storage.backfillFacts({ version: next, limit: 3, encode })).toMatchObject({ looked: 0, written: 0 });
      // The rows read as the new facts, in the same commit order, each once.
      const page = await factsPage(storage, null, 100, `[${next},`);
      expect(page.rows).toEqual(events.map((e) => [next, e.messageId]));
      // A version that is not newer than the facts stored finds nothing to write.
      const mine = await other.backfillFacts({ version: FACTS_VERSION, limit: 100, encode: () => 'never' });
      expect(mine).toMatchObject({ written: 0, failed: 0 });
    });

    it('backfill: a body encode cannot read is left as it is and counted', async () => {
      const { storage } = await fresh();
      await storage.append(input([storedEvent(day(1)), storedEvent(day(2))]));
      const encode = (body: string) => {
        if ((JSON.parse(body) as StoredEvent).timestamp === day(1)) throw new Error('unreadable');
        return `[${FACTS_VERSION + 1}]`;
      };
      expect(await storage.backfillFacts({ version: FACTS_VERSION + 1, limit: 10, encode })).toEqual({ looked: 2, written: 1, failed: 1, remaining: 0, busy: false });
      const rows = (await factsPage(storage, null, 10, `[${FACTS_VERSION + 1}`)).rows;
      expect(rows.filter((row) => Array.isArray(row))).toEqual([[FACTS_VERSION + 1]]);
      expect(rows).toHaveLength(2);
    });

    it("reads the same rows as facts (factsAfter), on eventsAfter's cursors, the body where the facts do not start with the prefix", async () => {
      const { storage } = await fresh();
      expect(await factsPage(storage, null, 10, FACTS_PREFIX)).toEqual({ rows: [], cursor: null });
      const events = [
        storedEvent(day(3), { anonymousId: 'A', context: { page: { path: '/p', url: 'https://shop.example/p' }, campaign: { source: 'news' } } }),
        storedEvent(day(1), { event: 'Product Added', userId: 'U', properties: { product_id: 'p1', price: '9.5', quantity: 2, currency: 'EUR' } }),
        storedEvent(day(2), { event: 'Order Completed', anonymousId: 'A', properties: { order_id: 'o1', total: 19, products: [{ product_id: 'p1', price: 9.5 }, { name: 'no id' }] } }),
        storedEvent(day(4), { type: 'page', anonymousId: 'A', properties: { path: '/q' } }),
      ];
      await storage.append(input(events.slice(0, 2)));
      await storage.append(input(events.slice(2)));
      const all = await storage.eventsAfter(null, 10);
      const first = await factsPage(storage, null, 1, FACTS_PREFIX);
      const rest = await factsPage(storage, first.cursor, 10, FACTS_PREFIX);
      // The cursors are eventsAfter's: the last row's either way.
      expect(rest.cursor).toBe(all.cursor);
      expect((await storage.eventsAfter(first.cursor, 10)).rows).toEqual(all.rows.slice(1));
      expect(await factsPage(storage, rest.cursor, 10, FACTS_PREFIX)).toEqual({ rows: [], cursor: rest.cursor });
      const rows = [...first.rows, ...rest.rows];
      expect(rows).toHaveLength(events.length);
      // Each row's facts, read back, are what the engine reads of its event (of URLs, what
      // attribution reads: test/analytics/stored-facts.test.ts).
      const record = new FactRecord();
      rows.forEach((row, i) => {
        expect(Array.isArray(row) && row[0] === FACTS_VERSION).toBe(true);
        readCatchUpValue(row, i + 1, record);
        const { url, referrer, ...rest } = factFromEvent(all.rows[i], i + 1);
        const kept = { url: attributionUrl(url, true), referrer: attributionUrl(referrer, false) };
        expect(record.toFact()).toEqual({ ...rest, ...(kept.url && { url: kept.url }), ...(kept.referrer && { referrer: kept.referrer }) });
      });
      // Facts of another layout are not handed out: the bodies come instead, in commit order.
      const bodies = await factsPage(storage, null, 10, '[999,');
      expect(bodies.rows).toEqual(all.rows);
    });

    it('answers a resent messageId as a duplicate and keeps the first copy', async () => {
      const { storage } = await fresh();
      const e = storedEvent(day(1), { anonymousId: 'A' });
      await storage.append(input([e]));
      await expect(storage.append(input([{ ...e, event: 'Changed' }]))).resolves.toEqual({ stored: [false] });
      expect(await storage.getProfileEvents('A')).toEqual([e]);
    });

    it('answers a messageId repeated within one append as a duplicate', async () => {
      const { storage } = await fresh();
      const e = storedEvent(day(1), { anonymousId: 'A' });
      await expect(storage.append(input([e, e]))).resolves.toEqual({ stored: [true, false] });
    });

    it('stores every one of many concurrent appends, and an identical one only once', async () => {
      const { storage } = await fresh();
      const distinct = Array.from({ length: 25 }, (_, i) => storedEvent(day(1 + (i % 9)), { anonymousId: 'A' }));
      const same = storedEvent(day(10), { anonymousId: 'A' });
      const results = await Promise.all([
        ...distinct.map((e) => storage.append(input([e]))),
        ...Array.from({ length: 5 }, () => storage.append(input([same]))),
      ]);
      expect(results.slice(0, 25).every((r) => r.stored[0])).toBe(true);
      expect(results.slice(25).filter((r) => r.stored[0])).toHaveLength(1);
      expect(await storage.getProfileEvents('A')).toHaveLength(26);
    });

    it('keeps a messageId resent with another payload once, and records the newcomer as a conflict', async () => {
      const { storage } = await fresh();
      const e = storedEvent(day(1), { anonymousId: 'A', properties: { price: 10 } });
      await storage.append(input([e]));
      const other = { ...e, properties: { price: 99 }, receivedAt: '2024-05-02T00:00:00.000Z' };
      await expect(storage.append(input([other]))).resolves.toEqual({ stored: [false] });
      expect(await storage.getProfileEvents('A')).toEqual([e]);
      const rejected = await storage.listRejected();
      expect(rejected).toEqual([
        { messageId: e.messageId, reason: CONFLICT_REASON, writeKey: 'wk', receivedAt: other.receivedAt, raw: expect.any(String) },
      ]);
      expect(JSON.parse(rejected[0].raw)).toMatchObject({ messageId: e.messageId, properties: { price: 99 } });
    });

    it.each([
      ['type', { type: 'page', name: 'Home' }],
      ['event name', { event: 'Product Added' }],
      ['userId', { userId: 'U2' }],
      ['anonymousId', { anonymousId: 'B' }],
      ['traits', { traits: { plan: 'pro' } }],
      ['client timestamp', { originalTimestamp: day(2) }],
    ])('counts another %s under the same messageId as a conflict', async (_what, change) => {
      const { storage } = await fresh();
      const e = storedEvent(day(1), { anonymousId: 'A' });
      await storage.append(input([e]));
      await storage.append(input([{ ...e, ...change } as typeof e]));
      expect((await storage.listRejected()).map((r) => r.reason)).toEqual([CONFLICT_REASON]);
    });

    it('does not count a plain resend as a conflict, though receipt time, sentAt, corrected time and context differ', async () => {
      const { storage } = await fresh();
      const e = storedEvent(day(1), { anonymousId: 'A', properties: { a: 1, b: { c: [1, 2] } }, context: { ip: '203.0.0.0' } });
      await storage.append(input([e]));
      const resend = {
        ...e,
        properties: { b: { c: [1, 2] }, a: 1 }, // same payload, other key order
        receivedAt: '2024-05-02T00:00:00.000Z',
        sentAt: '2024-05-02T00:00:00.000Z',
        timestamp: day(2),
        context: { ip: '198.51.0.0', device: { type: 'mobile' } },
      };
      await expect(storage.append(input([resend]))).resolves.toEqual({ stored: [false] });
      expect(await storage.listRejected()).toEqual([]);
    });

    it('does not count a resend of an event without client timestamp as a conflict', async () => {
      const { storage } = await fresh();
      // The collector stamps such an event with its receipt time, which differs per request.
      const first = storedEvent(RECEIVED, { anonymousId: 'A' });
      await storage.append(input([first]));
      const later = '2024-05-01T12:00:05.000Z';
      await storage.append(input([{ ...first, timestamp: later, originalTimestamp: later, receivedAt: later }]));
      expect(await storage.listRejected()).toEqual([]);
    });

    it('does not count a resend as a conflict when the first copy arrived in the very millisecond of its client timestamp', async () => {
      const { storage } = await fresh();
      // A client on a good clock that sends at once: originalTimestamp == receivedAt, which also
      // is what an event without a client timestamp looks like. Its retry arrives later.
      const first = storedEvent(RECEIVED, { anonymousId: 'A' });
      await storage.append(input([first]));
      await storage.append(input([{ ...first, receivedAt: '2024-05-01T12:00:03.000Z', timestamp: '2024-05-01T12:00:02.000Z' }]));
      expect(await storage.listRejected()).toEqual([]);
    });

    it('records one conflict per distinct payload, however often it is resent, also within one append', async () => {
      const { storage } = await fresh();
      const e = storedEvent(day(1), { anonymousId: 'A' });
      const x = { ...e, event: 'X' };
      const y = { ...e, event: 'Y' };
      await expect(storage.append(input([e, x, x]))).resolves.toEqual({ stored: [true, false, false] });
      await storage.append(input([x, y]));
      await storage.append(input([y, e]));
      const rejected = await storage.listRejected();
      expect(rejected.map((r) => JSON.parse(r.raw).event)).toEqual(['X', 'Y']);
    });

    it('ping resolves while the store takes writes', async () => {
      const { storage } = await fresh();
      await expect(storage.ping()).resolves.toBeUndefined();
    });

    it('keeps rejected events with reason, write key and receipt time, oldest first', async () => {
      const { storage } = await fresh();
      await storage.append(
        input([], {
          rejected: [
            { raw: '{"type":"nope"}', reason: 'bad type', messageId: 'r1', writeKey: 'wk', receivedAt: RECEIVED },
            { raw: '42', reason: 'event must be an object', writeKey: 'wk', receivedAt: RECEIVED },
          ],
        }),
      );
      expect(await storage.listRejected()).toEqual([
        { raw: '{"type":"nope"}', reason: 'bad type', messageId: 'r1', writeKey: 'wk', receivedAt: RECEIVED },
        { raw: '42', reason: 'event must be an object', writeKey: 'wk', receivedAt: RECEIVED },
      ]);
      expect(await storage.listRejected({ limit: 1 })).toHaveLength(1);
    });

    it('keeps acknowledged events across close and reopen', async () => {
      const { storage, file } = await fresh();
      const e = storedEvent(day(1), { userId: 'U' });
      await storage.append(input([e]));
      await storage.close();
      const again = await reopen(file);
      expect(await again.getProfileEvents('U')).toEqual([e]);
      await expect(again.append(input([e]))).resolves.toEqual({ stored: [false] });
    });

    it('commits appends still queued when close() is called', async () => {
      const { storage, file } = await fresh();
      const e = storedEvent(day(1), { userId: 'U' });
      const pending = storage.append(input([e]));
      await storage.close();
      await expect(pending).resolves.toEqual({ stored: [true] });
      expect(await (await reopen(file)).getProfileEvents('U')).toHaveLength(1);
    });

    it('fails with StorageUnavailableError once closed, and close() is idempotent', async () => {
      const { storage } = await fresh();
      await storage.ping();
      await Promise.all([storage.close(), storage.close()]);
      await storage.close();
      await expect(storage.append(input([storedEvent(day(1), { userId: 'U' })]))).rejects.toBeInstanceOf(
        StorageUnavailableError,
      );
      await expect(storage.ping()).rejects.toBeInstanceOf(StorageUnavailableError);
      await expect(storage.ping()).rejects.toMatchObject({ reason: 'closed' });
      await expect(storage.getProfile('U')).rejects.toBeInstanceOf(StorageUnavailableError);
    });

    it('knows nothing about an id it never saw', async () => {
      const { storage } = await fresh();
      expect(await storage.getProfile('nobody')).toBeNull();
      expect(await storage.getProfileEvents('nobody')).toBeNull();
    });

    it('returns an anonymous profile for an anonymous id that never identified', async () => {
      const { storage } = await fresh();
      await storage.append(input([storedEvent(day(2), { anonymousId: 'A' }), storedEvent(day(1), { anonymousId: 'A' })]));
      expect(await storage.getProfile('A')).toEqual({
        id: 'A',
        customerId: null,
        anonymousIds: ['A'],
        traits: {},
        firstSeen: day(1),
        lastSeen: day(2),
        eventCount: 2,
      });
    });

    it('orders events by timestamp, then receivedAt, then arrival, and honours limit', async () => {
      const { storage } = await fresh();
      const late = storedEvent(day(3), { userId: 'U' });
      const tieLater = storedEvent(day(2), { userId: 'U', receivedAt: '2024-05-02T00:00:00.000Z' });
      const tieFirst = storedEvent(day(2), { userId: 'U' });
      const tieArrivedSecond = storedEvent(day(2), { userId: 'U' });
      await storage.append(input([late, tieLater, tieFirst]));
      await storage.append(input([tieArrivedSecond]));
      expect(ids(await storage.getProfileEvents('U'))).toEqual(ids([tieFirst, tieArrivedSecond, tieLater, late]));
      expect(ids(await storage.getProfileEvents('U', { limit: 2 }))).toEqual(ids([tieFirst, tieArrivedSecond]));
    });

    it('rule 1: identify back-fills earlier anonymous events and claims later ones', async () => {
      const { storage } = await fresh();
      const before = storedEvent(day(1), { anonymousId: 'A' });
      const identify = storedEvent(day(2), { type: 'identify', anonymousId: 'A', userId: 'U', traits: { email: 'u@x' } });
      const laterVisit = storedEvent(day(20), { anonymousId: 'A' });
      await storage.append(input([before, identify, laterVisit]));
      expect(ids(await storage.getProfileEvents('U'))).toEqual(ids([before, identify, laterVisit]));
      const profile = await storage.getProfile('A');
      expect(profile).toMatchObject({ id: 'U', customerId: 'U', anonymousIds: ['A'], traits: { email: 'u@x' }, eventCount: 3 });
    });

    it('rule 1: a link dates from the earliest event carrying both ids, whatever the arrival order', async () => {
      const { storage } = await fresh();
      await storage.append(input([storedEvent(day(5), { anonymousId: 'A', userId: 'U1' })]));
      await storage.append(input([storedEvent(day(10), { type: 'identify', anonymousId: 'A', userId: 'U2' })]));
      // Arrives late (an offline outbox) but happened before U2's identify: U1's link starts on day 3.
      await storage.append(input([storedEvent(day(3), { anonymousId: 'A', userId: 'U1' })]));
      const between = storedEvent(day(7), { anonymousId: 'A' });
      await storage.append(input([between]));
      expect(ids(await storage.getProfileEvents('U1'))).toContain(between.messageId);
    });

    it('rule 2: many anonymous ids of one customer form one profile', async () => {
      const { storage } = await fresh();
      const laptop = storedEvent(day(1), { anonymousId: 'A1' });
      const phone = storedEvent(day(2), { anonymousId: 'A2' });
      await storage.append(input([laptop, phone]));
      await storage.append(input([storedEvent(day(3), { type: 'identify', anonymousId: 'A1', userId: 'U' })]));
      await storage.append(input([storedEvent(day(4), { type: 'identify', anonymousId: 'A2', userId: 'U' })]));
      const phoneLater = storedEvent(day(9), { anonymousId: 'A2' });
      await storage.append(input([phoneLater]));
      expect(await storage.getProfile('A2')).toMatchObject({ id: 'U', anonymousIds: ['A1', 'A2'], eventCount: 5 });
      expect(ids(await storage.getProfileEvents('U'))).toEqual(expect.arrayContaining(ids([laptop, phone, phoneLater])!));
    });

    it('rule 3: two customer ids are never merged automatically', async () => {
      const { storage } = await fresh();
      await storage.append(
        input([
          storedEvent(day(1), { type: 'identify', anonymousId: 'A1', userId: 'U1' }),
          storedEvent(day(2), { type: 'identify', anonymousId: 'A2', userId: 'U2' }),
          storedEvent(day(3), { userId: 'U1' }),
        ]),
      );
      expect(await storage.getProfile('U1')).toMatchObject({ id: 'U1', anonymousIds: ['A1'], eventCount: 2 });
      expect(await storage.getProfile('U2')).toMatchObject({ id: 'U2', anonymousIds: ['A2'], eventCount: 1 });
    });

    it('rule 4: a shared anonymous id belongs to the second customer from their identify on', async () => {
      const { storage } = await fresh();
      const { early, first, middle, second, late } = await appendSharedDevice(storage);
      expect(ids(await storage.getProfileEvents('U1'))).toEqual(ids([early, first, middle]));
      expect(ids(await storage.getProfileEvents('U2'))).toEqual(ids([second, late]));
      expect((await storage.getProfile('A'))?.id).toBe('U2');
    });

    it('alias merges a customer id with its events and anonymous ids into the new id', async () => {
      const { storage } = await fresh();
      const anon = storedEvent(day(1), { anonymousId: 'A' });
      await storage.append(input([anon, storedEvent(day(2), { type: 'identify', anonymousId: 'A', userId: 'old' })]));
      await storage.append(input([storedEvent(day(3), { type: 'alias', previousId: 'old', userId: 'new' })]));
      expect(await storage.getProfile('old')).toMatchObject({ id: 'new', customerId: 'new', anonymousIds: ['A'], eventCount: 3 });
      expect(ids(await storage.getProfileEvents('new'))).toContain(anon.messageId);
    });

    it('alias of an anonymous id links it like an identify', async () => {
      const { storage } = await fresh();
      const anon = storedEvent(day(1), { anonymousId: 'B' });
      await storage.append(input([anon, storedEvent(day(2), { type: 'alias', previousId: 'B', userId: 'U' })]));
      expect(await storage.getProfile('B')).toMatchObject({ id: 'U', anonymousIds: ['B'], eventCount: 2 });
    });

    it('alias chains resolve to their end and alias cycles terminate', async () => {
      const { storage } = await fresh();
      await storage.append(
        input([
          storedEvent(day(1), { userId: 'c1' }),
          storedEvent(day(2), { userId: 'c2' }),
          storedEvent(day(3), { userId: 'c3' }),
          storedEvent(day(4), { type: 'alias', previousId: 'c1', userId: 'c2' }),
          storedEvent(day(5), { type: 'alias', previousId: 'c2', userId: 'c3' }),
        ]),
      );
      expect(await storage.getProfile('c1')).toMatchObject({ id: 'c3', eventCount: 5 });
      await storage.append(input([storedEvent(day(6), { type: 'alias', previousId: 'c3', userId: 'c1' })]));
      const profiles = await Promise.all(['c1', 'c2', 'c3'].map((id) => storage.getProfile(id)));
      expect(profiles.map((p) => p?.id)).toEqual(['c1', 'c1', 'c1']);
      expect(profiles[0]?.eventCount).toBe(6);
    });

    describe('data subjects, erasure and retention', () => {
      const LATER = '2024-05-02T00:00:00.000Z';
      const UNTIL = '2024-06-01T00:00:00.000Z';
      const erase = (storage: Store, id: string, suppressUntil: string | null = UNTIL) =>
        storage.eraseSubject(id, { at: RECEIVED, suppressUntil });
      async function subject(storage: Store, id: string) {
        const found = await storage.findSubject(id);
        if (found.status !== 'found') throw new Error(`${id}: ${found.status}`);
        return found.subject;
      }
      const received = (at: string) => ({ receivedAt: at });
      async function allRejected(storage: Store, id: string) {
        const s = await subject(storage, id);
        const rows = [];
        for (let cursor: number | null = 0; cursor !== null; ) {
          const slice = await storage.subjectRejected(s, cursor);
          rows.push(...slice.rows);
          cursor = slice.cursor;
        }
        return rows;
      }

      it('names a customer with its anonymous ids, an unlinked visitor, and refuses a linked anonymous id', async () => {
        const { storage } = await fresh();
        await storage.append(
          input([
            storedEvent(day(1), { anonymousId: 'A2' }),
            storedEvent(day(2), { type: 'identify', anonymousId: 'A2', userId: 'U' }),
            storedEvent(day(1), { type: 'identify', anonymousId: 'A1', userId: 'U' }),
            storedEvent(day(3), { anonymousId: 'V' }),
          ]),
        );
        expect(await storage.findSubject('nobody')).toEqual({ status: 'unknown' });
        expect(await storage.findSubject('A1')).toEqual({ status: 'linked' });
        expect(await subject(storage, 'U')).toMatchObject({ customerId: 'U', customerIds: ['U'], anonymousIds: ['A1', 'A2'], sharedAnonymousIds: [] });
        expect(await subject(storage, 'V')).toMatchObject({ customerId: null, customerIds: [], anonymousIds: ['V'] });
      });

      it("lists a customer's events in the order of its profile, aliases and back-filled history included", async () => {
        const { storage } = await fresh();
        await storage.append(
          input([
            storedEvent(day(1), { anonymousId: 'A' }),
            storedEvent(day(2), { type: 'identify', anonymousId: 'A', userId: 'old' }),
            storedEvent(day(4), { userId: 'old' }),
            storedEvent(day(3), { type: 'alias', previousId: 'old', userId: 'new' }),
            storedEvent(day(5), { anonymousId: 'A' }),
          ]),
        );
        const keys = await storage.subjectEvents(await subject(storage, 'old'));
        const bodies = await storage.eventsBySeq(keys.map((k) => k.seq));
        expect(bodies.map((b) => JSON.parse(b.body).messageId)).toEqual(ids(await storage.getProfileEvents('new')));
        expect(keys).toHaveLength(5);
      });

      it('erases one customer everywhere and leaves a customer who shares nothing untouched', async () => {
        const { storage } = await fresh();
        const mine = [
          storedEvent(day(1), { anonymousId: 'A1' }),
          storedEvent(day(2), { type: 'identify', anonymousId: 'A1', userId: 'U1', traits: { email: 'u1@x' } }),
          storedEvent(day(3), { type: 'alias', previousId: 'U1', userId: 'U1b' }),
        ];
        const theirs = [storedEvent(day(1), { anonymousId: 'B' }), storedEvent(day(2), { type: 'identify', anonymousId: 'B', userId: 'U2' })];
        await storage.append(input([...mine, ...theirs]));
        const derived = storedEvent(day(4), { event: 'Cart Abandoned', anonymousId: 'A1', properties: { customer_id: 'U1b' } });
        await storage.append(input([derived], { writeKey: DERIVED_WRITE_KEY }));
        await storage.append(
          input([], {
            rejected: [
              { raw: JSON.stringify({ type: 'track', anonymousId: 'A1', userId: 42 }), reason: 'x', writeKey: 'wk', receivedAt: RECEIVED },
              { raw: JSON.stringify({ type: 'track', userId: 'U2' }), reason: 'y', writeKey: 'wk', receivedAt: RECEIVED },
              { raw: '{"userId":"U1b", broken', reason: 'z', writeKey: 'wk', receivedAt: RECEIVED },
            ],
          }),
        );
        const before = await storage.getProfile('U2');
        const generation = await storage.generation();

        const outcome = await erase(storage, 'U1b');
        expect(outcome).toEqual({
          status: 'erased',
          erasedAt: RECEIVED,
          suppressedUntil: UNTIL,
          counts: { events: 3, derivedEvents: 1, identityLinks: 1, aliases: 1, rejectedEvents: 2, anonymousIds: 1, suppressedIds: 3 },
          scrubbed: true,
        });
        for (const id of ['U1', 'U1b', 'A1']) expect(await storage.findSubject(id)).toEqual({ status: 'unknown' });
        expect(await storage.getProfileEvents('U1b')).toBeNull();
        expect(await storage.getProfile('U2')).toEqual(before);
        expect((await storage.listRejected()).map((r) => r.reason)).toEqual(['y']);
        expect((await storage.identityGraph()).links.map((l) => l.userId)).toEqual(['U2']);
        expect(await storage.countEvents({})).toBe(2);
        // The facts went with their rows: a catch-up from the start reads only the other customer's.
        const facts = (await factsPage(storage, null, 100, FACTS_PREFIX)).rows as unknown[][];
        expect(facts.map((f) => [f[4], f[5] ?? null])).toEqual([['B', null], ['B', 'U2']]);
        expect(await storage.generation()).toBeGreaterThan(generation);
        expect(await erase(storage, 'U1b')).toEqual({ status: 'unknown' });
      });

      it('keeps an audit entry with a salted hash of the id, not the id', async () => {
        const { storage } = await fresh();
        await storage.append(input([storedEvent(day(1), { userId: 'U' })]));
        await erase(storage, 'U');
        const [record] = await storage.listErasures();
        expect(record).toEqual({ subjectHash: expect.stringMatching(/^[0-9a-f]{64}$/), erasedAt: RECEIVED, counts: expect.objectContaining({ events: 1 }) });
        expect(record.subjectHash).not.toBe(createHash('sha256').update('U').digest('hex'));
        // Another database has another salt: the same id hashes differently there.
        const other = (await fresh()).storage;
        await other.append(input([storedEvent(day(1), { userId: 'U' })]));
        await erase(other, 'U');
        expect((await other.listErasures())[0].subjectHash).not.toBe(record.subjectHash);
      });

      it("on a shared device erases what the customer owned there and keeps the other customer's part and the device id", async () => {
        const { storage } = await fresh();
        const { second, late } = await appendSharedDevice(storage);
        expect(await subject(storage, 'U1')).toMatchObject({ anonymousIds: ['A'], sharedAnonymousIds: ['A'] });
        expect((await storage.subjectEvents(await subject(storage, 'U1'))).length).toBe(3);

        const outcome = await erase(storage, 'U1');
        expect(outcome).toMatchObject({ counts: { events: 3, identityLinks: 1, anonymousIds: 0, suppressedIds: 1 } });
        expect(ids(await storage.getProfileEvents('U2'))).toEqual(ids([second, late]));
        // The device goes on: its later events are stored and belong to U2; U1's are suppressed.
        const next = storedEvent(day(7), { anonymousId: 'A', ...received(LATER) });
        const again = storedEvent(day(7), { anonymousId: 'A', userId: 'U1', ...received(LATER) });
        await expect(storage.append(input([next, again]))).resolves.toEqual({ stored: [true, false], suppressed: 1 });
        expect(ids(await storage.getProfileEvents('A'))).toEqual(ids([second, late, next]));
      });

      it('suppresses later events carrying an erased id as userId, anonymousId or previousId, until the end of the period', async () => {
        const { storage } = await fresh();
        const erased = storedEvent(day(1), { anonymousId: 'A' });
        await storage.append(input([erased, storedEvent(day(2), { type: 'identify', anonymousId: 'A', userId: 'U' })]));
        await erase(storage, 'U');
        const later = [
          { ...erased, receivedAt: LATER }, // a client's resend of an erased event (same messageId)
          storedEvent(day(8), { userId: 'U', ...received(LATER) }),
          storedEvent(day(8), { type: 'alias', previousId: 'U', userId: 'X', ...received(LATER) }),
          storedEvent(day(8), { anonymousId: 'other', ...received(LATER) }),
        ];
        const rejected = [{ raw: JSON.stringify({ anonymousId: 'A' }), reason: 'bad', writeKey: 'wk', receivedAt: LATER }];
        await expect(storage.append(input(later, { rejected }))).resolves.toEqual({ stored: [false, false, false, true], suppressed: 3 });
        expect(await storage.findSubject('U')).toEqual({ status: 'unknown' });
        expect(await storage.listRejected()).toEqual([]);
        // Past the period, the same ids are new data again.
        const after = storedEvent(day(9), { userId: 'U', ...received(UNTIL) });
        await expect(storage.append(input([after]))).resolves.toEqual({ stored: [true] });
      });

      it('does not suppress when the erasure asks for no suppression', async () => {
        const { storage } = await fresh();
        await storage.append(input([storedEvent(day(1), { userId: 'U' })]));
        expect(await erase(storage, 'U', null)).toMatchObject({ suppressedUntil: null, counts: { suppressedIds: 0 } });
        await expect(storage.append(input([storedEvent(day(2), { userId: 'U', ...received(LATER) })]))).resolves.toEqual({ stored: [true] });
      });

      it('makes an erasure by one storage seen by another open on the same database', async () => {
        const { storage, file } = await fresh();
        const other = await reopen(file);
        await storage.append(input([storedEvent(day(1), { userId: 'U' })]));
        await other.append(input([storedEvent(day(1), { userId: 'V' })])); // the other writer has loaded its state
        const generation = await other.generation();
        await erase(storage, 'U');
        expect(await other.generation()).toBeGreaterThan(generation);
        await expect(other.append(input([storedEvent(day(2), { userId: 'U', ...received(LATER) })]))).resolves.toMatchObject({ suppressed: 1 });
        await storage.close();
        const reopened = await reopen(file);
        await expect(reopened.append(input([storedEvent(day(2), { userId: 'U', ...received(LATER) })]))).resolves.toMatchObject({ suppressed: 1 });
      });

      it('finds and erases rejected events of an anonymous visitor, and only theirs', async () => {
        const { storage } = await fresh();
        await storage.append(
          input([storedEvent(day(1), { anonymousId: 'V' })], {
            rejected: [
              { raw: JSON.stringify({ anonymousId: 'V', event: 7 }), reason: 'a', writeKey: 'wk', receivedAt: RECEIVED },
              { raw: JSON.stringify({ anonymousId: 'W', properties: { note: 'not V' } }), reason: 'b', writeKey: 'wk', receivedAt: RECEIVED },
            ],
          }),
        );
        expect((await allRejected(storage, 'V')).map((r) => r.reason)).toEqual(['a']);
        expect(await erase(storage, 'V')).toMatchObject({ counts: { events: 1, rejectedEvents: 1, anonymousIds: 1 } });
        expect((await storage.listRejected()).map((r) => r.reason)).toEqual(['b']);
        expect(await storage.getProfile('V')).toBeNull();
      });

      it('purges events older than the cutoff and rejected events received before it, in chunks; a dry run only counts', async () => {
        const { storage } = await fresh();
        const old = Array.from({ length: 12_000 }, (_, i) => storedEvent(day(1), { anonymousId: `old-${i % 50}` }));
        await storage.append(input(old));
        const kept = storedEvent(day(20), { anonymousId: 'old-1' });
        await storage.append(
          input([kept, storedEvent(day(2), { userId: 'late-arrival' })], {
            rejected: [
              { raw: '{}', reason: 'old', writeKey: 'wk', receivedAt: day(1) },
              { raw: '{}', reason: 'new', writeKey: 'wk', receivedAt: day(20) },
            ],
          }),
        );
        const before = day(10);
        const generation = await storage.generation();
        expect(await storage.purge({ before, now: RECEIVED, dryRun: true })).toEqual({ events: 12_001, rejectedEvents: 1 });
        expect(await storage.generation()).toBe(generation);
        expect(await storage.purge({ before, now: RECEIVED })).toEqual({ events: 12_001, rejectedEvents: 1 });
        expect(await storage.countEvents({})).toBe(1);
        expect(ids(await storage.getProfileEvents('old-1'))).toEqual([kept.messageId]);
        expect((await factsPage(storage, null, 100, FACTS_PREFIX)).rows).toHaveLength(1);
        expect(await storage.getProfile('old-2')).toBeNull();
        expect((await storage.listRejected()).map((r) => r.reason)).toEqual(['new']);
        expect(await storage.generation()).toBeGreaterThan(generation);
        expect(await storage.purge({ before, now: RECEIVED })).toEqual({ events: 0, rejectedEvents: 0 });
      });
    });
  });
}
