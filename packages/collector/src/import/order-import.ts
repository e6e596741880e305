// `spur import orders` and POST /v1/import/orders: a CSV of line items read as a stream, its rows
// gathered into orders (order-groups.ts), each order matched to its customer (customer-lookup.ts)
// and stored as an Order Completed through the ingest service, in batches, so that validation,
// duplicates and conflicts, suppression after erasure and the stored facts are those of every
// other event. Bad rows are kept among the rejected events with their line and reason; the good
// orders are imported all the same.
import { Readable } from 'node:stream';
import { parse, type CsvError } from 'csv-parse';
import type { JsonObject } from '@spur/sdk';
import { createIngestService } from '../ingest/service';
import type { Store } from '../rules/store';
import type { RejectedEvent } from '../storage/types';
import { loadCustomerLookup, type CustomerLookup } from './customer-lookup';
import { emptySummary, MAX_LISTED, type ImportSummary } from './import-summary';
import { createOrderGrouper, type Added, type Cells, type OrderRows } from './order-groups';
import { orderEvents, toOrder, type Order } from './order-events';
import { BadRow, ImportFileError, indexColumns, parseColumnMap, parseRow, type ColumnIndex } from './order-rows';
import { storedStates, type StoredState } from './stored-orders';

/** The write key imported events and rejected rows are stored under. */
export const IMPORT_WRITE_KEY = 'spur:import';
/** Orders per call of the ingest service. */
export const BATCH_ORDERS = 2_000;

export interface ImportOptions {
  store: Store;
  /** The shop's time zone (SPUR_TIME_ZONE): dates without a time are its midnight. @defaultValue 'UTC' */
  timeZone?: string;
  /** Country of national phone numbers (ISO 3166, e.g. DE); none: numbers need a leading +. */
  country?: string;
  /** `order_id=BelegNr,date=Datum`: the file's names of spur's columns. */
  columnMap?: string;
  /** Read, check and match, and report; store nothing. */
  dryRun?: boolean;
  /** The clock (ms). @defaultValue Date.now */
  now?: () => number;
  /** Told how far the import is, every few thousand rows. */
  onProgress?: (progress: { rows: number; orders: number }) => void;
}

const FACTS = { client: { method: 'IMPORT', path: 'orders' }, gpc: false };

/** Imports the CSV `source`; throws ImportFileError when its header or the column map is wrong. */
export async function importOrders(source: Readable | AsyncIterable<Buffer | string>, options: ImportOptions): Promise<ImportSummary> {
  const { store, dryRun = false } = options;
  const now = options.now ?? Date.now;
  const rowOptions = { timeZone: options.timeZone ?? 'UTC', country: options.country, now: now() };
  const map = parseColumnMap(options.columnMap);
  const summary = emptySummary(dryRun);
  const empty = (await store.eventCountEstimate()) === 0;
  const lookup = await loadCustomerLookup(store, options.country);
  // The service's clock: the time each batch is sent.
  let batchNow = now();
  const service = createIngestService({ store, clientClock: 'trust', ipMode: 'drop', gpc: 'ignore', now: () => batchNow });
  const grouper = createOrderGrouper();
  let header: string[] = [];
  let index: ColumnIndex | undefined;
  let rejected: RejectedEvent[] = [];
  let pending: Order[] = [];
  let flushing: Promise<void> = Promise.resolve();

  const rawRow = (line: number, cells: Cells) => {
    if ('text' in cells) return JSON.stringify({ import: 'orders', line, text: cells.text });
    const row: Record<string, string> = {};
    cells.forEach((cell, i) => (row[header[i] ?? `column ${i + 1}`] = cell));
    return JSON.stringify({ import: 'orders', line, row });
  };
  // A row not imported; `keep`: stored among the rejected events here (the rules keep those that
  // the ingest service refused or found in conflict themselves).
  const bad = (line: number, reason: string, cells: Cells, keep = true) => {
    summary.badRows++;
    if (summary.bad.length < MAX_LISTED) summary.bad.push({ line, reason });
    if (!keep || dryRun) return;
    rejected.push({ raw: rawRow(line, cells), reason: `line ${line}: ${reason}`, writeKey: IMPORT_WRITE_KEY, receivedAt: new Date(now()).toISOString() });
    // A file of bad rows is not held in memory either.
    if (rejected.length >= BATCH_ORDERS) startFlush();
  };
  const refuse = (rows: OrderRows, line: number, reason: string, keep = true) => {
    for (const row of rows.rows) {
      bad(row.line, row.line === line ? reason : `order ${JSON.stringify(rows.orderId)} is not imported: line ${line}: ${reason}`, row.cells, keep);
    }
  };
  const byOrder = new Map<Order, OrderRows>();
  const complete = (rows: OrderRows) => {
    if (rows.bad.length) {
      const first = rows.bad[0];
      const badLines = new Set(rows.bad.map((b) => b.line));
      for (const b of rows.bad) bad(b.line, b.reason, b.cells);
      for (const row of rows.rows) {
        if (!badLines.has(row.line)) bad(row.line, `order ${JSON.stringify(rows.orderId)} is not imported: line ${first.line} is bad`, row.cells);
      }
      return;
    }
    const order = toOrder(rows);
    if ('reason' in order) return refuse(rows, order.line, order.reason);
    byOrder.set(order, rows);
    pending.push(order);
    if (pending.length >= BATCH_ORDERS) startFlush();
  };
  const startFlush = () => {
    const orders = pending;
    const keep = rejected;
    pending = [];
    rejected = [];
    flushing = flushing.then(() => flush(orders, keep));
    // Awaited later; marked handled now, so that a failure does not count as unhandled meanwhile.
    flushing.catch(() => undefined);
  };
  const flush = async (orders: Order[], keep: RejectedEvent[]) => {
    if (keep.length) await store.append({ writeKey: IMPORT_WRITE_KEY, events: [], rejected: keep });
    if (!orders.length) return;
    const matches = orders.map((order) => lookup.match(order));
    const built = orders.map((order, i) => orderEvents(order, matches[i]));
    const events = built.map((b) => b[0]);
    // A store without events holds none of them: nothing to look up (a first import, the benchmark).
    const states = empty ? events.map((): StoredState => 'new') : await storedStates(store, events);
    const refused = new Map<number, string>();
    let accepted = states.filter((state) => state === 'new').length;
    if (!dryRun) {
      // Plain duplicates are not sent again: the rules would only find them the same once more.
      // New orders and conflicts are (the rules keep a conflict among the rejected events).
      const sent = states.flatMap((state, i) => (state === 'duplicate' ? [] : [i]));
      if (sent.length) {
        batchNow = now();
        const answer = await service.ingest({ writeKey: IMPORT_WRITE_KEY, events: sent.map((i) => events[i]), escapes: true }, FACTS);
        let refusedNew = 0;
        for (const { index: at, reason } of answer.rejected) {
          refused.set(sent[at], reason);
          if (states[sent[at]] === 'new') refusedNew++;
        }
        // New orders not stored carry an erased customer's id (or came meanwhile from elsewhere).
        summary.suppressed += Math.max(0, accepted - refusedNew - answer.accepted);
        accepted = answer.accepted;
      }
    }
    summary.imported += accepted;
    const links: JsonObject[] = [];
    orders.forEach((order, i) => {
      const rows = byOrder.get(order)!;
      byOrder.delete(order);
      const why = refused.get(i);
      if (why !== undefined) return refuse(rows, order.line, why, false);
      if (states[i] === 'conflict') {
        const reason = `order ${JSON.stringify(order.orderId)} was imported before with other lines, customer or date: the stored order stays`;
        return refuse(rows, order.line, dryRun ? reason : `${reason} (this one is kept among the rejected events as a conflict)`, false);
      }
      count(summary, order, matches[i].by);
      if (states[i] === 'duplicate') summary.duplicates++;
      links.push(...built[i].slice(1));
    });
    if (links.length && !dryRun) {
      batchNow = now();
      await service.ingest({ writeKey: IMPORT_WRITE_KEY, events: links, escapes: true }, FACTS);
    }
  };

  // A bad row of an order keeps the whole order out (an order with a line missing would be wrong).
  const badRow = (line: number, reason: string, cells: Cells, orderId: string | undefined): Added | undefined => {
    if (!orderId) return void bad(line, reason, cells);
    return grouper.badRow({ line, reason, cells, orderId });
  };
  const after = (line: number, cells: Cells, added: Added | undefined) => {
    if (added?.refused) bad(line, added.refused, cells);
    for (const rows of added?.completed ?? []) complete(rows);
  };
  // Quotes inside a cell are kept as they are (relax_quotes): a stray one is not a reason to lose a
  // row. A quote left open is: the rest of the file is one quoted cell. The parser skips such a
  // record; it is a bad row from its first line to its last, of the order its text names first.
  // The parser reports a skip when it meets it, which may be before the records ahead of it are
  // taken from its buffer: each is taken in its place, before the first record after it.
  const skipped: { line: number; reason: string; text: string }[] = [];
  const takeSkipped = (before = Infinity) => {
    while (skipped.length && skipped[0].line < before) {
      const { line: last, reason, text } = skipped.shift()!;
      const lines = Math.max(1, text.split('\n').length - (text.endsWith('\n') ? 1 : 0));
      const line = last - lines + 1;
      summary.rows++;
      const orderId = index ? text.split(',')[index.order_id]?.replace(/"/g, '').trim() : undefined;
      const why = lines > 1 ? `lines ${line} to ${last} are not CSV: ${reason}` : `not CSV: ${reason}`;
      after(line, { text }, badRow(line, why, { text }, orderId));
    }
  };
  const parser = parse({ bom: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true, info: true, raw: true, skip_records_with_error: true });
  parser.on('skip', (err: CsvError & { lines?: number; raw?: string }) => skipped.push({ line: err.lines ?? 0, reason: err.message, text: err.raw ?? '' }));
  const input = 'pipe' in source ? source : Readable.from(source);
  input.on('error', (err) => parser.destroy(err));
  input.pipe(parser);
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    takeSkipped(info.lines);
    if (!index) {
      header = record.map((h) => h.trim());
      const columns = indexColumns(header, map);
      index = columns.index;
      summary.ignoredColumns = columns.ignored;
      continue;
    }
    summary.rows++;
    const line = info.lines;
    const orderId = record[index.order_id]?.trim();
    if (record.length !== header.length) after(line, record, badRow(line, `has ${record.length} cells, the header ${header.length}`, record, orderId));
    else {
      let item;
      try {
        item = parseRow(record, line, index, rowOptions);
      } catch (err) {
        if (!(err instanceof BadRow)) throw err;
        after(line, record, badRow(line, err.message, record, orderId));
      }
      if (item) after(line, record, grouper.item(item, record));
    }
    if (summary.rows % 10_000 === 0) {
      options.onProgress?.({ rows: summary.rows, orders: summary.orders });
      // Back-pressure: at most one batch waits behind the one being written.
      await flushing;
    }
  }
  takeSkipped();
  if (!index) throw new ImportFileError('the file is empty: it needs a header row and one row per line item');
  for (const rows of grouper.end()) complete(rows);
  startFlush();
  await flushing;
  options.onProgress?.({ rows: summary.rows, orders: summary.orders });
  summary.bad.sort((a, b) => a.line - b.line);
  return summary;
}

function count(summary: ImportSummary, order: Order, by: ReturnType<CustomerLookup['match']>['by']): void {
  summary.orders++;
  summary.lineItems += order.items.length;
  if (by === null) summary.unmatched++;
  else summary.matched[by]++;
}
