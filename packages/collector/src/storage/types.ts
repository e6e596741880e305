// The storage contract. Every method is asynchronous so that a networked backend (PostgreSQL,
// shared by several collector processes) can implement it unchanged; no caller may rely on
// in-process state for correctness: dedupe, identity and profiles all come from the database.
import type { Profile, StoredEvent } from '../../../sdk/src/types';
import type { IdentityGraph } from '../analytics/profiles';

/** Reason kept with an event whose messageId was already stored with another payload. */
export const CONFLICT_REASON = 'conflict: messageId already stored with a different payload';

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
  /** Per input event: true if stored now, false if its messageId was already stored (duplicate). */
  stored: boolean[];
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
