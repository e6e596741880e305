// The exports of the admin API and of `spur export`: their parameters are checked against one
// table (export-params.ts; the HTTP query string and the command's flags share names), and one
// producer writes their text, streamed in chunks so that neither the route nor the command holds
// a large export in memory.
import { chunked, funnelWarnings, toCsv, toJsonArray, toNdjson, type CsvColumn, type Overview } from './analytics';
import { cartColumns, funnelCsv, overviewCsv, PAIR_COLUMNS, productColumns, reasonColumns, STEP_OPTION_COLUMNS } from './export-columns';
import { createAnalyticsService, type AnalyticsService, type AnalyticsServiceOptions } from './jobs/catch-up';
import { badRequest } from './errors';
import { customersCsv, segmentsCsv } from './customer-exports';
import { EXPORT_KINDS, parseAsOf, parseExportParams, type ExportFormat, type ExportKind } from './export-params';
import { customerHistory } from './history';
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

function rowsAs<T>(rows: readonly T[], fmt: ExportFormat, columns: (rows: readonly T[]) => readonly CsvColumn<T>[], bom: boolean): Iterable<string> {
  if (fmt === 'csv') return toCsv(rows, columns(rows), { bom });
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
  const now = (options.now ?? Date.now)();
  const timeZone = options.timeZone ?? 'UTC';
  const params = parseExportParams(kind, query, { timeZone, now });
  const { format: fmt, from, to, includeBots, filter, bom, funnel, pairs, interval } = params;
  const out = (chunks: AsyncIterable<string>, totalRows?: number, warnings: string[] = [], filename = `spur-${kind}.${fmt}`): ExportOutput => ({
    contentType: CONTENT_TYPES[fmt],
    filename,
    chunks,
    warnings,
    ...(totalRows !== undefined && { totalRows }),
  });

  if (kind === 'events') return out(eventPages(storage, from, to), await storage.countEvents({ from, to }));

  const service = options.analytics ?? createAnalyticsService(storage, options);
  const analytics = await service.refresh();
  // Exports that waited for the same refresh (they came while another was under way, and share the
  // one queued after it) go on one per turn of the event loop: without this,
  // the next one's computation (a synchronous pass over every row) runs before the bytes of the
  // one computed first are written, and a dashboard that asks for two at once (the Overview: this
  // period and the previous one) sees its first figures only after both are computed.
  await new Promise((resolve) => setImmediate(resolve));
  const asOf = now;
  // The customer insight reads "as if asOf were now": nothing after it (export-params.ts parseAsOf).
  const until = parseAsOf(params.asOf, now, timeZone);
  const narrowing = { from, to, includeBots, filter };
  switch (kind) {
    case 'funnel': {
      const result = analytics.funnel({ ...funnel!, includeBots, filter, asOf });
      const warnings = funnelWarnings(analytics.table.view(), funnel!.steps);
      return out(asAsync(fmt === 'csv' ? funnelCsv(result, bom) : [JSON.stringify({ ...result, warnings })]), undefined, warnings);
    }
    case 'abandoned-carts':
      return out(asAsync(rowsAs(analytics.abandonedCartRows({ ...narrowing, asOf }), fmt, cartColumns, bom)));
    case 'cart-reasons':
      return out(asAsync(rowsAs(analytics.cartReasons({ ...narrowing, asOf }), fmt, reasonColumns, bom)));
    case 'products':
      return out(asAsync(rowsAs(analytics.products({ ...narrowing, asOf }), fmt, productColumns, bom)));
    case 'overview': {
      let result: Overview;
      try {
        result = analytics.overview({ ...narrowing, from: from!, to: to!, timeZone, interval: interval!, asOf });
      } catch (err) {
        if (err instanceof RangeError) throw badRequest(`${err.message}: choose a shorter range or interval=day`, 'invalid_query');
        throw err;
      }
      return out(asAsync(fmt === 'csv' ? overviewCsv(result, bom) : [JSON.stringify(result)]));
    }
    case 'steps':
      return out(asAsync(rowsAs(analytics.steps(narrowing), fmt, () => STEP_OPTION_COLUMNS, bom)));
    case 'products-together':
      return out(asAsync(rowsAs(analytics.productsTogether({ ...narrowing, asOf, ...pairs }), fmt, () => PAIR_COLUMNS, bom)));
    case 'segments': {
      const summary = analytics.segments({ ...narrowing, asOf: until });
      return out(asAsync(fmt === 'csv' ? segmentsCsv(summary, bom) : [JSON.stringify(summary)]));
    }
    case 'history': {
      const history = await customerHistory(storage, params.customer!, { analytics, asOf: until, format: fmt, includeBots, from, to, filter, bom });
      const name = history.customerId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);
      return out(history.chunks, undefined, [], `spur-history-${name}.${fmt}`);
    }
    default: {
      // customers, and profiles (its earlier name).
      const { rows } = analytics.customers({ ...narrowing, asOf: until });
      return out(asAsync(fmt === 'csv' ? customersCsv(rows, [], bom) : rowsAs(rows, fmt, () => [], false)));
    }
  }
}

/**
 * Warnings as a header value: a JSON array, with every character outside printable ASCII
 * escaped, since a header carries no more (JSON.parse reads it back).
 */
export function warningsHeader(warnings: readonly string[]): string {
  return JSON.stringify(warnings).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
