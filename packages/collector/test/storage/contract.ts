// The storage contract: every backend runs this suite. Each test opens its own fresh database
// (a new file under os.tmpdir()) so tests never depend on each other's state.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredEvent } from '../../../sdk/src/types';
import { StorageUnavailableError } from '../../src/errors';
import { CONFLICT_REASON, type AppendInput, type Storage } from '../../src/storage/types';

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

export function runStorageContract(name: string, openFn: (file: string) => Promise<Storage>): void {
  describe(`storage contract: ${name}`, () => {
    let cleanups: (() => unknown)[] = [];
    afterEach(async () => {
      for (const fn of cleanups.reverse()) await fn();
      cleanups = [];
    });

    /** A fresh database; `file` reopens the same one. */
    async function fresh(): Promise<{ storage: Storage; file: string }> {
      const dir = mkdtempSync(join(tmpdir(), 'spur-contract-'));
      const file = join(dir, 'store.db');
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      return { storage: await reopen(file), file };
    }
    async function reopen(file: string): Promise<Storage> {
      const storage = await openFn(file);
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
      const early = storedEvent(day(1), { anonymousId: 'A' });
      const first = storedEvent(day(2), { type: 'identify', anonymousId: 'A', userId: 'U1' });
      const middle = storedEvent(day(3), { anonymousId: 'A' });
      const second = storedEvent(day(5), { type: 'identify', anonymousId: 'A', userId: 'U2' });
      const late = storedEvent(day(6), { anonymousId: 'A' });
      await storage.append(input([early, first, middle, second, late]));
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
  });
}
