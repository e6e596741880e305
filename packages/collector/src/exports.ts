// The exports of the admin API and of `spur export`: their parameters are checked against one
// table (export-params.ts; the HTTP query string and the command's flags share names), and one
// producer writes their text, streamed in chunks so that neither the route nor the command holds
// a large export in memory.
import {
  chunked,
  funnelWarnings,
  toCsv,
  toJsonArray,
  toNdjson,
  type AbandonedCart,
  type CsvColumn,
  type CustomerStats,
  type FunnelResult,
  type FunnelStepRow,
  type Overview,
  type ProductStats,
  type StepOption,
} from './analytics';
import { createAnalyticsService, type AnalyticsService, type AnalyticsServiceOptions } from './jobs/catch-up';
import { badRequest } from './errors';
import { EXPORT_KINDS, parseExportParams, type ExportFormat, type ExportKind } from './export-params';
import type { Storage } from './storage/types';

export { EXPORT_KINDS, type ExportFormat, type ExportKind } from './export-params';

/** The answer header that carries an export's warnings (as a JSON array of strings). */
export const WARNINGS_HEADER = 'X-Spur-Warnings';

const CONTENT_TYPES: Record<ExportFormat, string> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8; header=present',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

/** Rows per storage read of the events export: memory stays flat however many there are. */
const EVENTS_PAGE = 2000;

export interface ExportOutput {
  contentType: string;
  /** A file name for Content-Disposition, e.g. spur-funnel.csv. */
  filename: string;
  /** Data rows to come, when known before streaming (the events export). */
  totalRows?: number;
  /**
   * What the caller should know about the answer, e.g. a funnel step no stored event matches.
   * JSON funnels carry them in the body too; the route sends them in WARNINGS_HEADER.
   */
  warnings: string[];
  chunks: AsyncIterable<string>;
}

export interface ExportOptions extends AnalyticsServiceOptions {
  /** The collector's running service (shared cache); a one-off one is made when absent. */
  analytics?: AnalyticsService;
  /** The clock carts are abandoned by. @defaultValue Date.now */
  now?: () => number;
  /** The shop's time zone (SPUR_TIME_ZONE): dates without a time, the overview's days. @defaultValue 'UTC' */
  timeZone?: string;
}

type Query = Record<string, unknown>;

const STEP_COLUMNS: (keyof FunnelStepRow)[] = [
  'step',
  'name',
  'units',
  'dropOff',
  'conversionFromPrevious',
  'conversionFromStart',
  'medianSecondsFromPrevious',
];

// A funnel as CSV: one row per step; with a breakdown, the segment's attribute and value lead.
function* funnelCsv(result: FunnelResult): Generator<string> {
  if (!result.segments) {
    yield* toCsv(result.steps, STEP_COLUMNS);
    return;
  }
  type Row = FunnelStepRow & { segmentBy: string; segment: string };
  const rows: Row[] = [];
  for (const s of result.segments) for (const step of s.steps) rows.push({ ...step, segmentBy: s.key, segment: s.value });
  yield* toCsv(rows, ['segmentBy', 'segment', ...STEP_COLUMNS] as CsvColumn<Row>[]);
}

const CART_COLUMNS: CsvColumn<AbandonedCart>[] = [
  'profileId',
  'customerId',
  'anonymousId',
  { header: 'items', value: (c) => c.items },
  { header: 'itemCount', value: (c) => c.items.reduce((n, i) => n + i.quantity, 0) },
  'value',
  'currency',
  'lastActivityAt',
  'abandonedAt',
  'recovered',
  'recoveredOrderId',
];

const PRODUCT_COLUMNS: (keyof ProductStats)[] = [
  'productId',
  'name',
  'views',
  'adds',
  'removes',
  'purchases',
  'units',
  'revenue',
  'viewToCartRate',
  'cartToPurchaseRate',
  'timesAbandoned',
];

const PROFILE_COLUMNS: (keyof CustomerStats)[] = [
  'customerId',
  'firstSeen',
  'lastSeen',
  'events',
  'sessions',
  'devices',
  'orders',
  'revenue',
  'averageOrderValue',
  'lastPurchaseAt',
];

const STEP_COLUMNS_OF_OPTIONS: (keyof StepOption)[] = ['step', 'kind', 'events'];

// The overview as CSV: its series, a row per day (hour), a revenue column per currency.
function* overviewCsv(result: Overview): Generator<string> {
  type Point = Overview['series'][number];
  const currencies = result.totals.revenue.map((r) => String(r.currency));
  const columns: CsvColumn<Point>[] = [
    { header: 'start', value: (p) => p.start },
    { header: 'label', value: (p) => p.label },
    'visitors',
    'sessions',
    'orders',
    ...currencies.map((c) => ({ header: `revenue_${c}`, value: (p: Point) => p.revenue[c] ?? 0 })),
  ];
  yield* toCsv(result.series, columns);
}

function rowsAs<T>(rows: Iterable<T>, fmt: ExportFormat, columns: readonly CsvColumn<T>[]): Iterable<string> {
  if (fmt === 'csv') return toCsv(rows, columns);
  if (fmt === 'ndjson') return toNdjson(rows);
  return toJsonArray(rows);
}

async function* asAsync(pieces: Iterable<string>): AsyncGenerator<string> {
  yield* chunked(pieces);
}

// Every stored event with its time in range, in arrival order, page by page: each page is one short
// read, so an export of millions of events neither holds them nor blocks the collector.
async function* eventPages(storage: Storage, from: number | undefined, to: number | undefined): AsyncGenerator<string> {
  let after = 0;
  let buffer = '';
  for (;;) {
    const rows = await storage.eventPage({ from, to }, after, EVENTS_PAGE);
    for (const row of rows) buffer += row.body + '\n';
    if (buffer.length >= 65536 || (rows.length < EVENTS_PAGE && buffer)) {
      yield buffer;
      buffer = '';
    }
    if (rows.length < EVENTS_PAGE) return;
    after = rows[rows.length - 1].seq;
  }
}

/**
 * Validates `query` against the export's parameters (export-params.ts; a 400 HttpError naming the
 * parameter) and produces the export. It only reads: abandoned carts are detected up to now, and
 * their Cart Abandoned events are the abandonment job's to record (jobs/abandonment.ts).
 */
export async function runExport(storage: Storage, kind: ExportKind, query: Query, options: ExportOptions = {}): Promise<ExportOutput> {
  if (!EXPORT_KINDS.includes(kind)) throw badRequest(`unknown export ${JSON.stringify(kind)}: one of ${EXPORT_KINDS.join(', ')}`);
  const asOf = (options.now ?? Date.now)();
  const timeZone = options.timeZone ?? 'UTC';
  const { format: fmt, from, to, funnel, interval } = parseExportParams(kind, query, { timeZone, now: asOf });
  const out = (chunks: AsyncIterable<string>, totalRows?: number, warnings: string[] = []): ExportOutput => ({
    contentType: CONTENT_TYPES[fmt],
    filename: `spur-${kind}.${fmt}`,
    chunks,
    warnings,
    ...(totalRows !== undefined && { totalRows }),
  });

  if (kind === 'events') return out(eventPages(storage, from, to), await storage.countEvents({ from, to }));

  const service = options.analytics ?? createAnalyticsService(storage, options);
  const analytics = await service.refresh();
  switch (kind) {
    case 'funnel': {
      const result = analytics.funnel(funnel!);
      const warnings = funnelWarnings(analytics.table.view(), funnel!.steps);
      return out(asAsync(fmt === 'csv' ? funnelCsv(result) : [JSON.stringify({ ...result, warnings })]), undefined, warnings);
    }
    case 'abandoned-carts':
      return out(asAsync(rowsAs(analytics.abandonedCarts({ asOf, from, to }), fmt, CART_COLUMNS)));
    case 'products':
      return out(asAsync(rowsAs(analytics.products({ asOf, from, to }), fmt, PRODUCT_COLUMNS)));
    case 'overview': {
      let result: Overview;
      try {
        result = analytics.overview({ from: from!, to: to!, timeZone, interval: interval!, asOf });
      } catch (err) {
        if (err instanceof RangeError) throw badRequest(`${err.message}: choose a shorter range or interval=day`, 'invalid_query');
        throw err;
      }
      return out(asAsync(fmt === 'csv' ? overviewCsv(result) : [JSON.stringify(result)]));
    }
    case 'steps':
      return out(asAsync(rowsAs(analytics.steps({ from, to }), fmt, STEP_COLUMNS_OF_OPTIONS)));
    default:
      return out(asAsync(rowsAs(analytics.customers({ from, to }), fmt, PROFILE_COLUMNS)));
  }
}

/**
 * Warnings as a header value: a JSON array, with every character outside printable ASCII
 * escaped, since a header carries no more (JSON.parse reads it back).
 */
export function warningsHeader(warnings: readonly string[]): string {
  return JSON.stringify(warnings).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
