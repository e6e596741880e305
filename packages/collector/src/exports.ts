// The exports of the admin API and of `spur export`: one parser for their parameters (the HTTP
// query string and the command's flags share names) and one producer of their text, streamed in
// chunks so that neither the route nor the command holds a large export in memory.
import {
  chunked,
  toCsv,
  toJsonArray,
  toNdjson,
  type AbandonedCart,
  type CsvColumn,
  type CustomerStats,
  type FunnelResult,
  type FunnelStepRow,
  type FunnelUnit,
  type ProductStats,
  type SessionAttribute,
} from './analytics';
import { createAnalyticsService, type AnalyticsService, type AnalyticsServiceOptions } from './analytics-service';
import { badRequest } from './errors';
import type { Storage } from './storage/types';

export const EXPORT_KINDS = ['funnel', 'abandoned-carts', 'products', 'profiles', 'events'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];
export type ExportFormat = 'json' | 'csv' | 'ndjson';

const FORMATS: Record<ExportKind, readonly ExportFormat[]> = {
  funnel: ['json', 'csv'],
  'abandoned-carts': ['json', 'csv', 'ndjson'],
  products: ['json', 'csv', 'ndjson'],
  profiles: ['json', 'csv', 'ndjson'],
  events: ['ndjson'],
};

const DEFAULT_STEPS = ['Product Viewed', 'Product Added', 'Checkout Started', 'Order Completed'];

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
  chunks: AsyncIterable<string>;
}

export interface ExportOptions extends AnalyticsServiceOptions {
  /** The collector's running service (shared cache); a one-off one is made when absent. */
  analytics?: AnalyticsService;
}

type Query = Record<string, unknown>;

function text(query: Query, name: string): string | undefined {
  const value = query[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw badRequest(`${name} must be given once`, 'invalid_query');
  return value;
}

/** An ISO 8601 date (midnight UTC) or date-time with a zone, as epoch ms. */
export function parseTime(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ok = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/.test(value);
  const ms = ok ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) {
    throw badRequest(`${name} must be an ISO 8601 date or time with a zone, e.g. 2026-11-01 or 2026-11-01T12:00:00Z (got ${JSON.stringify(value)})`, 'invalid_query');
  }
  return ms;
}

function range(query: Query) {
  const from = parseTime(text(query, 'from'), 'from');
  const to = parseTime(text(query, 'to'), 'to');
  if (from !== undefined && to !== undefined && !(from < to)) throw badRequest('from must be before to', 'invalid_query');
  return { from, to };
}

function format(kind: ExportKind, query: Query): ExportFormat {
  const allowed = FORMATS[kind];
  const value = text(query, 'format') ?? allowed[0];
  if (!(allowed as readonly string[]).includes(value)) {
    throw badRequest(`format of the ${kind} export must be one of ${allowed.join(', ')}`, 'invalid_query');
  }
  return value as ExportFormat;
}

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

function steps(query: Query): string[] {
  const value = text(query, 'steps');
  if (value === undefined) return DEFAULT_STEPS;
  return value.split(',').map((s) => s.trim());
}

/**
 * Validates `query` (400 HttpError naming the parameter) and produces the export. Abandoned carts
 * are detected, and their Cart Abandoned events recorded, up to now before any export.
 */
export async function runExport(storage: Storage, kind: ExportKind, query: Query, options: ExportOptions = {}): Promise<ExportOutput> {
  if (!EXPORT_KINDS.includes(kind)) throw badRequest(`unknown export ${JSON.stringify(kind)}: one of ${EXPORT_KINDS.join(', ')}`);
  const fmt = format(kind, query);
  const { from, to } = range(query);
  const out = (chunks: AsyncIterable<string>, totalRows?: number): ExportOutput => ({
    contentType: CONTENT_TYPES[fmt],
    filename: `spur-${kind}.${fmt}`,
    chunks,
    ...(totalRows !== undefined && { totalRows }),
  });

  if (kind === 'events') return out(eventPages(storage, from, to), await storage.countEvents({ from, to }));

  const funnelQuery =
    kind === 'funnel'
      ? {
          steps: steps(query),
          unit: text(query, 'unit') as FunnelUnit | undefined,
          window: text(query, 'window'),
          by: text(query, 'by') as SessionAttribute | undefined,
          from,
          to,
        }
      : undefined;
  const service = options.analytics ?? createAnalyticsService(storage, options);
  const analytics = await service.refresh();
  const asOf = (options.now ?? Date.now)();
  switch (kind) {
    case 'funnel': {
      const result = analytics.funnel(funnelQuery!);
      return out(asAsync(fmt === 'csv' ? funnelCsv(result) : [JSON.stringify(result)]));
    }
    case 'abandoned-carts':
      return out(asAsync(rowsAs(analytics.abandonedCarts({ asOf, from, to }), fmt, CART_COLUMNS)));
    case 'products':
      return out(asAsync(rowsAs(analytics.products({ asOf, from, to }), fmt, PRODUCT_COLUMNS)));
    default:
      return out(asAsync(rowsAs(analytics.customers({ from, to }), fmt, PROFILE_COLUMNS)));
  }
}
