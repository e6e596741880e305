// Validation at the edge: request bodies and events arrive as `unknown` and leave as typed
// values or as a reason. Nothing past this module re-checks shapes.
import type { EventType, JsonObject } from '@spur/sdk';
import { badRequest, payloadTooLarge } from '../errors';
import { checkEventRules } from './event-rules';
import { checkBounds, Invalid, isCleanId, MAX_BATCH_EVENTS, MAX_ID_LENGTH, MAX_KEYS } from './input-limits';

export { MAX_ARRAY_LENGTH, MAX_BATCH_EVENTS, MAX_DEPTH, MAX_EVENT_BYTES, MAX_ID_LENGTH, MAX_KEYS, MAX_STRING_LENGTH } from './input-limits';

/** The event types spur stores; anything else is rejected, and the reason names it. */
export const EVENT_TYPES: readonly EventType[] = ['track', 'page', 'identify', 'alias', 'group', 'screen'];

/** An event that passed validation; times are normalized ISO strings (sortable as text). */
export interface ParsedEvent {
  type: EventType;
  messageId: string;
  /**
   * True when the client sent no messageId and the collector made one up. Such an event cannot
   * be deduplicated: a resend gets a new id and is stored again.
   */
  generatedMessageId: boolean;
  anonymousId?: string;
  userId?: string;
  timestamp?: string;
  sentAt?: string;
  event?: string;
  name?: string;
  previousId?: string;
  groupId?: string;
  properties?: JsonObject;
  traits?: JsonObject;
  context?: JsonObject;
}

export type ParseResult =
  | { ok: true; event: ParsedEvent }
  | { ok: false; reason: string; messageId?: string };

/** The parts of an ingest request body, before its events are validated one by one. */
export interface IngestBody {
  events: unknown[];
  sentAt?: string;
  writeKey?: string;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Date-only, or date-time with a zone: a date-time without zone would be read in the collector's
// local time zone, which is a guess, so it is refused.
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/i;

/** Normalizes an ISO 8601 date to `YYYY-MM-DDTHH:mm:ss.sssZ`, or null when it is not one. */
export function parseIsoDate(value: unknown): string | null {
  if (typeof value !== 'string' || !ISO_DATE.test(value)) return null;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) return null;
  const iso = new Date(ms).toISOString();
  // Years past 9999 print as +0YYYYY and would break text ordering.
  return iso.length === 24 ? iso : null;
}

/** Checks the request body of `/v1/batch` (impliedType undefined) or of a single-event route. */
export function parseIngestBody(body: unknown, impliedType?: EventType): IngestBody {
  if (!isPlainObject(body)) throw badRequest('body must be a JSON object', 'invalid_body');
  const writeKey = typeof body.writeKey === 'string' && body.writeKey ? body.writeKey : undefined;
  if (impliedType) return { events: [body], writeKey };
  if (!Array.isArray(body.batch)) throw badRequest('batch must be an array of events', 'invalid_body');
  if (body.batch.length === 0) throw badRequest('batch is empty', 'invalid_body');
  if (body.batch.length > MAX_BATCH_EVENTS) {
    throw payloadTooLarge(`batch holds more than ${MAX_BATCH_EVENTS} events`, 'too_many_events');
  }
  let sentAt: string | undefined;
  if (body.sentAt !== undefined && body.sentAt !== null) {
    sentAt = parseIsoDate(body.sentAt) ?? undefined;
    if (!sentAt) throw badRequest('sentAt must be an ISO 8601 date', 'invalid_body');
  }
  return { events: body.batch, sentAt, writeKey };
}

// An empty id means "none" to the clients that send one (RudderStack's userId before identify,
// Jitsu's groupId before group): absent, as Segment's API reads it, not a broken event.
function id(raw: Record<string, unknown>, field: string, required: boolean): string | undefined {
  let value = raw[field];
  if (value === undefined || value === null || value === '') {
    if (required) throw new Invalid(`${field} is required`);
    return undefined;
  }
  // Some Segment clients send numeric ids; they mean the same customer as the string form. Past
  // 2^53 JSON numbers lose digits, and the id would silently name another customer.
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Invalid(`${field} must be a string or an integer below 2^53`);
    value = String(value);
  }
  if (typeof value !== 'string') throw new Invalid(`${field} must be a non-empty string`);
  if (value.length > MAX_ID_LENGTH) throw new Invalid(`${field} is longer than ${MAX_ID_LENGTH} characters`);
  return value;
}

function text(raw: Record<string, unknown>, field: string, required: boolean): string | undefined {
  const value = raw[field];
  if (value === undefined || value === null) {
    if (required) throw new Invalid(`${field} is required`);
    return undefined;
  }
  if (typeof value !== 'string' || value === '') throw new Invalid(`${field} must be a non-empty string`);
  if (value.length > MAX_ID_LENGTH) throw new Invalid(`${field} is longer than ${MAX_ID_LENGTH} characters`);
  return value;
}

function object(raw: Record<string, unknown> | JsonObject, field: string): JsonObject | undefined {
  const value = raw[field];
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) throw new Invalid(`${field} must be an object`);
  return value as JsonObject; // came from JSON.parse, so every value is JSON
}

function date(raw: Record<string, unknown>, field: string): string | undefined {
  const value = raw[field];
  if (value === undefined || value === null) return undefined;
  const iso = parseIsoDate(value);
  if (!iso) throw new Invalid(`${field} must be an ISO 8601 date`);
  return iso;
}

/**
 * The client's time of the event: `timestamp`, else `originalTimestamp` (what RudderStack's
 * libraries send), which is Segment's own rule.
 */
function clientTime(raw: Record<string, unknown>): string | undefined {
  return raw.timestamp === undefined || raw.timestamp === null ? date(raw, 'originalTimestamp') : date(raw, 'timestamp');
}

/**
 * An identify's traits: `traits`, merged over `context.traits` (where RudderStack's browser SDK
 * puts them); the top-level value of a trait wins.
 */
function identifyTraits(raw: Record<string, unknown>, context: JsonObject | undefined): JsonObject | undefined {
  const traits = object(raw, 'traits');
  // Anything but an object there is left in the context as sent, not a reason to refuse the event.
  const inContext = context && isPlainObject(context.traits) ? (context.traits as JsonObject) : undefined;
  if (!inContext) return traits;
  if (!traits) return inContext;
  const merged: JsonObject = {};
  // Own keys only, assigned one by one: input-limits refused __proto__ and its kind already.
  for (const key of Object.keys(inContext)) merged[key] = inContext[key];
  for (const key of Object.keys(traits)) merged[key] = traits[key];
  if (Object.keys(merged).length > MAX_KEYS) throw new Invalid(`traits and context.traits together have more than ${MAX_KEYS} keys`);
  return merged;
}

/** The reason for a type spur does not store, naming it when it is fit to echo back. */
function unknownType(type: unknown): Invalid {
  const rule = `type must be one of ${EVENT_TYPES.join(', ')}`;
  return new Invalid(isCleanId(type) && type !== '' ? `unknown event type ${JSON.stringify(type)}: ${rule}` : rule);
}

/**
 * Validates one event. `impliedType` is the type named by the route (`/v1/track`), which wins
 * over the body's `type`. `newId` makes a messageId when the client sent none. `escapes`: pass
 * false only when the JSON text `raw` was parsed from holds no `\u` (see stringProblem).
 */
export function parseEvent(
  raw: unknown,
  impliedType: EventType | undefined,
  newId: () => string,
  escapes = true,
): ParseResult {
  try {
    if (!isPlainObject(raw)) throw new Invalid('event must be an object');
    checkBounds(raw, escapes);
    const type = impliedType ?? raw.type;
    if (typeof type !== 'string' || !EVENT_TYPES.includes(type as EventType)) throw unknownType(type);
    const givenId = text(raw, 'messageId', false);
    const context = object(raw, 'context');
    const event: ParsedEvent = {
      type: type as EventType,
      messageId: givenId ?? newId(),
      generatedMessageId: givenId === undefined,
      anonymousId: id(raw, 'anonymousId', false),
      userId: id(raw, 'userId', type === 'alias'),
      timestamp: clientTime(raw),
      sentAt: date(raw, 'sentAt'),
      event: text(raw, 'event', type === 'track'),
      name: text(raw, 'name', false),
      previousId: id(raw, 'previousId', type === 'alias'),
      groupId: id(raw, 'groupId', type === 'group'),
      properties: object(raw, 'properties'),
      traits: type === 'identify' ? identifyTraits(raw, context) : object(raw, 'traits'),
      context,
    };
    if (!event.anonymousId && !event.userId) throw new Invalid('anonymousId or userId is required');
    if (event.type === 'track') checkEventRules(event.event, event.properties);
    return { ok: true, event };
  } catch (err) {
    if (!(err instanceof Invalid)) throw err;
    // Named in the rejection only when usable as an id: a huge or broken string is not echoed back.
    const messageId = isPlainObject(raw) && isCleanId(raw.messageId) ? raw.messageId : undefined;
    return { ok: false, reason: err.message, messageId };
  }
}
