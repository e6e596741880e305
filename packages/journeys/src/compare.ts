// What a failed expectation or expectRequest step compared, so that a failure says more than
// "not found": the run's picked values it used ({{product}} = "p-kettle"), and for each event
// that could have been the expected one (same event name, or type), every field the spec names,
// expected against actual. The reports and the console show it under the failure.
import { contains, eventLabel, type EventLike } from './match';
import type { Vars } from './values';

/** One field the spec names: its path in the event, what the spec expected and what the event has. */
export interface FieldComparison {
  path: string;
  expected: unknown;
  /** Absent when the event lacks the field. */
  actual?: unknown;
  equal: boolean;
}

/** An event that could have been the expected one, compared field by field. */
export interface EventComparison {
  /** The event as the lists show it: `Product Added`, `page /cart.html`. */
  event: string;
  /** Its time (ISO), when it has one. */
  at?: string;
  /** Why it did not count although it may match: it came before the previous expected event. */
  note?: string;
  fields: FieldComparison[];
}

/** What a failure compared; both parts optional. */
export interface FailureDetail {
  /** The run's variables the failed step or expectation uses, with the values of this run. */
  picked?: Record<string, unknown>;
  /** Candidate events (at most MAX_COMPARED), each against the fields the spec names. */
  compared?: EventComparison[];
}

/** At most this many candidate events are compared. */
export const MAX_COMPARED = 5;

const TEMPLATE = /\{\{\s*([^}]*?)\s*\}\}/g;

/** The variables a spec value refers to (`{{product}}`), with this run's values; undefined when none. */
export function pickedIn(value: unknown, vars: Vars): Record<string, unknown> | undefined {
  const picked: Record<string, unknown> = {};
  const visit = (v: unknown): void => {
    if (typeof v === 'string') {
      for (const [, name] of v.matchAll(TEMPLATE)) if (name in vars) picked[name] = vars[name];
    } else if (v && typeof v === 'object') {
      Object.values(v).forEach(visit);
    }
  };
  visit(value);
  return Object.keys(picked).length ? picked : undefined;
}

/** The leaves a matcher object names; an array is one field (each of its elements must be in the event's array). */
function fieldsOf(matcher: Record<string, unknown>, path: string[] = []): { path: string[]; expected: unknown }[] {
  return Object.entries(matcher).flatMap(([key, value]) =>
    value && typeof value === 'object' && !Array.isArray(value) ? fieldsOf(value as Record<string, unknown>, [...path, key]) : [{ path: [...path, key], expected: value }],
  );
}

function valueAt(event: unknown, path: string[]): unknown {
  let value = event;
  for (const key of path) {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** Whether an event is of the kind the (resolved) matcher object names: its event name, else its type. */
function sameKind(matcher: Record<string, unknown>, event: EventLike): boolean {
  if (typeof matcher.event === 'string') return event.event === matcher.event;
  if (typeof matcher.type === 'string') return event.type === matcher.type;
  return true;
}

/**
 * Compares the events of the matcher's kind with it, field by field. `from` is where in `events`
 * the matcher was looked for (after the previous expected event): events before it come last,
 * with a note. An event-name matcher (a string) has no fields to compare: nothing is returned.
 */
export function compareEvents(matcher: unknown, events: readonly EventLike[], from = 0): EventComparison[] {
  if (!matcher || typeof matcher !== 'object' || Array.isArray(matcher)) return [];
  const m = matcher as Record<string, unknown>;
  // The name or type that picked the candidates is equal by construction: not worth a line.
  const narrowedBy = typeof m.event === 'string' ? 'event' : typeof m.type === 'string' ? 'type' : undefined;
  const fields = fieldsOf(m).filter((f) => !(f.path.length === 1 && f.path[0] === narrowedBy));
  const indexed = events.map((event, index) => ({ event, index })).filter(({ event }) => sameKind(m, event));
  const ordered = [...indexed.filter((c) => c.index >= from), ...indexed.filter((c) => c.index < from)];
  return ordered.slice(0, MAX_COMPARED).map(({ event, index }) => ({
    event: eventLabel(event),
    ...(typeof event.timestamp === 'string' ? { at: event.timestamp } : {}),
    ...(index < from ? { note: 'before the previous expected event' } : {}),
    fields: fields.map(({ path, expected }) => {
      const actual = valueAt(event, path);
      return { path: path.join('.'), expected, ...(actual === undefined ? {} : { actual }), equal: contains(actual, expected) };
    }),
  }));
}

/** A value in a line: JSON, cut at 160 characters; `nothing` for a missing field. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

/** The detail as lines of text (console, junit.xml): picked values, then one line per compared event. */
export function detailLines(detail: FailureDetail): string[] {
  const lines: string[] = [];
  if (detail.picked) lines.push(`picked: ${Object.entries(detail.picked).map(([name, value]) => `{{${name}}} = ${show(value)}`).join(', ')}`);
  for (const c of detail.compared ?? []) {
    const fields = c.fields.map((f) => (f.equal ? `${f.path} = ${show(f.actual)} as expected` : `${f.path}: expected ${show(f.expected)}, got ${show(f.actual)}`));
    lines.push(`${c.event}${c.at ? ` at ${c.at}` : ''}${c.note ? ` (${c.note})` : ''}: ${fields.join('; ') || 'no field to compare'}`);
  }
  return lines;
}
