// Turns a validated event into what is stored: server-side times and a minimised context.
import type { EventContext, JsonObject, StoredEvent } from '../../sdk/src/types';
import { minimizeIp, type IpMode } from './ip';
import { parseUserAgent } from './useragent';
import type { ParsedEvent } from './validate';

export type ClientClock = 'correct' | 'trust';

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

// The stored context: the client IP reduced per ipMode (any context.ip the client sent is
// replaced, since a server-side client may forward a raw address), and the user agent replaced
// by its families. Raw user agent data is never stored.
function minimizeContext(context: JsonObject | undefined, facts: RequestFacts): JsonObject {
  const { ip: _clientIp, userAgent, userAgentData: _hints, device: _device, browser: _browser, os: _os, ...rest } =
    context ?? {};
  const ua = typeof userAgent === 'string' && userAgent ? userAgent : facts.userAgent;
  const ip = minimizeIp(facts.ip, facts.ipMode);
  return { ...rest, ...parseUserAgent(ua), ...(ip !== undefined && { ip }) };
}

export function toStoredEvent(e: ParsedEvent, facts: RequestFacts): StoredEvent {
  const originalTimestamp = e.timestamp ?? facts.receivedAt;
  const sentAt = e.sentAt ?? facts.sentAt;
  const stored: StoredEvent = {
    messageId: e.messageId,
    type: e.type,
    ...(e.event !== undefined && { event: e.event }),
    ...(e.name !== undefined && { name: e.name }),
    ...(e.anonymousId !== undefined && { anonymousId: e.anonymousId }),
    ...(e.userId !== undefined && { userId: e.userId }),
    ...(e.properties !== undefined && { properties: e.properties }),
    ...(e.traits !== undefined && { traits: e.traits }),
    ...(e.previousId !== undefined && { previousId: e.previousId }),
    context: minimizeContext(e.context, facts) as EventContext,
    // Without a client timestamp there is nothing to correct: both are the receipt time.
    timestamp: e.timestamp ? correctTimestamp(e.timestamp, sentAt, facts.receivedAt, facts.clientClock) : facts.receivedAt,
    originalTimestamp,
    receivedAt: facts.receivedAt,
    ...(sentAt !== undefined && { sentAt }),
  };
  return stored;
}
