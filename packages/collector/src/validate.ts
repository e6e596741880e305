// Validation at the edge: request bodies and events arrive as `unknown` and leave as typed
// values or as a reason. Nothing past this module re-checks shapes.
import type { EventType, JsonObject } from '../../sdk/src/types';
import { badRequest, payloadTooLarge } from './errors';

// Limits on what an event may hold. Real events (spur's SDK, Segment libraries) stay far below
// each: they exist so that hostile input costs the collector, its database and every exporter a
// bounded amount of work. Over a limit, the event is rejected on its own, with the reason.

/** An event larger than this (serialized) is rejected on its own. */
export const MAX_EVENT_BYTES = 32 * 1024;
/** Cap on ids, event names and page names. */
export const MAX_ID_LENGTH = 200;
/**
 * Objects and arrays nest at most this many levels inside an event: `properties` is level 1,
 * `properties.products[0]` level 3.
 */
export const MAX_DEPTH = 16;
/** Items of one array. */
export const MAX_ARRAY_LENGTH = 1000;
/** Keys of one object. */
export const MAX_KEYS = 500;
/** UTF-16 code units of any string or key; a product description of a few KB passes. */
export const MAX_STRING_LENGTH = 8 * 1024;
/**
 * Events in one request. A 500 KB request holding more would average under 100 bytes an event,
 * which no real client sends; the request is answered 413 as a whole, so that it cannot make
 * the collector store tens of thousands of rejected events.
 */
export const MAX_BATCH_EVENTS = 5000;

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

/** A limit or content rule broken somewhere inside an event; `path` is filled in as the walk unwinds. */
class Breach extends Invalid {
  /** Keys and indexes from the broken value up to the event, innermost first. */
  readonly path: (string | number)[] = [];
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

function id(raw: Record<string, unknown>, field: string, required: boolean): string | undefined {
  let value = raw[field];
  if (value === undefined || value === null) {
    if (required) throw new Invalid(`${field} is required`);
    return undefined;
  }
  // Some Segment clients send numeric ids; they mean the same customer as the string form. Past
  // 2^53 JSON numbers lose digits, and the id would silently name another customer.
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Invalid(`${field} must be a string or an integer below 2^53`);
    value = String(value);
  }
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

// String.prototype.isWellFormed is ES2024 (Node 20); the lib setting here is ES2022.
const wellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

type StringProblem = 'long' | 'nul' | 'surrogate';

/**
 * What is wrong with a string or key, or null. `escapes`: whether the JSON text had any `\u`
 * escape. Without one no string in it can hold a NUL or a lone surrogate (JSON refuses raw
 * control characters, and the body was valid UTF-8), and looking would cost more than the rest
 * of validation together.
 */
function stringProblem(s: string, escapes: boolean): StringProblem | null {
  if (s.length > MAX_STRING_LENGTH) return 'long';
  if (!escapes) return null;
  // SQLite's C API, C-string based exporters and CSV readers cut text at NUL.
  if (s.indexOf('\0') !== -1) return 'nul';
  // "\ud800" is valid JSON but no Unicode text: UTF-8 exports would replace it or fail.
  if (!wellFormed(s)) return 'surrogate';
  return null;
}

const VALUE_PROBLEMS: Record<StringProblem, string> = {
  long: `is longer than ${MAX_STRING_LENGTH} characters`,
  nul: 'contains a NUL character',
  surrogate: 'contains a lone surrogate (not valid Unicode)',
};
const KEY_PROBLEMS: Record<StringProblem, string> = {
  long: `has a key longer than ${MAX_STRING_LENGTH} characters`,
  nul: 'has a key with a NUL character',
  surrogate: 'has a key with a lone surrogate (not valid Unicode)',
};

/** True for a string that may be echoed back and stored as an id: short, no NUL, valid Unicode. */
function isCleanId(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_ID_LENGTH && stringProblem(value, true) === null;
}

function within(err: unknown, at: string | number): unknown {
  if (err instanceof Breach) err.path.push(at);
  return err;
}

/**
 * The one walk over an event: enforces every limit and content rule above and returns an upper
 * bound of `Buffer.byteLength(JSON.stringify(value))`, without building the string. A UTF-16
 * unit takes at most 6 bytes serialized (\u escapes; UTF-8 needs at most 3), a number at most 24
 * characters. `depth` is the nesting level of `value` (the event is 0). Recursion is as deep as
 * the limit, whatever the input: a 10,000-level document is refused at level MAX_DEPTH + 1.
 */
function walk(value: unknown, depth: number, escapes: boolean): number {
  if (typeof value === 'string') {
    const problem = stringProblem(value, escapes);
    if (problem !== null) throw new Breach(VALUE_PROBLEMS[problem]);
    return value.length * 6 + 2;
  }
  if (typeof value !== 'object' || value === null) {
    // 1e999 parses to Infinity, which JSON.stringify would store as null.
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Breach('is a number out of range');
    return 24; // numbers, booleans, null
  }
  if (depth > MAX_DEPTH) throw new Breach(`is nested deeper than ${MAX_DEPTH} levels`);
  let size = 2;
  if (Array.isArray(value)) {
    if (value.length > MAX_ARRAY_LENGTH) throw new Breach(`has more than ${MAX_ARRAY_LENGTH} items`);
    for (let i = 0; i < value.length; i++) {
      try {
        size += walk(value[i], depth + 1, escapes) + 1;
      } catch (err) {
        throw within(err, i);
      }
    }
    return size;
  }
  let keys = 0;
  for (const key in value) {
    if (++keys > MAX_KEYS) throw new Breach(`has more than ${MAX_KEYS} keys`);
    // Copied by assignment (`Object.assign`, `target[key] = ...`) these keys would reach an
    // object's prototype instead of becoming data: refused anywhere in an event.
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
      throw new Breach(`has a key "${key}", which is not allowed`);
    }
    const problem = stringProblem(key, escapes);
    if (problem !== null) throw new Breach(KEY_PROBLEMS[problem]);
    try {
      size += key.length * 6 + 4 + walk((value as Record<string, unknown>)[key], depth + 1, escapes);
    } catch (err) {
      throw within(err, key);
    }
  }
  return size;
}

/** Where a breach is, for its reason: `properties.items[3].name`; keys unfit to print as `[…]`. */
function describePath(path: readonly (string | number)[]): string {
  if (path.length === 0) return 'the event';
  let out = '';
  for (let i = path.length - 1; i >= 0; i--) {
    const at = path[i];
    if (typeof at === 'number') out += `[${at}]`;
    else if (/^[A-Za-z_$][\w$]{0,63}$/.test(at)) out += out ? `.${at}` : at;
    else out += at.length <= 64 && stringProblem(at, true) === null ? `[${JSON.stringify(at)}]` : '[…]';
  }
  return out;
}

/** Checks every bound of an event in one walk; throws an Invalid naming the first breach. */
function checkBounds(raw: Record<string, unknown>, escapes: boolean): void {
  let bound: number;
  try {
    bound = walk(raw, 0, escapes);
  } catch (err) {
    if (err instanceof Breach) throw new Invalid(`${describePath(err.path)} ${err.message}`);
    throw err;
  }
  // A typical event (under 1 KB) is far below the bound, and then no string is built at all.
  // Past the walk, the event is shallow enough for JSON.stringify's recursion.
  if (bound > MAX_EVENT_BYTES && Buffer.byteLength(JSON.stringify(raw)) > MAX_EVENT_BYTES) {
    throw new Invalid(`event is larger than ${MAX_EVENT_BYTES} bytes`);
  }
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
    if (!(err instanceof Invalid)) throw err;
    // Named in the rejection only when usable as an id: a huge or broken string is not echoed back.
    const messageId = isPlainObject(raw) && isCleanId(raw.messageId) ? raw.messageId : undefined;
    return { ok: false, reason: err.message, messageId };
  }
}
