// The parameters of each export, in one table: GET /v1/exports/:kind checks a query string
// against it (through runExport) and `spur export` builds its options from it, so that the two
// never disagree. A parameter an export does not take is a 400 naming it, never ignored: a
// typo or a filter that is not there would otherwise answer with numbers that look right.
import {
  addDays,
  FUNNEL_BREAKDOWNS,
  FUNNEL_UNITS,
  isDate,
  localDate,
  OVERVIEW_INTERVALS,
  parseDuration,
  parseStep,
  startOfDay,
  type FunnelQuery,
  type FunnelUnit,
  type OverviewInterval,
  type SessionAttribute,
} from './analytics';
import { badRequest } from './errors';

export const EXPORT_KINDS = ['funnel', 'abandoned-carts', 'products', 'profiles', 'events', 'overview', 'steps'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];
export type ExportFormat = 'json' | 'csv' | 'ndjson';

export interface ExportParameter {
  name: string;
  /** The values it takes, when they are a fixed list (the first is the default). */
  values?: readonly string[];
  /** What it does, for help texts. */
  help: string;
}

const FROM: ExportParameter = { name: 'from', help: "only from this time on (ISO 8601 time with a zone, or a date: midnight in the shop's time zone; inclusive)" };
const TO: ExportParameter = { name: 'to', help: 'only before this time (exclusive)' };
const format = (...values: ExportFormat[]): ExportParameter => ({ name: 'format', values, help: 'output format' });

/** The parameters each export takes; anything else answers 400. */
export const EXPORT_PARAMETERS: Readonly<Record<ExportKind, readonly ExportParameter[]>> = {
  funnel: [
    { name: 'steps', help: 'event names, page, or page:/path (a path prefix), comma-separated' },
    { name: 'unit', values: FUNNEL_UNITS, help: 'what is counted' },
    { name: 'window', help: 'conversion window after step 1, e.g. 30m, 2h, 7d' },
    { name: 'by', values: FUNNEL_BREAKDOWNS, help: 'breakdown by a session attribute' },
    FROM,
    TO,
    format('json', 'csv'),
  ],
  'abandoned-carts': [FROM, TO, format('json', 'csv', 'ndjson')],
  products: [FROM, TO, format('json', 'csv', 'ndjson')],
  profiles: [FROM, TO, format('json', 'csv', 'ndjson')],
  events: [FROM, TO, format('ndjson')],
  overview: [
    { ...FROM, help: `${FROM.help}; default: 29 days before today` },
    { ...TO, help: `${TO.help}; default: the end of today` },
    { name: 'interval', values: OVERVIEW_INTERVALS, help: "the series' points: days or hours of the shop's time zone" },
    format('json', 'csv'),
  ],
  steps: [FROM, TO, format('json', 'csv')],
};

/** Every parameter name some export takes, in table order. */
export const ALL_EXPORT_PARAMETERS: readonly string[] = [...new Set(EXPORT_KINDS.flatMap((k) => EXPORT_PARAMETERS[k].map((p) => p.name)))];

const names = (kind: ExportKind) => EXPORT_PARAMETERS[kind].map((p) => p.name);

/**
 * Throws a 400 naming the first of `given` that the export does not take. `spell` writes a name
 * as the caller's user types it: `by` in a query string, `--by` on the command line.
 */
export function checkExportParameters(kind: ExportKind, given: Iterable<string>, spell: (name: string) => string = (n) => n): void {
  const accepted = names(kind);
  for (const name of given) {
    if (accepted.includes(name)) continue;
    const others = EXPORT_KINDS.filter((k) => k !== kind && names(k).includes(name));
    const takes = `it takes ${accepted.map(spell).join(', ')}`;
    const where = others.length > 0 ? ` (only ${others.join(', ')} ${others.length === 1 ? 'does' : 'do'})` : '';
    throw badRequest(`the ${kind} export does not take ${spell(name)}${where}; ${takes}`, 'invalid_query');
  }
}

type Query = Record<string, unknown>;

/** A parameter's one value; undefined when absent or empty. */
function text(query: Query, name: string): string | undefined {
  const value = query[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw badRequest(`${name} must be given once`, 'invalid_query');
  return value;
}

/** A parameter with a fixed list of values (the first is the default). */
function choice(kind: ExportKind, query: Query, name: string): string {
  const values = EXPORT_PARAMETERS[kind].find((p) => p.name === name)!.values!;
  const value = text(query, name) ?? values[0];
  if (values.includes(value)) return value;
  const what = name === 'format' ? `format of the ${kind} export` : name;
  throw badRequest(`${what} must be one of ${values.join(', ')} (got ${JSON.stringify(value)})`, 'invalid_query');
}

/**
 * An ISO 8601 date-time with a zone, or a date, which is its midnight in `timeZone` (the shop's,
 * SPUR_TIME_ZONE; UTC by default), as epoch ms.
 */
export function parseTime(value: string | undefined, name: string, timeZone = 'UTC'): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value) && isDate(value)) return startOfDay(value, timeZone);
  const ok = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/.test(value);
  const ms = ok ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) {
    throw badRequest(`${name} must be an ISO 8601 date or time with a zone, e.g. 2026-11-01 or 2026-11-01T12:00:00Z (got ${JSON.stringify(value)})`, 'invalid_query');
  }
  return ms;
}

const DEFAULT_STEPS = ['Product Viewed', 'Product Added', 'Checkout Started', 'Order Completed'];

/** An export's parameters, checked before any work (a cold analytics catch-up can take seconds). */
export interface ExportParams {
  format: ExportFormat;
  from?: number;
  to?: number;
  /** The overview's points. */
  interval?: OverviewInterval;
  /** The funnel's query, for the funnel export. */
  funnel?: FunnelQuery & { steps: string[] };
}

/** What reading the parameters depends on besides the query. */
export interface ParamContext {
  /** The shop's time zone, for dates without a time. @defaultValue 'UTC' */
  timeZone?: string;
  /** Now, for default ranges. @defaultValue Date.now() */
  now?: number;
}

/** Checks `query` against the export's table and parses it; throws a 400 naming the parameter. */
export function parseExportParams(kind: ExportKind, query: Query, context: ParamContext = {}): ExportParams {
  checkExportParameters(kind, Object.keys(query));
  const zone = context.timeZone ?? 'UTC';
  const fmt = choice(kind, query, 'format') as ExportFormat;
  let from = parseTime(text(query, 'from'), 'from', zone);
  let to = parseTime(text(query, 'to'), 'to', zone);
  if (kind === 'overview') {
    // The last 30 days of the shop's calendar, today included.
    const today = localDate(context.now ?? Date.now(), zone);
    to ??= startOfDay(addDays(today, 1), zone);
    from ??= startOfDay(addDays(localDate(to - 1, zone), -29), zone);
  }
  if (from !== undefined && to !== undefined && !(from < to)) throw badRequest('from must be before to', 'invalid_query');
  const params: ExportParams = { format: fmt, from, to };
  if (kind === 'overview') params.interval = choice(kind, query, 'interval') as OverviewInterval;
  if (kind === 'funnel') {
    const stepsText = text(query, 'steps');
    const steps = stepsText === undefined ? DEFAULT_STEPS : stepsText.split(',').map((s) => s.trim());
    steps.forEach(parseStep);
    const window = text(query, 'window');
    if (window !== undefined) parseDuration(window, 'window');
    const by = text(query, 'by') === undefined ? undefined : (choice(kind, query, 'by') as SessionAttribute);
    params.funnel = { steps, unit: choice(kind, query, 'unit') as FunnelUnit, window, by, from, to };
  }
  return params;
}
