// The storage contract for the rejected events of data subjects: every backend runs it. A
// rejected event failed validation, so a subject's ids may be anywhere in it; access shows, and
// erasure removes, every rejected event that carries them, and nothing of anyone else.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore, type Store } from '../../src/rules/store';
import type { RejectedEvent, Storage } from '../../src/storage/types';
import { storedEvent } from './contract';

const RECEIVED = '2024-05-01T12:00:00.000Z';
const UNTIL = '2024-06-01T00:00:00.000Z';
const day = (d: number) => `2024-01-${String(d).padStart(2, '0')}T00:00:00.000Z`;

/** A rejected event whose reason names it, as ingest keeps it. */
const rejected = (reason: string, event: unknown, receivedAt = RECEIVED): RejectedEvent => ({
  raw: typeof event === 'string' ? event : JSON.stringify(event),
  reason,
  writeKey: 'wk',
  receivedAt,
});

export function runRejectedContract(name: string, openFn: (file: string) => Promise<Storage>): void {
  describe(`storage contract: ${name}: rejected events of data subjects`, () => {
    let cleanups: (() => unknown)[] = [];
    afterEach(async () => {
      for (const fn of cleanups.reverse()) await fn();
      cleanups = [];
    });
    async function fresh(): Promise<Store> {
      const dir = mkdtempSync(join(tmpdir(), 'spur-contract-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      const storage = createStore(await openFn(join(dir, 'store.db')));
      cleanups.push(() => storage.close());
      return storage;
    }
    async function reasonsOf(storage: Store, id: string): Promise<string[]> {
      const found = await storage.findSubject(id);
      if (found.status !== 'found') throw new Error(`${id}: ${found.status}`);
      const reasons: string[] = [];
      for (let cursor: number | null = 0; cursor !== null; ) {
        const slice = await storage.subjectRejected(found.subject, cursor);
        reasons.push(...slice.rows.map((r) => r.reason));
        cursor = slice.cursor;
      }
      return reasons;
    }
    const erase = (storage: Store, id: string) => storage.eraseSubject(id, { at: RECEIVED, suppressUntil: UNTIL });

    it('finds its ids and the emails of its traits anywhere in a rejected event, and erases exactly those', async () => {
      const storage = await fresh();
      await storage.append({
        writeKey: 'wk',
        events: [
          storedEvent(day(1), { type: 'identify', anonymousId: 'anon_1', userId: 'cus_1', traits: { email: 'Ada.Lovelace@Example.com' } }),
          storedEvent(day(1), { type: 'identify', anonymousId: 'anon_2', userId: 'cus_2', traits: { email: 'bob@example.com' } }),
        ],
        // One request's rejects, the subject's and another's mixed: the row keeps the other's.
        rejected: [
          rejected('array', { type: 'track', event: 'X', userId: ['cus_1'] }),
          rejected('other', { type: 'track', userId: 'cus_2', event: 5, properties: { note: 'cus_10', text: 'ask cus_1 later' } }),
          rejected('nested', { type: 'track', event: 7, properties: { order: { customer: { id: 'cus_1' } } } }),
          rejected('context', { type: 'page', context: { externalIds: [{ id: 'anon_1', type: 'cookie' }] } }),
          rejected('traits email', { type: 'identify', traits: { email: '  ADA.LOVELACE@example.COM ' } }),
          rejected('properties email', { type: 'track', event: 'Signup', properties: { email: 'ada.lovelace@example.com' } }),
          rejected('context email', { type: 'track', event: 'Y', context: { traits: { email: 'Ada.Lovelace@Example.com' } } }),
          rejected('other email', { type: 'track', event: 'Signup', properties: { email: 'bob@example.com' } }),
          rejected('not json', '{"userId":["cus_1"], broken'),
        ],
      });
      const mine = ['array', 'nested', 'context', 'traits email', 'properties email', 'context email', 'not json'];
      expect(await reasonsOf(storage, 'cus_1')).toEqual(mine);
      expect(await reasonsOf(storage, 'cus_2')).toEqual(['other', 'other email']);

      expect(await erase(storage, 'cus_1')).toMatchObject({ status: 'erased', counts: { rejectedEvents: mine.length } });
      expect((await storage.listRejected()).map((r) => r.reason)).toEqual(['other', 'other email']);
      expect(await reasonsOf(storage, 'cus_2')).toEqual(['other', 'other email']);
      // What stays is as it was sent.
      expect(JSON.parse((await storage.listRejected())[0].raw)).toEqual({ type: 'track', userId: 'cus_2', event: 5, properties: { note: 'cus_10', text: 'ask cus_1 later' } });
      // Later rejected events carrying the erased id anywhere are not kept.
      await storage.append({
        writeKey: 'wk',
        events: [],
        rejected: [rejected('late', { type: 'track', properties: { who: ['cus_1'] } }, '2024-05-02T00:00:00.000Z'), rejected('kept', { type: 'track' }, '2024-05-02T00:00:00.000Z')],
      });
      expect((await storage.listRejected()).map((r) => r.reason)).toEqual(['other', 'other email', 'kept']);
    });

    it('counts a number as an id only where ids go', async () => {
      const storage = await fresh();
      await storage.append({
        writeKey: 'wk',
        events: [storedEvent(day(1), { userId: '42' })],
        rejected: [
          rejected('number', { type: 'track', userId: 42, event: 1 }),
          rejected('numbers', { type: 'track', previousId: [41, 42] }),
          rejected('quantity', { type: 'track', anonymousId: 'x', event: 2, properties: { quantity: 42 } }),
        ],
      });
      expect(await reasonsOf(storage, '42')).toEqual(['number', 'numbers']);
    });

    it("on a shared device, gives a rejected event without userId to whoever owned the device when it arrived", async () => {
      const storage = await fresh();
      await storage.append({
        writeKey: 'wk',
        events: [
          storedEvent(day(2), { type: 'identify', anonymousId: 'A', userId: 'U1' }),
          storedEvent(day(5), { type: 'identify', anonymousId: 'A', userId: 'U2' }),
        ],
        rejected: [],
      });
      await storage.append({ writeKey: 'wk', events: [], rejected: [rejected('U1 time', { anonymousId: 'A', event: 5 }, day(3))] });
      await storage.append({
        writeKey: 'wk',
        events: [],
        rejected: [rejected('U1 time, odd place', { type: 'track', properties: { device: 'A' } }, day(4))],
      });
      await storage.append({
        writeKey: 'wk',
        events: [],
        rejected: [rejected('U2 time', { anonymousId: 'A', event: 5 }, day(6)), rejected('names U2', { anonymousId: 'A', userId: ['U2'] }, day(6))],
      });
      expect(await reasonsOf(storage, 'U1')).toEqual(['U1 time', 'U1 time, odd place']);
      expect(await reasonsOf(storage, 'U2')).toEqual(['U2 time', 'names U2']);
      expect(await erase(storage, 'U1')).toMatchObject({ counts: { rejectedEvents: 2 } });
      expect((await storage.listRejected()).map((r) => r.reason)).toEqual(['U2 time', 'names U2']);
    });
  });
}
