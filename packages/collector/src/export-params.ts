// The parameters of each export, in one table: GET /v1/exports/:kind checks a query string
// against it (through runExport) and `spur export` builds its options from it, so that the two
// never disagree. A parameter an export does not take is a 400 naming it, never ignored: a
// typo or a filter that is not there would otherwise answer with numbers that look right.
import {
  addDays,
  DEFAULT_MIN_ORDERS,
  DEFAULT_PAIR_LIMIT,
  FUNNEL_BREAKDOWNS,
  FUNNEL_UNITS,
  isDate,
  localDate,
  MAX_PAIR_LIMIT,
  OVERVIEW_INTERVALS,
  SEGMENTS,
  parseDuration,
  parseStep,
  startOfDay,
  type FunnelQuery,
  type FunnelUnit,
  type OverviewInterval,
  type RowFilter,
  type Segment,
  type FunnelBreakdown,
} from './analytics';
import { badRequest } from './errors';

export const EXPORT_KINDS = ['funnel', 'abandoned-carts', 'cart-reasons', 'products', 'products-together', 'customers', 'profiles', 'segments', 'history', 'events', 'overview', 'steps'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];
export type ExportFormat = 'json' | 'csv' | 'ndjson';

export interface ExportParameter {
  name: string;
  /** The values it takes, when they are a fixed list (the first is the default). */
  values?: readonly string[];
  /** Whether it takes several values, comma-separated (any of them matches). */
  list?: boolean;
  /** What it does, for help texts. */
  help: string;
}

/** The device types a user agent is reduced to (useragent.ts). */
export const DEVICE_TYPES = ['desktop', 'mobile', 'tablet', 'bot', 'unknown'] as const;

const FROM: ExportParameter = { name: 'from', help: "only from this time on (ISO 8601 time with a zone, or a date: midnight in the shop's time zone; inclusive)" };
const TO: ExportParameter = { name: 'to', help: 'only before this time (exclusive)' };
const AS_OF: ExportParameter = {
  name: 'asOf',
  help: "as if this were now: a day (YYYY-MM-DD, up to its end in the shop's time zone) or a time with a zone; nothing after it is read (default: now)",
};
const CUSTOMER: ExportParameter = { name: 'customer', help: 'the customer id, or the anonymous id of a guest (required)' };
const DEVICE: ExportParameter = { name: 'device', values: DEVICE_TYPES, list: true, help: 'device types, comma-separated' };
const CHANNEL: ExportParameter = { name: 'channel', list: true, help: 'marketing channels (direct, organic_search, ...) or sales channels (phone, store, ...), comma-separated' };
const UTM_SOURCE: ExportParameter = { name: 'utmSource', list: true, help: 'UTM sources, comma-separated; (none) for sessions without one' };
const SEGMENT: ExportParameter = { name: 'segment', values: SEGMENTS, list: true, help: 'RFM segments (Champions, At risk, ...), comma-separated' };
const INCLUDE_BOTS: ExportParameter = { name: 'includeBots', values: ['false', 'true'], help: 'count the events of bots (device type bot) too' };
// The filters of the analytics exports (what each means for which export: the README's table of filters).
const FILTERS: readonly ExportParameter[] = [FROM, TO, DEVICE, CHANNEL, UTM_SOURCE, SEGMENT, INCLUDE_BOTS];
const format = (...values: ExportFormat[]): ExportParameter => ({ name: 'format', values, help: 'output format' });
const BOM: ExportParameter = { name: 'bom', values: ['false', 'true'], help: 'start a CSV with a UTF-8 byte order mark (for Excel)' };
const CUSTOMERS: readonly ExportParameter[] = [AS_OF, ...FILTERS, format('json', 'csv', 'ndjson'), BOM];

/** The parameters each export takes; anything else answers 400. */
export const EXPORT_PARAMETERS: Readonly<Record<ExportKind, readonly ExportParameter[]>> = {
  funnel: [
    { name: 'steps', help: 'event names, page, or page:/path (a path prefix), comma-separated' },
    { name: 'unit', values: FUNNEL_UNITS, help: 'what is counted' },
    { name: 'window', help: 'conversion window after step 1, e.g. 30m, 2h, 7d' },
    { name: 'by', values: FUNNEL_BREAKDOWNS, help: 'breakdown by an attribute of the session of step 1, or its customer\'s RFM segment' },
    ...FILTERS,
    format('json', 'csv'),
    BOM,
  ],
  'abandoned-carts': [...FILTERS, format('json', 'csv', 'ndjson'), BOM],
  'cart-reasons': [...FILTERS, format('json', 'csv', 'ndjson'), BOM],
  products: [...FILTERS, format('json', 'csv', 'ndjson'), BOM],
  'products-together': [
    ...FILTERS,
    { name: 'minOrders', help: `pairs bought together in at least this many orders (default ${DEFAULT_MIN_ORDERS})` },
    { name: 'limit', help: `at most this many pairs, most orders first (default ${DEFAULT_PAIR_LIMIT}, at most ${MAX_PAIR_LIMIT})` },
    format('json', 'csv', 'ndjson'),
    BOM,
  ],
  customers: CUSTOMERS,
  // The customers export under its earlier name (the same rows and parameters).
  profiles: CUSTOMERS,
  segments: [AS_OF, FROM, TO, DEVICE, CHANNEL, UTM_SOURCE, INCLUDE_BOTS, format('json', 'csv'), BOM],
  history: [CUSTOMER, AS_OF, FROM, TO, DEVICE, CHANNEL, UTM_SOURCE, INCLUDE_BOTS, format('json', 'ndjson', 'csv'), BOM],
  events: [FROM, TO, format('ndjson')],
  overview: [
    { ...FROM, help: `${FROM.help}; default: 29 days before today` },
    { ...TO, help: `${TO.help}; default: the end of today` },
    { name: 'interval', values: OVERVIEW_INTERVALS, help: "the series' points: days or hours of the shop's time zone" },
    DEVICE,
    CHANNEL,
    UTM_SOURCE,
    INCLUDE_BOTS,
    format('json', 'csv'),
    BOM,
  ],
  steps: [FROM, TO, DEVICE, CHANNEL, UTM_SOURCE, INCLUDE_BOTS, format('json', 'csv'), BOM],
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

// A list parameter's values: comma-separated, trimmed, none empty. A parameter with a list of
// values takes them in any case and gives them as the list spells them; free ones are lower-cased
// with `lower` (channels are lower-case words).
function list(kind: ExportKind, query: Query, name: string, lower = false): string[] | undefined {
  const raw = text(query, name);
  if (raw === undefined) return undefined;
  const values = raw.split(',').map((v) => (lower ? v.trim().toLowerCase() : v.trim()));
  if (values.some((v) => v === '')) throw badRequest(`${name} must be a comma-separated list without empty values (got ${JSON.stringify(raw)})`, 'invalid_query');
  const allowed = EXPORT_PARAMETERS[kind].find((p) => p.name === name)!.values;
  if (!allowed) return values;
  return values.map((v) => {
    const known = allowed.find((a) => a.toLowerCase() === v.toLowerCase());
    if (known === undefined) throw badRequest(`${name} must be one or more of ${allowed.join(', ')} (got ${JSON.stringify(v)})`, 'invalid_query');
    return known;
  });
}

// A whole number in [min, max].
function count(query: Query, name: string, min: number, max: number): number | undefined {
  const raw = text(query, name);
  if (raw === undefined) return undefined;
  const n = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= min && n <= max)) throw badRequest(`${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(raw)})`, 'invalid_query');
  return n;
}

/**
 * asOf as an inclusive epoch-ms bound: a day YYYY-MM-DD means up to the end of that day in
 * `timeZone` (the shop's, as from and to read dates), a time that moment; `now` when absent.
 */
export function parseAsOf(value: string | undefined, now: number, timeZone = 'UTC'): number {
  if (value === undefined) return now;
  const ms = parseTime(value, 'asOf', timeZone)!;
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? startOfDay(addDays(value, 1), timeZone) - 1 : ms;
}

/** An export's parameters, checked before any work (a cold analytics catch-up can take seconds). */
export interface ExportParams {
  format: ExportFormat;
  from?: number;
  to?: number;
  /** The overview's points. */
  interval?: OverviewInterval;
  /** asOf as given (parseAsOf makes it a time against the clock). */
  asOf?: string;
  /** The history export's customer. */
  customer?: string;
  /** Count bots' events too (analytics exports). */
  includeBots: boolean;
  /** The device, channel and UTM source filters (analytics exports). */
  filter: RowFilter;
  /** A UTF-8 byte order mark before CSV. */
  bom: boolean;
  /** The funnel's query, for the funnel export. */
  funnel?: FunnelQuery & { steps: string[] };
  /** products-together: the bounds of its pairs. */
  pairs?: { minOrders?: number; limit?: number };
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
  const takes = (name: string) => EXPORT_PARAMETERS[kind].some((p) => p.name === name);
  const includeBots = takes('includeBots') && choice(kind, query, 'includeBots') === 'true';
  const bom = takes('bom') && choice(kind, query, 'bom') === 'true';
  if (bom && fmt !== 'csv') throw badRequest('bom applies to CSV only: add format=csv', 'invalid_query');
  const filter: RowFilter = {};
  if (takes('device')) filter.device = list(kind, query, 'device', true);
  if (takes('channel')) filter.channel = list(kind, query, 'channel', true);
  if (takes('utmSource')) filter.utmSource = list(kind, query, 'utmSource');
  if (takes('segment')) filter.segment = list(kind, query, 'segment') as Segment[] | undefined;
  for (const key of Object.keys(filter) as (keyof RowFilter)[]) if (filter[key] === undefined) delete filter[key];
  const params: ExportParams = { format: fmt, from, to, includeBots, filter, bom };
  if (kind === 'overview') params.interval = choice(kind, query, 'interval') as OverviewInterval;
  const asOf = text(query, 'asOf');
  if (asOf !== undefined) parseAsOf(asOf, 0, zone);
  params.asOf = asOf;
  if (kind === 'history') {
    params.customer = text(query, 'customer');
    if (params.customer === undefined) throw badRequest('the history export needs customer: the customer id, or the anonymous id of a guest', 'invalid_query');
  }
  if (kind === 'funnel') {
    const stepsText = text(query, 'steps');
    const steps = stepsText === undefined ? DEFAULT_STEPS : stepsText.split(',').map((s) => s.trim());
    steps.forEach(parseStep);
    const window = text(query, 'window');
    if (window !== undefined) parseDuration(window, 'window');
    const by = text(query, 'by') === undefined ? undefined : (choice(kind, query, 'by') as FunnelBreakdown);
    params.funnel = { steps, unit: choice(kind, query, 'unit') as FunnelUnit, window, by, from, to };
  }
  if (kind === 'products-together') params.pairs = { minOrders: count(query, 'minOrders', 1, 1_000_000_000), limit: count(query, 'limit', 1, MAX_PAIR_LIMIT) };
  return params;
}
