// The ingest service: what happens to a batch of events once a caller (the ingest route, later an
// importer) has read it and knows its write key. The event-count limits are charged, each event
// validated, the clock corrected, GPC honoured, the cap on stored rejected events applied; then
// the rules store what is left (rules/append.ts: duplicates, conflicts, identity, suppression)
// and the answer says what became of each event. Nothing here knows HTTP.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { v4 as uuidv4 } from 'uuid';
import type { EventType, IngestResponse, RejectedItem, StoredEvent } from '@spur/sdk';
import type { IpMode } from '../ip';
import type { AppendResult } from '../rules/append';
import type { Store } from '../rules/store';
import type { ClientClock, GpcMode } from '../settings';
import type { RejectedEvent } from '../storage/types';
import type { IngestClient, IngestLimits } from './limits';
import { toStoredEvent } from './stored-event';
import { MAX_DEPTH, parseEvent } from './validate';

/**
 * A batch is validated this many events at a time, with a turn of the event loop in between:
 * 5,000 events take tens of milliseconds, which other clients' requests would otherwise wait.
 */
export const VALIDATION_SLICE = 500;

export interface IngestServiceOptions {
  store: Store;
  clientClock: ClientClock;
  ipMode: IpMode;
  gpc: GpcMode;
  /** The clock: when a batch is received. */
  now: () => number;
  /** Event rates per client and write key, and the cap on stored rejected events; none: no limits. */
  limits?: IngestLimits;
}

/** A batch as its caller read it: the events not validated yet, with what the envelope said. */
export interface IngestBatch {
  /** The write key the caller authorized the batch with (a key of the keyring). */
  writeKey: string;
  /** The events as received (validation.ts parseIngestBody). */
  events: readonly unknown[];
  /** The type the path implies; undefined: each event names its own. */
  type?: EventType;
  /** The batch's sentAt (ISO), if any; an event's own wins. */
  sentAt?: string;
  /** Whether the text had a `\u` escape (validate.ts parseEvent looks closer then). */
  escapes: boolean;
}

/** What is known of who sent a batch, beyond its events. */
export interface IngestFacts {
  /** Who is charged for the events and named in the limits' log. */
  client: IngestClient;
  /** The sender's User-Agent, used when an event carries no context.userAgent. */
  userAgent?: string;
  /** The sender's browser asked for Global Privacy Control (Sec-GPC: 1). */
  gpc: boolean;
}

export interface IngestService {
  /**
   * Validates and stores a batch; resolves, once what is stored is durably committed, with the
   * answer (accepted, duplicates, rejected per index, suppressed by GPC). Throws the limits'
   * 429 HttpError when the write key is over its event rate, StorageUnavailableError when the
   * database cannot take it.
   */
  ingest(batch: IngestBatch, facts: IngestFacts): Promise<IngestResponse>;
}

/**
 * A rejected event as JSON for the rejected-events table. JSON.stringify recurses per level
 * and overflows the stack on a document thousands of levels deep (which validation refused for
 * its depth): such an event is kept down to MAX_DEPTH levels, deeper parts replaced by a marker.
 */
function rejectedJson(raw: unknown): string {
  try {
    return JSON.stringify(raw);
  } catch {
    return JSON.stringify(clip(raw, 0));
  }
}

function clip(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depth > MAX_DEPTH) return '[nested too deep]';
  if (Array.isArray(value)) return value.map((item) => clip(item, depth + 1));
  // Without a prototype, a "__proto__" key is set as data.
  const out: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(value)) out[key] = clip((value as Record<string, unknown>)[key], depth + 1);
  return out;
}

/** Whether the visitor granted consent for this event on the site, despite GPC (SDK: context.consent). */
function granted(event: unknown): boolean {
  if (typeof event !== 'object' || event === null) return false;
  const context = (event as { context?: unknown }).context;
  return typeof context === 'object' && context !== null && (context as { consent?: unknown }).consent === 'granted';
}

export function createIngestService(options: IngestServiceOptions): IngestService {
  const { store, limits } = options;
  return {
    async ingest({ writeKey, events: received, type, sentAt, escapes }, { client, userAgent, gpc: signal }) {
      limits?.chargeWriteKey(client, writeKey, received.length);
      const receivedAt = new Date(options.now()).toISOString();
      const facts = { receivedAt, sentAt, clientClock: options.clientClock, ip: client.ip, ipMode: options.ipMode, userAgent };
      // Global Privacy Control: the visitor's browser says no; what the visitor did not grant on
      // the site is neither stored nor kept among rejected events (it would carry its ids).
      const gpc = options.gpc === 'honor' && signal;
      let suppressed = 0;
      const events: StoredEvent[] = [];
      const rejected: RejectedItem[] = [];
      let rejectedRows: RejectedEvent[] = [];
      for (let index = 0; index < received.length; index++) {
        if (index > 0 && index % VALIDATION_SLICE === 0) await nextTurn();
        const raw = received[index];
        const result = parseEvent(raw, type, uuidv4, escapes);
        if (result.ok) {
          if (gpc && result.event.context?.consent !== 'granted') suppressed++;
          else events.push(toStoredEvent(result.event, facts));
          continue;
        }
        const { reason, messageId } = result;
        rejected.push({ index, ...(messageId !== undefined && { messageId }), reason });
        if (!gpc || granted(raw)) rejectedRows.push({ raw: rejectedJson(raw), reason, messageId, writeKey, receivedAt });
      }
      // Past the cap per client and write key, rejected events are counted, not stored; the
      // answer lists them all the same.
      if (limits) rejectedRows = limits.storable(client, writeKey, rejectedRows);

      // Only suppression leaves nothing to write; then there is nothing to wait for either.
      const appended: AppendResult =
        events.length || rejectedRows.length ? await store.append({ writeKey, events, rejected: rejectedRows }) : { stored: [] };
      // Events of erased subjects are not stored either; storage reports them as not inserted and
      // they are answered as duplicates. The write key is public: an answer that said "erased"
      // would tell anyone who knows a customer id that this customer asked for erasure.
      let accepted = 0;
      for (const inserted of appended.stored) if (inserted) accepted++;
      const answer: IngestResponse = { ok: true, accepted, duplicates: appended.stored.length - accepted, rejected };
      if (suppressed > 0) {
        answer.suppressed = suppressed;
        answer.reason = 'gpc';
      }
      return answer;
    },
  };
}
