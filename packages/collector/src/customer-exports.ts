// The customers and segments exports as CSV. JSON and NDJSON carry a customer's figures per
// currency as a list (`currencies`); a CSV row is flat, so each currency a customer bought in is a
// group of four columns, the currency next to its amounts: currency_1, orders_1, revenue_1,
// averageOrderValue_1, currency_2, ... (the main currency first), as many groups as the customer
// with the most currencies needs. Lists of words (channels, device types) are one cell with the
// words separated by spaces, none of which contains a space.
import { toCsv, type CsvColumn, type CustomerRow, type SegmentFigures, type SegmentSummary } from './analytics';

/** The columns every customer row has, in the order of the CSV. */
export const CUSTOMER_COLUMNS = [
  'customerId',
  'identified',
  'firstSeen',
  'lastSeen',
  'events',
  'sessions',
  'devices',
  'orders',
  'firstOrderAt',
  'lastOrderAt',
  'meanDaysBetweenOrders',
  'channels',
  'deviceTypes',
  'productsBought',
  'unitsBought',
  'cartsAbandoned',
  'cartsRecovered',
  'recency',
  'frequency',
  'monetary',
  'monetaryCurrency',
  'daysSinceLastOrder',
  'segment',
  'previousSegment',
  'segmentSince',
  'pAlive',
  'expectedOrders30d',
  'expectedOrders90d',
  'expectedOrders365d',
  'expectedValue365d',
  'expectedValueCurrency',
] as const;

const words = (list: readonly string[]) => list.join(' ');

/** CSV of customer rows (the rows are in memory already: the engine answers them whole). */
export function customersCsv<T extends CustomerRow>(rows: readonly T[], extra: readonly CsvColumn<T>[] = [], bom = false): Generator<string> {
  const groups = Math.max(1, ...rows.map((r) => r.currencies.length));
  const columns: CsvColumn<T>[] = CUSTOMER_COLUMNS.map((name) =>
    name === 'channels' || name === 'deviceTypes' ? { header: name, value: (r: T) => words(r[name]) } : name,
  );
  columns.push(...extra);
  for (let g = 0; g < groups; g++) {
    const n = g + 1;
    columns.push(
      { header: `currency_${n}`, value: (r) => r.currencies[g]?.currency ?? null },
      { header: `orders_${n}`, value: (r) => r.currencies[g]?.orders ?? null },
      { header: `revenue_${n}`, value: (r) => r.currencies[g]?.revenue ?? null },
      { header: `averageOrderValue_${n}`, value: (r) => r.currencies[g]?.averageOrderValue ?? null },
    );
  }
  return toCsv(rows, columns, { bom });
}

/** CSV of the segment summary: one row per segment, its revenue per currency as column pairs. */
export function segmentsCsv(summary: SegmentSummary, bom = false): Generator<string> {
  const groups = Math.max(1, ...summary.segments.map((s) => s.revenue.length));
  const columns: CsvColumn<SegmentFigures>[] = ['segment', 'customers', 'share', 'orders'];
  for (let g = 0; g < groups; g++) {
    columns.push({ header: `currency_${g + 1}`, value: (s) => s.revenue[g]?.currency ?? null }, { header: `revenue_${g + 1}`, value: (s) => s.revenue[g]?.amount ?? null });
  }
  return toCsv(summary.segments, columns, { bom });
}
