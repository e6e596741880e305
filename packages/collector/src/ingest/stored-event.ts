// Turns a validated event into what is stored: server-side times and a minimised context.
import type { EventContext, JsonObject, StoredEvent } from '@spur/sdk';
import { minimizeIp, type IpMode } from '../ip';
import { parseUserAgent } from '../useragent';
import type { ClientClock } from '../settings';
import type { ParsedEvent } from './validate';

export type { ClientClock };

export interface RequestFacts {
  /** When the collector received the request (ISO). */
  receivedAt: string;
  /** The request's sentAt (ISO), if any; an event's own sentAt wins. */
  sentAt?: string;
  clientClock: ClientClock;
  /** The socket's address (req.ip). */
  ip?: string;
  ipMode: IpMode;
  /** The request's User-Agent header, used when the event carries no context.userAgent. */
  userAgent?: string;
}

/**
 * Event time. Segment's rule: the client clock may be off, but the difference sentAt - timestamp
 * measured on that same clock is right, so timestamp = receivedAt - (sentAt - originalTimestamp).
 * 'trust' keeps the client's time (the demo's journeys move the browser clock on purpose).
 */
export function correctTimestamp(original: string, sentAt: string | undefined, receivedAt: string, clock: ClientClock): string {
  if (clock === 'trust' || sentAt === undefined) return original;
  const ms = Date.parse(receivedAt) - (Date.parse(sentAt) - Date.parse(original));
  const corrected = new Date(ms);
  // A wildly wrong sentAt could push the result out of the printable range; fall back to receipt.
  return Number.isFinite(ms) && corrected.toISOString().length === 24 ? corrected.toISOString() : receivedAt;
}

// What is the same for every event of one request, worked out once per request (a batch of 20
// would otherwise parse the same dates and truncate the same IP 20 times).
interface Derived {
  receivedMs: number;
  requestSentMs: number;
  ip: string | undefined;
}
const derivedByFacts = new WeakMap<RequestFacts, Derived>();

function derive(facts: RequestFacts): Derived {
  let d = derivedByFacts.get(facts);
  if (!d) {
    d = {
      receivedMs: Date.parse(facts.receivedAt),
      requestSentMs: facts.sentAt === undefined ? NaN : Date.parse(facts.sentAt),
      ip: minimizeIp(facts.ip, facts.ipMode),
    };
    derivedByFacts.set(facts, d);
  }
  return d;
}

// correctTimestamp with the request's times already parsed.
function corrected(original: string, sentMs: number, facts: RequestFacts, d: Derived): string {
  const ms = d.receivedMs - (sentMs - Date.parse(original));
  if (!Number.isFinite(ms)) return facts.receivedAt;
  const iso = new Date(ms).toISOString();
  return iso.length === 24 ? iso : facts.receivedAt;
}

// Context fields that never reach storage as sent: the IP is replaced per ipMode (a server-side
// client may forward a raw address), the user agent (and the client's own guesses at its
// families) by the families the collector derives. Raw user agent data is never stored.
const DROPPED = new Set(['ip', 'userAgent', 'userAgentData', 'device', 'browser', 'os']);

function minimizeContext(context: JsonObject | undefined, facts: RequestFacts, ip: string | undefined): JsonObject {
  const out: JsonObject = {};
  let ua = facts.userAgent;
  if (context) {
    // A loop rather than rest destructuring: V8 copies `{ a, b, ...rest }` on a slow path.
    for (const key in context) {
      if (!Object.prototype.hasOwnProperty.call(context, key)) continue;
      if (DROPPED.has(key)) {
        if (key === 'userAgent' && typeof context.userAgent === 'string' && context.userAgent) ua = context.userAgent;
      } else if (key === '__proto__') {
        // An own "__proto__" key from JSON.parse stays data; assigning it would set the prototype.
        Object.defineProperty(out, key, { value: context[key], enumerable: true, writable: true, configurable: true });
      } else out[key] = context[key];
    }
  }
  const families = parseUserAgent(ua);
  // Copies: the families are cached and shared between events.
  out.device = { type: families.device.type };
  out.browser = { name: families.browser.name };
  out.os = { name: families.os.name };
  if (ip !== undefined) out.ip = ip;
  return out;
}

export function toStoredEvent(e: ParsedEvent, facts: RequestFacts): StoredEvent {
  const d = derive(facts);
  const originalTimestamp = e.timestamp ?? facts.receivedAt;
  const sentAt = e.sentAt ?? facts.sentAt;
  // Fields are assigned one by one, in the stored order, instead of spreading conditional objects.
  const stored = { messageId: e.messageId, type: e.type } as StoredEvent;
  if (e.event !== undefined) stored.event = e.event;
  if (e.name !== undefined) stored.name = e.name;
  if (e.anonymousId !== undefined) stored.anonymousId = e.anonymousId;
  if (e.userId !== undefined) stored.userId = e.userId;
  if (e.properties !== undefined) stored.properties = e.properties;
  if (e.traits !== undefined) stored.traits = e.traits;
  if (e.previousId !== undefined) stored.previousId = e.previousId;
  if (e.groupId !== undefined) stored.groupId = e.groupId;
  stored.context = minimizeContext(e.context, facts, d.ip) as EventContext;
  // Without a client timestamp there is nothing to correct: both are the receipt time.
  stored.timestamp =
    !e.timestamp || facts.clientClock === 'trust' || sentAt === undefined
      ? (e.timestamp ?? facts.receivedAt)
      : corrected(e.timestamp, e.sentAt !== undefined ? Date.parse(e.sentAt) : d.requestSentMs, facts, d);
  stored.originalTimestamp = originalTimestamp;
  stored.receivedAt = facts.receivedAt;
  if (sentAt !== undefined) stored.sentAt = sentAt;
  return stored;
}
