// What a rejected event may identify someone by, and how it is indexed. A rejected event failed
// validation, so its ids can be anywhere: `userId: ["cus_1"]`, an id only in `properties`, an
// email in `context.traits`. Its string values are indexed as keyed hashes (createTermHasher), so that
// access and erasure find a subject's rejected events by lookup instead of reading the whole
// table; every backend indexes them alike (SQLite: sqlite/rejected.ts).
// The walk is bounded: at most MAX_VALUES distinct values of at most MAX_VALUE_LENGTH characters,
// shallow ones first, so that a hostile event costs a bounded amount of work and index.
// Changing what this module extracts changes the index: a migration must then rebuild it.
import { createHmac } from 'node:crypto';

/** Distinct values kept per rejected event. */
export const MAX_VALUES = 64;
/** Longer strings are not ids or emails, and are not indexed. */
export const MAX_VALUE_LENGTH = 256;
/** Nodes visited per event at most (events are at most 32 KiB; this bounds the walk regardless). */
const MAX_NODES = 4096;

// Top-level fields that name the message, not a person: skipped.
const NOT_A_PERSON = new Set(['type', 'messageId', 'timestamp', 'originalTimestamp', 'sentAt', 'receivedAt']);
// Where ids go: visited first, and the only places where a number counts as an id (`userId: 42`
// is the customer "42", as validation reads it; a price of 42 is not).
const ID_FIELDS = ['userId', 'anonymousId', 'previousId', 'groupId'];

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** An email address, trimmed and lower-cased, when `value` looks like one; else null. */
export function asEmail(value: string): string | null {
  const trimmed = value.trim();
  return EMAIL.test(trimmed) ? trimmed.toLowerCase() : null;
}

/** The form a value is indexed and compared in: emails trimmed and lower-cased, anything else as it is. */
export function normalizeValue(value: string): string {
  return asEmail(value) ?? value;
}

/**
 * The values of a rejected event's raw text, as sent (not normalized), at most MAX_VALUES
 * distinct ones. Text that is not JSON yields its quoted strings.
 */
export function rejectedValues(raw: string): string[] {
  let event: unknown;
  try {
    event = JSON.parse(raw);
  } catch {
    return quotedStrings(raw);
  }
  const found = new Set<string>();
  const add = (value: string) => {
    if (value.length > 0 && value.length <= MAX_VALUE_LENGTH) found.add(value);
  };
  // Breadth first: top-level ids, then what lies one level down, and so on.
  const queue: unknown[] = [];
  if (event !== null && typeof event === 'object' && !Array.isArray(event)) {
    const top = event as Record<string, unknown>;
    for (const field of ID_FIELDS) idValues(top[field], add);
    for (const key of Object.keys(top)) if (!NOT_A_PERSON.has(key) && !ID_FIELDS.includes(key)) queue.push(top[key]);
  } else queue.push(event);
  for (let at = 0, visited = 0; at < queue.length && found.size < MAX_VALUES && visited < MAX_NODES; at++, visited++) {
    const value = queue[at];
    if (typeof value === 'string') add(value);
    else if (Array.isArray(value)) for (const item of value) queue.push(item);
    else if (value !== null && typeof value === 'object') for (const key of Object.keys(value)) queue.push((value as Record<string, unknown>)[key]);
  }
  return [...found].slice(0, MAX_VALUES);
}

// An id field's value: a string, an integer (as validation reads it), or either in an array.
function idValues(value: unknown, add: (value: string) => void, depth = 0): void {
  if (typeof value === 'string') add(value);
  else if (typeof value === 'number' && Number.isSafeInteger(value)) add(String(value));
  else if (Array.isArray(value) && depth < 2) for (const item of value.slice(0, MAX_VALUES)) idValues(item, add, depth + 1);
}

// The strings of text that is not JSON (a contract allows any raw text): what lies in quotes.
function quotedStrings(raw: string): string[] {
  const found = new Set<string>();
  for (const match of raw.matchAll(/"((?:[^"\\]|\\.){1,256})"/g)) {
    let value: string;
    try {
      value = JSON.parse(`"${match[1]}"`) as string;
    } catch {
      value = match[1];
    }
    found.add(value);
    if (found.size >= MAX_VALUES) break;
  }
  return [...found];
}

/** Email addresses among the values of identify traits (nested too), normalized. */
export function emailsIn(traits: unknown): string[] {
  const found = new Set<string>();
  const queue: unknown[] = [traits];
  for (let at = 0; at < queue.length && at < MAX_NODES; at++) {
    const value = queue[at];
    if (typeof value === 'string') {
      const email = value.length <= MAX_VALUE_LENGTH ? asEmail(value) : null;
      if (email) found.add(email);
    } else if (Array.isArray(value)) queue.push(...value);
    else if (value !== null && typeof value === 'object') queue.push(...Object.values(value));
  }
  return [...found];
}

/** Bytes of HMAC-SHA256 kept per term: a lookup key; matches are confirmed on the decoded event. */
export const TERM_BYTES = 8;
/** Terms remembered per hasher (values such as a user agent recur in every request). */
const TERM_CACHE = 10_000;

/**
 * The keyed hash a value is indexed by: HMAC-SHA256 of the normalized value with the database's
 * salt, truncated, so that the index names nobody and is no dictionary lookup.
 */
export function createTermHasher(salt: string): (value: string) => Buffer {
  const cache = new Map<string, Buffer>();
  return (value) => {
    const normal = normalizeValue(value);
    let term = cache.get(normal);
    if (term === undefined) {
      if (cache.size >= TERM_CACHE) cache.clear(); // bounded: a cache, not a record of values
      term = createHmac('sha256', salt).update(normal).digest().subarray(0, TERM_BYTES);
      cache.set(normal, term);
    }
    return term;
  };
}
