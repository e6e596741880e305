// A real collector for the client-library tests: createCollector + startServer on 127.0.0.1 with
// a temporary SQLite file, and what a test reads back (stored and rejected events, profiles via
// the admin API). Its clock runs an hour ahead of the machine's, as a server's clock may run
// ahead of a visitor's: an event stored with the client's time keeps that time as
// originalTimestamp, and its timestamp is corrected by sentAt onto the collector's clock.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Profile, StoredEvent } from '@spur/sdk';
import { createCollector, createLogger, createStore, openSqliteStorage, startServer, type RejectedEvent, type Store } from '../../src';

export const WRITE_KEY = 'wk_clients';
export const ADMIN_TOKEN = 'clients-admin-token';
/** How far the collector's clock runs ahead of the clients'. */
export const SKEW_MS = 60 * 60 * 1000;

export interface TestCollector {
  url: string;
  /** The collector's store, for reads a test makes beside the HTTP API. */
  storage: Store;
  /** Every stored event, in storage order. */
  events(): Promise<StoredEvent[]>;
  rejected(): Promise<RejectedEvent[]>;
  /** GET /v1/profiles/:id through the admin API; null on 404. */
  profile(id: string): Promise<Profile | null>;
  close(): Promise<void>;
}

/** Starts a collector whose write key allows `origins` (browser pages); close() removes its files. */
export async function startCollector(origins: string[] = []): Promise<TestCollector> {
  const dir = mkdtempSync(join(tmpdir(), 'spur-clients-'));
  const storage = createStore(await openSqliteStorage(join(dir, 'spur.db')));
  const app = createCollector({
    storage,
    writeKeys: { [WRITE_KEY]: origins },
    adminToken: ADMIN_TOKEN,
    now: () => Date.now() + SKEW_MS,
    // Server-side failures on stderr, where a failing client test shows them.
    logger: createLogger({ level: 'error', destination: process.stderr }),
  });
  const server = await startServer(app, { port: 0, host: '127.0.0.1', storage });
  return {
    url: server.url,
    storage,
    async events() {
      return (await storage.eventsAfter(null, 10_000)).rows;
    },
    rejected: () => storage.listRejected(),
    async profile(id) {
      const res = await fetch(`${server.url}/v1/profiles/${encodeURIComponent(id)}`, {
        headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      if (res.status === 404) return null;
      if (!res.ok) throw new Error(`GET /v1/profiles/${id}: ${res.status} ${await res.text()}`);
      return (await res.json()) as Profile;
    },
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The one stored event of `type` (and `name`: the track event or page/screen name); fails unless there is exactly one. */
export function only(events: StoredEvent[], type: string, name?: string): StoredEvent {
  const found = events.filter((e) => e.type === type && (name === undefined || e.event === name || e.name === name));
  if (found.length !== 1) {
    throw new Error(`expected one ${type}${name ? ` "${name}"` : ''} event, found ${found.length}: ${JSON.stringify(events.map((e) => [e.type, e.event ?? e.name]))}`);
  }
  return found[0];
}

/**
 * Checks the client's own time of an event: originalTimestamp between `from` and `to` (the
 * client's clock), and timestamp that time moved onto the collector's clock (sentAt correction).
 */
export function expectClientTime(event: StoredEvent, from: number, to: number): void {
  const original = Date.parse(event.originalTimestamp);
  expect(original).toBeGreaterThanOrEqual(from);
  expect(original).toBeLessThanOrEqual(to);
  // receivedAt is the collector's clock, an hour ahead; the corrected time lands within the
  // request's transit time after originalTimestamp + SKEW_MS.
  const shift = Date.parse(event.timestamp) - original;
  expect(shift).toBeGreaterThanOrEqual(SKEW_MS - 1000);
  expect(shift).toBeLessThanOrEqual(SKEW_MS + (to - from) + 1000);
}

/** What every client sends in these tests: one call of each type it has, with these contents. */
export const CALLS = {
  page: { name: 'Home', properties: { section: 'start' } },
  track: { event: 'Product Viewed', properties: { product_id: 'p-1', price: 24 } },
  screen: { name: 'Checkout', properties: { step: 2 } },
  identify: { traits: { email: 'ada@example.com', plan: 'pro' } },
  group: { groupId: 'g-1', traits: { name: 'ACME' } },
  alias: { previousId: 'guest-7' },
} as const;

export type CallType = keyof typeof CALLS;

export interface Expected {
  /** The call types the client has (and the test made, once each). */
  types: CallType[];
  userId: string;
  /** The anonymous id the client used; read from the stored page event when the client chose it. */
  anonymousId?: string;
  /** context.library.name as the client sends it. */
  library: string;
  /** Where the client puts a page's name: `name` (Segment's spec) or `properties.name` (Jitsu). */
  pageName?: 'name' | 'properties';
  /** The client's clock around the calls (ms). */
  from: number;
  to: number;
}

/**
 * Checks that each call landed once, with its ids, contents, context and the client's time, that
 * nothing was rejected, and that identify stitched the anonymous id to the customer with its traits.
 * Returns the anonymous id.
 */
export async function expectJourney(c: TestCollector, want: Expected): Promise<string> {
  const events = await c.events();
  expect(await c.rejected()).toEqual([]);
  expect(events.map((e) => e.type).sort()).toEqual([...want.types].sort());
  const anonymousId = want.anonymousId ?? only(events, 'identify').anonymousId;
  expect(typeof anonymousId).toBe('string');
  for (const type of want.types) {
    const e = only(events, type);
    expectClientTime(e, want.from, want.to);
    expect(e.context?.library?.name).toBe(want.library);
    if (type === 'page') {
      if (want.pageName === 'properties') expect(e.properties?.name).toBe(CALLS.page.name);
      else expect(e.name).toBe(CALLS.page.name);
      expect(e.properties).toMatchObject(CALLS.page.properties);
    } else if (type === 'track') {
      expect(e.event).toBe(CALLS.track.event);
      expect(e.properties).toMatchObject(CALLS.track.properties);
    } else if (type === 'screen') {
      expect(e.name).toBe(CALLS.screen.name);
      expect(e.properties).toMatchObject(CALLS.screen.properties);
    } else if (type === 'identify') {
      expect(e.traits).toMatchObject(CALLS.identify.traits);
    } else if (type === 'group') {
      expect(e.groupId).toBe(CALLS.group.groupId);
      expect(e.traits).toMatchObject(CALLS.group.traits);
    } else {
      expect(e.previousId).toBe(CALLS.alias.previousId);
    }
    // Before identify only the anonymous id; from identify on, the customer too (alias: userId only).
    if (type !== 'alias') expect(e.anonymousId).toBe(anonymousId);
    if (type === 'identify' || type === 'group' || type === 'alias') expect(e.userId).toBe(want.userId);
  }
  const profile = await c.profile(anonymousId!);
  expect(profile).toMatchObject({ id: want.userId, customerId: want.userId, traits: CALLS.identify.traits });
  expect(profile?.anonymousIds).toContain(anonymousId);
  return anonymousId!;
}
