// The storage contract of webhooks: endpoints, the outbox of deliveries and the log of attempts.
// Every backend keeps them in the database (SQLite migration 8, PostgreSQL migration 5), so that a
// delivery outlives its process and `spur webhooks` on the file or the database reaches the
// collectors that run on it. As everywhere in storage, a backend only reads and writes: which
// events fire, what a payload holds, when to retry and what a 410 means are decided above it
// (src/webhooks/). The primitives run inside write transactions (WriteTransaction.webhooks), so
// that an outbox row commits with the event that caused it.

/** An answer at once (SQLite) or later (PostgreSQL). */
type Answer<T> = T | Promise<T>;

/** A receiver of webhooks. Times are ISO strings. */
export interface EndpointRow {
  /** `ep_` and 24 hex digits. */
  id: string;
  url: string;
  /** The webhook types it receives (cart.abandoned, order.completed, survey.answered). */
  events: string[];
  /** The signing secret, `whsec_` and base64. */
  secret: string;
  /** The secret before the last rotation, still signed with until previousUntil; null when none. */
  previousSecret: string | null;
  previousUntil: string | null;
  enabled: boolean;
  createdAt: string;
  /** Why it was disabled (a 410 from the receiver), null while enabled. */
  disabledReason: string | null;
}

/** One delivery to make: a message to one endpoint, attempted until it is delivered or given up. */
export interface OutboxRow {
  /** The webhook-id, `msg_` and 32 hex digits: the same on every attempt. */
  messageId: string;
  endpointId: string;
  /** The webhook type. */
  type: string;
  /** The JSON body sent. */
  payload: string;
  nextAttemptAt: string;
  createdAt: string;
}

/** A delivery taken by one process until leaseUntil. */
export interface ClaimedDelivery {
  messageId: string;
  endpointId: string;
  type: string;
  payload: string;
  /** Attempts made before this one. */
  attempts: number;
}

/** One attempt at a delivery, as the log keeps it. */
export interface AttemptRow {
  messageId: string;
  endpointId: string;
  type: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** The receiver's HTTP status; null when there was no answer (refused, timed out, unreachable). */
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  at: string;
}

/** What a delivery is after an attempt. */
export type DeliveryState = 'pending' | 'delivered' | 'failed' | 'disabled';

/** The outbox and the endpoints in a few numbers, for the metrics. */
export interface OutboxSummary {
  /** Deliveries pending (due or waiting for a retry), leased ones included. */
  pending: number;
  /** When the oldest pending delivery was made; null when none is pending. */
  oldestPendingAt: string | null;
  /** Endpoints receiving webhooks and endpoints disabled (a 410 from the receiver). */
  endpointsEnabled: number;
  endpointsDisabled: number;
}

/** The webhook primitives of a write transaction. */
export interface WebhookWrites {
  /** Every endpoint, oldest first. */
  endpoints(): Answer<EndpointRow[]>;
  insertEndpoint(row: EndpointRow): Answer<void>;
  /** Replaces the secret, keeping the old one as previousSecret until `previousUntil`; false when unknown. */
  setSecret(id: string, secret: string, previousSecret: string | null, previousUntil: string | null): Answer<boolean>;
  /** Disables the endpoint with a reason; its pending deliveries become `disabled`. */
  disableEndpoint(id: string, reason: string, at: string): Answer<void>;
  /** Deletes the endpoint, its deliveries and their attempts; false when unknown. */
  deleteEndpoint(id: string): Answer<boolean>;
  /** Adds deliveries (state pending, no attempts); a messageId already there is left as it is. */
  insertOutbox(rows: readonly OutboxRow[]): Answer<void>;
  /**
   * Takes up to `limit` pending deliveries due at `now` whose lease is free or over, the oldest
   * due first, and leases them until `leaseUntil`: no other process takes them meanwhile.
   */
  claimDue(now: string, leaseUntil: string, limit: number): Answer<ClaimedDelivery[]>;
  /** Records an attempt and moves its delivery to `state` (pending: again at nextAttemptAt), lease freed. */
  finishAttempt(attempt: AttemptRow, state: DeliveryState, nextAttemptAt: string): Answer<void>;
  /** The endpoint's latest attempts, newest first. */
  attempts(endpointId: string, limit: number): Answer<AttemptRow[]>;
  /**
   * Deletes the deliveries (pending or not) whose payload contains one of `needles` (exact text),
   * with their attempts: an erasure's. Answers how many deliveries went.
   */
  forgetPayloads(needles: readonly string[]): Answer<number>;
  /** Deletes deliveries finished (not pending) before `before` and attempts made before it; answers how many rows went. */
  prune(before: string): Answer<number>;
  /** Deliveries per state for each endpoint. */
  outboxCounts(): Answer<{ endpointId: string; state: DeliveryState; count: number }[]>;
  /** The pending deliveries and the endpoints counted: pending rows only (the partial index), never the log. */
  outboxSummary(): Answer<OutboxSummary>;
}
