// Validation at the edge: request bodies and events arrive as `unknown` and leave as typed
// values or as a reason. Nothing past this module re-checks shapes.
import type { EventType, JsonObject } from '../../sdk/src/types';
import { badRequest } from './errors';

/** An event larger than this (serialized) is rejected on its own. */
export const MAX_EVENT_BYTES = 32 * 1024;
/** Cap on ids, event names and page names. */
export const MAX_ID_LENGTH = 200;

const TYPES: readonly EventType[] = ['track', 'page', 'identify', 'alias'];

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

class Invalid extends Error {}

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
  let sentAt: string | undefined;
  if (body.sentAt !== undefined && body.sentAt !== null) {
    sentAt = parseIsoDate(body.sentAt) ?? undefined;
    if (!sentAt) throw badRequest('sentAt must be an ISO 8601 date', 'invalid_body');
  }
  return { events: body.batch, sentAt, writeKey };
}

function id(raw: Record<string, unknown>, field: string, required: boolean): string | undefined {
  let value = raw[field];
  if (value === undefined || value === null) {
    if (required) throw new Invalid(`${field} is required`);
    return undefined;
  }
  // Some Segment clients send numeric ids; they mean the same customer as the string form.
  if (typeof value === 'number' && Number.isFinite(value)) value = String(value);
  if (typeof value !== 'string' || value === '') throw new Invalid(`${field} must be a non-empty string`);
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

function object(raw: Record<string, unknown>, field: string): JsonObject | undefined {
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
 * An upper bound of `Buffer.byteLength(JSON.stringify(value))` for a JSON.parse result, computed
 * without building the string. A UTF-16 unit takes at most 6 bytes serialized (\u escapes; UTF-8
 * needs at most 3), a number at most 24 characters. Stops counting once `limit` is passed.
 */
function sizeBound(value: unknown, limit: number): number {
  if (typeof value === 'string') return value.length * 6 + 2;
  if (typeof value !== 'object' || value === null) return 24; // numbers, booleans, null
  let size = 2;
  if (Array.isArray(value)) {
    for (const item of value) {
      size += sizeBound(item, limit) + 1;
      if (size > limit) return size;
    }
    return size;
  }
  for (const key in value) {
    size += key.length * 6 + 4 + sizeBound((value as Record<string, unknown>)[key], limit);
    if (size > limit) return size;
  }
  return size;
}

/** True when `raw` serializes to more than MAX_EVENT_BYTES; exact only when the bound says it might. */
function tooLarge(raw: Record<string, unknown>): boolean {
  // A typical event (under 1 KB) is far below the bound, and then no string is built at all.
  if (sizeBound(raw, MAX_EVENT_BYTES) <= MAX_EVENT_BYTES) return false;
  return Buffer.byteLength(JSON.stringify(raw)) > MAX_EVENT_BYTES;
}

/**
 * Validates one event. `impliedType` is the type named by the route (`/v1/track`), which wins
 * over the body's `type`. `newId` makes a messageId when the client sent none.
 */
export function parseEvent(raw: unknown, impliedType: EventType | undefined, newId: () => string): ParseResult {
  // Named in the rejection only when usable as an id: a huge string is not echoed back.
  const messageId =
    isPlainObject(raw) && typeof raw.messageId === 'string' && raw.messageId.length <= MAX_ID_LENGTH
      ? raw.messageId
      : undefined;
  try {
    if (!isPlainObject(raw)) throw new Invalid('event must be an object');
    if (tooLarge(raw)) {
      throw new Invalid(`event is larger than ${MAX_EVENT_BYTES} bytes`);
    }
    const type = impliedType ?? raw.type;
    if (typeof type !== 'string' || !TYPES.includes(type as EventType)) {
      throw new Invalid(`type must be one of ${TYPES.join(', ')}`);
    }
    const givenId = text(raw, 'messageId', false);
    const event: ParsedEvent = {
      type: type as EventType,
      messageId: givenId ?? newId(),
      generatedMessageId: givenId === undefined,
      anonymousId: id(raw, 'anonymousId', false),
      userId: id(raw, 'userId', type === 'alias'),
      timestamp: date(raw, 'timestamp'),
      sentAt: date(raw, 'sentAt'),
      event: text(raw, 'event', type === 'track'),
      name: text(raw, 'name', false),
      previousId: id(raw, 'previousId', type === 'alias'),
      properties: object(raw, 'properties'),
      traits: object(raw, 'traits'),
      context: object(raw, 'context'),
    };
    if (!event.anonymousId && !event.userId) throw new Invalid('anonymousId or userId is required');
    return { ok: true, event };
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, reason: err.message, messageId };
    throw err;
  }
}
