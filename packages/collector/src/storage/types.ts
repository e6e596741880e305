// The storage contract. Every method is asynchronous so that a networked backend (PostgreSQL,
// shared by several collector processes) can implement it unchanged; no caller may rely on
// in-process state for correctness: dedupe, identity and profiles all come from the database.
import type { Profile, StoredEvent } from '@spur/sdk';
import type { AliasEdge, IdentityGraph } from '../analytics/profiles';
import type { IdentityLink } from '../rules/identity';

/** Reason kept with an event whose messageId was already stored with another payload. */
export const CONFLICT_REASON = 'conflict: messageId already stored with a different payload';

/** Write key recorded on events the collector derives itself (Cart Abandoned). */
export const DERIVED_WRITE_KEY = 'spur:derived';

/** One ingest request's worth of writes, committed atomically with others of its group. */
export interface AppendInput {
  /** The write key the request was authorized with. */
  writeKey: string;
  /** Valid events; `messageId` is the dedupe key across all time. */
  events: StoredEvent[];
  /** Events that failed validation; kept so nothing is silently dropped. */
  rejected: RejectedEvent[];
}

export interface AppendResult {
  /**
   * Per input event: true if stored now, false if its messageId was already stored (duplicate)
   * or it was suppressed.
   */
  stored: boolean[];
  /**
   * How many of the events were not stored because they carry an id of an erased data subject
   * (eraseSubject); absent when none was.
   */
  suppressed?: number;
}

/** An event that failed validation, as kept in the rejected-events table. */
export interface RejectedEvent {
  /** The event as received, serialized as JSON. */
  raw: string;
  reason: string;
  /** The client's messageId when it sent a string one. */
  messageId?: string;
  writeKey: string;
  receivedAt: string;
}

/** A time range of events, epoch ms: [from, to); an absent end is open. */
export interface EventRange {
  from?: number;
  to?: number;
}

/** A stored event as its JSON text, with its row number and time. */
export interface RawEvent {
  seq: number;
  timestamp: string;
  body: string;
}

/**
 * A data subject (GDPR Art. 15 and 17): a customer id with every id stitched to it, or an
 * anonymous id that never identified.
 */
export interface DataSubject {
  /** The id the request named. */
  requestedId: string;
  /** The customer id the profile is keyed by (after aliases); null for an anonymous visitor. */
  customerId: string | null;
  /** Every customer id merged into customerId by alias, customerId first; empty for a visitor. */
  customerIds: string[];
  /** Its anonymous ids, first linked first (as the profile lists them). */
  anonymousIds: string[];
  /**
   * Those of anonymousIds also linked to another customer (a shared device). Their events stay
   * with whoever owns them at their time; only the subject's part is shown and erased.
   */
  sharedAnonymousIds: string[];
  /** The identity links of customerIds. */
  links: IdentityLink[];
  /** The alias edges from or into customerIds. */
  aliases: AliasEdge[];
}

/**
 * What an id names: a subject; nothing; or an anonymous id that identified as a customer, whose
 * requests are made with the customer id (it may hold another customer's history too).
 */
export type SubjectLookup = { status: 'found'; subject: DataSubject } | { status: 'unknown' } | { status: 'linked' };

/** A stored event of a subject, without its body: enough to order and fetch it. */
export interface SubjectEventKey {
  seq: number;
  type: string;
  timestamp: string;
  receivedAt: string;
}

/** A rejected event with the number of the row that holds it (the cursor of subjectRejected). */
export interface RejectedRow extends RejectedEvent {
  id: number;
}

/** What one erasure removed, per kind. */
export interface ErasureCounts {
  /** Stored events, Cart Abandoned events excluded. */
  events: number;
  /** Cart Abandoned events the collector derived from them. */
  derivedEvents: number;
  identityLinks: number;
  aliases: number;
  rejectedEvents: number;
  /** Anonymous ids of the subject only, gone with everything they carried. */
  anonymousIds: number;
  /** Ids whose later events are suppressed (0 when suppression is off). */
  suppressedIds: number;
}

export type ErasureOutcome =
  | {
      status: 'erased';
      erasedAt: string;
      suppressedUntil: string | null;
      counts: ErasureCounts;
      /**
       * Whether no copy is left in the database files either (SQLite: the WAL was emptied).
       * False when readers kept an old snapshot too long: the data is gone from every table, but
       * older copies remain in the files until asking again (the same id) finishes the erasure.
       */
      scrubbed: boolean;
    }
  | { status: 'unknown' }
  | { status: 'linked' };

/** The one trace an erasure leaves: a keyed hash of the requested id, the counts, the time. */
export interface ErasureRecord {
  /** HMAC-SHA256 of the requested id, keyed with the database's own random salt (hex). */
  subjectHash: string;
  erasedAt: string;
  counts: ErasureCounts;
}

/** What a retention purge removed (or, dry, would remove). */
export interface PurgeCounts {
  /** Events (Cart Abandoned included) whose timestamp is before the cutoff. */
  events: number;
  /** Rejected events received before their cutoff. */
  rejectedEvents: number;
}

export interface Storage {
  /**
   * Stores events and rejected events. Resolves only after the data is durably committed;
   * rejects with StorageUnavailableError when the database cannot take it.
   * Also records the identity graph: a link for every event carrying anonymousId and userId,
   * and an alias for every alias event.
   * A messageId already stored is a duplicate (`stored: false`). When what the client authored
   * differs (fingerprint.ts), the newcomer is also kept in rejected events with a reason
   * starting `conflict:` (once per distinct payload); a plain resend is not a conflict.
   */
  append(input: AppendInput): Promise<AppendResult>;
  /** Profile of a customer id or of any anonymous id; null when the id was never seen. */
  getProfile(id: string): Promise<Profile | null>;
  /** The profile's events in time order (timestamp, then receivedAt); null when unknown. */
  getProfileEvents(id: string, options?: { limit?: number }): Promise<StoredEvent[] | null>;
  /**
   * Up to `limit` stored events after row `afterSeq`, in row (arrival) order, each with its row
   * number: how the analytics cache catches up, reading only what is new.
   */
  eventsAfter(afterSeq: number, limit: number): Promise<{ seq: number; event: StoredEvent }[]>;
  /** The row number of the latest stored event (0 when there is none): how far a catch-up goes. */
  lastSeq(): Promise<number>;
  /** Every identity link and alias, read at one moment. */
  identityGraph(): Promise<IdentityGraph>;
  /**
   * Up to `limit` events with their time in `range`, after row `afterSeq`, in row order, as the
   * stored JSON text: the events export, page by page, without parsing and re-serialising.
   */
  eventPage(range: EventRange, afterSeq: number, limit: number): Promise<RawEvent[]>;
  /** How many stored events have their time in `range`. */
  countEvents(range: EventRange): Promise<number>;
  /** Rejected events, oldest first. */
  listRejected(options?: { limit?: number }): Promise<RejectedEvent[]>;
  /** What `id` names, for a data subject request. */
  findSubject(id: string): Promise<SubjectLookup>;
  /**
   * Keys of the subject's stored events in time order (timestamp, receivedAt, row): events with
   * one of its customer ids, and anonymous-only events of its anonymous ids that it owns at their
   * time (identity.ts) or that are Cart Abandoned events naming it. Read page by page.
   */
  subjectEvents(subject: DataSubject): Promise<SubjectEventKey[]>;
  /** The stored JSON of events by row number, in the order asked; rows gone since are skipped. */
  eventsBySeq(seqs: readonly number[]): Promise<RawEvent[]>;
  /**
   * Rejected events carrying one of the subject's ids anywhere (top level, nested, in arrays, in
   * properties or context), or an email address of its identify traits (trimmed, any case); on a
   * shared anonymous id, those without userId received while the subject owned it. A slice per
   * call from `cursor` (start with 0), found by lookup (its cost grows with what matches, not
   * with the table); `cursor` is null at the end.
   */
  subjectRejected(subject: DataSubject, cursor: number): Promise<{ rows: RejectedRow[]; cursor: number | null }>;
  /**
   * Erases everything subjectEvents, subjectRejected and findSubject show of the subject, in
   * one transaction, and keeps an ErasureRecord; resolves once no copy is left in the database
   * files (see `scrubbed`). Asked again for an id whose erasure is not scrubbed yet, tries to
   * finish it and answers that erasure. Until `suppressUntil` (receipt time), events
   * carrying one of its customer ids or anonymous ids of its own are not stored (a shared
   * anonymous id is not suppressed: it is someone else's too). Bumps generation().
   */
  eraseSubject(id: string, options: { at: string; suppressUntil: string | null }): Promise<ErasureOutcome>;
  /** Erasures, oldest first. */
  listErasures(): Promise<ErasureRecord[]>;
  /**
   * Deletes events whose timestamp is before `before` (none when null) and rejected events
   * received before `rejectedBefore` (default: `before`; none when null), in small
   * transactions so that appends go on meanwhile, and suppressions expired by `now`. Bumps
   * generation() when events went. `dryRun` only counts.
   */
  purge(options: { before: string | null; rejectedBefore?: string | null; now: string; dryRun?: boolean }): Promise<PurgeCounts>;
  /**
   * A counter that every erasure and every purge that deleted events increases, in the
   * database: caches of stored events (the analytics engine) start over when it changed.
   */
  generation(): Promise<number>;
  /**
   * Resolves when the database can take a write now; used by /readyz. Rejects with
   * StorageUnavailableError whose `reason` names the failure (disk_full, read_only, locked, ...).
   * A backend commits a real write (cheaply, with the appends of the moment) rather than only
   * reading, and keeps reporting an append failure for a while even if its own probe passes.
   */
  ping(): Promise<void>;
  /** Commits what is queued, then closes. Idempotent; later calls fail with StorageUnavailableError. */
  close(): Promise<void>;
}
