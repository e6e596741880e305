// Input limits: what one event may hold, checked in one walk. Real events (spur's SDK, Segment,
// RudderStack and Jitsu libraries) stay far below each limit: they exist so that hostile input
// costs the collector, its database and every exporter a bounded amount of work. Over a limit,
// the event is rejected on its own, with a reason naming where.

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

/**
 * A rule of this module broken by an event; the message is the rejection's reason. Not an Error:
 * a rejected event is an answer, not a fault, and the stack an Error captures cost more than the
 * rest of the validation (5,000 invalid events: 25 ms with it, 10 ms without).
 */
export class Invalid {
  constructor(readonly message: string) {}
}

/** A limit or content rule broken somewhere inside an event; `path` is filled in as the walk unwinds. */
class Breach extends Invalid {
  /** Keys and indexes from the broken value up to the event, innermost first. */
  readonly path: (string | number)[] = [];
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
export function stringProblem(s: string, escapes: boolean): StringProblem | null {
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
export function isCleanId(value: unknown): value is string {
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
export function checkBounds(raw: Record<string, unknown>, escapes: boolean): void {
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

