// Data subject requests (GDPR Art. 15 access, Art. 17 erasure), for the admin API and for
// `spur privacy`. Who the subject is and what is theirs is decided by storage, with the identity
// rules of profiles (storage/sqlite/privacy.ts); this module words the answers.
import { createAnalyticsService, type AnalyticsService, type AnalyticsServiceOptions } from './jobs/catch-up';
import type { AbandonedCart } from './analytics';
import { HttpError, notFound, RETRY_AFTER_SECONDS } from './errors';
import { mergeTraits } from './rules/identity';
import type { Profile, StoredEvent } from '@spur/sdk';
import { DEFAULT_SUPPRESS_DAYS } from './settings';
import { createStore, type Store } from './rules/store';
import type { DataSubject, SubjectEventKey } from './rules/subjects';
import type { ErasureCounts, Storage } from './storage/types';

export { DEFAULT_SUPPRESS_DAYS };
const DAY_MS = 24 * 60 * 60 * 1000;
/** Event bodies read per storage call while streaming. */
const BODY_PAGE = 1000;

export interface SubjectOptions extends AnalyticsServiceOptions {
  /** The collector's analytics cache, for the subject's carts; a one-off one when absent. */
  analytics?: AnalyticsService;
  /** The clock carts are abandoned by. @defaultValue Date.now */
  now?: () => number;
}

export interface SubjectAccess {
  subject: DataSubject;
  /** One JSON document, in pieces; events and rejected events are read as it is consumed. */
  chunks: AsyncIterable<string>;
}

export interface SubjectErasure {
  ok: true;
  erasedAt: string;
  /** Until when later events carrying the erased ids are not stored; null when not at all. */
  suppressedUntil: string | null;
  counts: ErasureCounts;
}

// 404 for an unknown id, 409 for an anonymous id that identified (the customer id decides).
async function findSubject(storage: Store, id: string): Promise<DataSubject> {
  const found = await storage.findSubject(id);
  if (found.status === 'found') return found.subject;
  if (found.status === 'linked') throw linked(id);
  throw notFound(`nothing is stored about ${JSON.stringify(id)}`);
}

const linked = (id: string) =>
  new HttpError(
    409,
    'identified_anonymous_id',
    `${JSON.stringify(id)} is an anonymous id that identified as a customer: make the request with the customer id ` +
      `(GET /v1/profiles/${encodeURIComponent(id)} names it)`,
  );

const tick = () => new Promise((resolve) => setImmediate(resolve));

// The profile as GET /v1/profiles/:id shows it, from the keys and the identify events alone, so
// that a customer with 100,000 events is not parsed at once.
async function profileOf(storage: Store, subject: DataSubject, keys: SubjectEventKey[]): Promise<Profile> {
  const identifies = keys.filter((k) => k.type === 'identify').map((k) => k.seq);
  const events: StoredEvent[] = [];
  for (let i = 0; i < identifies.length; i += BODY_PAGE) {
    for (const row of await storage.eventsBySeq(identifies.slice(i, i + BODY_PAGE))) events.push(JSON.parse(row.body));
  }
  return {
    id: subject.customerId ?? subject.anonymousIds[0],
    customerId: subject.customerId,
    anonymousIds: subject.anonymousIds,
    traits: mergeTraits(events),
    firstSeen: keys.length ? keys[0].timestamp : null,
    lastSeen: keys.length ? keys[keys.length - 1].timestamp : null,
    eventCount: keys.length,
  };
}

/**
 * Everything stored about a customer (or an anonymous visitor who never identified): subject,
 * profile, identity links and aliases, abandoned carts, every event in time order (as stored),
 * and the rejected events that carry its ids. Throws 404 / 409 HttpErrors before any output.
 */
export async function subjectAccess(backend: Storage, id: string, options: SubjectOptions = {}): Promise<SubjectAccess> {
  const storage = createStore(backend);
  const subject = await findSubject(storage, id);
  const now = (options.now ?? Date.now)();
  // Only reads: the subject's Cart Abandoned events are those the abandonment job recorded.
  const analytics = await (options.analytics ?? createAnalyticsService(storage, options)).refresh();
  const keys = await storage.subjectEvents(subject);
  const profile = await profileOf(storage, subject, keys);
  const mine = (c: AbandonedCart) =>
    subject.customerId !== null ? c.customerId === subject.customerId : c.customerId === null && c.profileId === subject.requestedId;
  // A subject's data includes what a bot did under its ids: figures leave bots out, access does not.
  const carts = analytics.abandonedCarts({ asOf: now, includeBots: true }).filter(mine);
  const head = {
    subject: {
      id: subject.requestedId,
      customerId: subject.customerId,
      customerIds: subject.customerIds,
      anonymousIds: subject.anonymousIds,
      sharedAnonymousIds: subject.sharedAnonymousIds,
    },
    generatedAt: new Date(now).toISOString(),
    profile,
    identity: { links: subject.links, aliases: subject.aliases },
    abandonedCarts: carts,
  };

  async function* chunks(): AsyncGenerator<string> {
    let out = JSON.stringify(head).slice(0, -1) + ',"events":[';
    let events = 0;
    for (let i = 0; i < keys.length; i += BODY_PAGE) {
      for (const row of await storage.eventsBySeq(keys.slice(i, i + BODY_PAGE).map((k) => k.seq))) {
        out += (events++ === 0 ? '\n' : ',\n') + row.body;
      }
      if (out.length >= 65536) {
        yield out;
        out = '';
      }
      await tick(); // the reads are synchronous underneath: requests get their turn
    }
    out += '],"rejectedEvents":[';
    let rejected = 0;
    for (let cursor: number | null = 0; cursor !== null; ) {
      const slice = await storage.subjectRejected(subject, cursor);
      for (const { id: _row, ...row } of slice.rows) out += (rejected++ === 0 ? '\n' : ',\n') + JSON.stringify(row);
      cursor = slice.cursor;
      if (out.length >= 65536) {
        yield out;
        out = '';
      }
      await tick();
    }
    yield `${out}],"counts":${JSON.stringify({ events, rejectedEvents: rejected, abandonedCarts: carts.length })}}\n`;
  }
  return { subject, chunks: chunks() };
}

/**
 * Erases everything stored about the subject (storage.eraseSubject) and suppresses its ids for
 * `suppressDays` (DEFAULT_SUPPRESS_DAYS; 0 = no suppression). Throws 404 / 409 HttpErrors, and
 * a 503 `erasure_incomplete` when the rows are gone but older copies are still in the database
 * files (readers held the WAL): asking again finishes it and answers this erasure.
 */
export async function subjectErasure(
  backend: Storage,
  id: string,
  options: { now?: () => number; suppressDays?: number } = {},
): Promise<SubjectErasure> {
  const storage = createStore(backend);
  const now = (options.now ?? Date.now)();
  const days = options.suppressDays ?? DEFAULT_SUPPRESS_DAYS;
  const suppressUntil = days > 0 ? new Date(now + days * DAY_MS).toISOString() : null;
  const outcome = await storage.eraseSubject(id, { at: new Date(now).toISOString(), suppressUntil });
  if (outcome.status === 'linked') throw linked(id);
  if (outcome.status === 'unknown') throw notFound(`nothing is stored about ${JSON.stringify(id)}`);
  if (!outcome.scrubbed) {
    throw new HttpError(
      503,
      'erasure_incomplete',
      `${JSON.stringify(id)} is erased from every table, but older copies are still in the database's write-ahead log: ` +
        'a reader kept an old snapshot open too long; repeat this request to finish the erasure',
      { 'Retry-After': String(RETRY_AFTER_SECONDS) },
    );
  }
  return { ok: true, erasedAt: outcome.erasedAt, suppressedUntil: outcome.suppressedUntil, counts: outcome.counts };
}
