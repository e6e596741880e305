// The CSV columns of the exports. JSON and NDJSON carry the rows as they are (items and revenue
// as arrays); CSV gives every field a cell of its own, so that a spreadsheet filters and sums them
// without parsing JSON, and puts a currency next to every amount.
//
// Carts: one row per cart, its items in numbered columns (item1ProductId, item1Variant,
// item1Name, item1Quantity, item1Price, item1Currency, item2…), as many as the largest cart of
// the export has lines, at most MAX_ITEM_COLUMNS; a cart with more lines has the rest in
// `moreItems` (JSON), a column that is there only then. Not one row per item: the cart's value,
// its recovery and its device would repeat on every item row, and a sum or count over the sheet
// would count a cart once per item.
// Products: revenue per currency as pairs (revenueCurrency1, revenue1, revenueCurrency2, …), one
// pair per currency of the export, in the same order on every row (by code; no currency last),
// so that a column always holds one currency and the code stands next to the amount.
// Overview: its series, a row per day (hour), revenue per currency as pairs (currency_1,
// revenue_1, …) in the order of the totals (most revenue first), the same on every row.
import type { AbandonedCartRow, CartItem, CartReasonRow, CsvColumn, FunnelResult, FunnelStepRow, Overview, ProductPair, ProductStats, StepOption } from './analytics';
import { byCurrency, toCsv } from './analytics';

/** A cart's lines beyond this go into one `moreItems` cell. */
export const MAX_ITEM_COLUMNS = 50;

const STEP_COLUMNS: (keyof FunnelStepRow)[] = [
  'step',
  'name',
  'units',
  'dropOff',
  'conversionFromPrevious',
  'conversionFromStart',
  'medianSecondsFromPrevious',
];

/** A funnel as CSV: one row per step; with a breakdown, the segment's attribute and value lead. */
export function* funnelCsv(result: FunnelResult, bom: boolean): Generator<string> {
  if (!result.segments) {
    yield* toCsv(result.steps, STEP_COLUMNS, { bom });
    return;
  }
  type Row = FunnelStepRow & { segmentBy: string; segment: string };
  const rows: Row[] = [];
  for (const s of result.segments) for (const step of s.steps) rows.push({ ...step, segmentBy: s.key, segment: s.value });
  yield* toCsv(rows, ['segmentBy', 'segment', ...STEP_COLUMNS] as CsvColumn<Row>[], { bom });
}

const ITEM_FIELDS: [string, keyof CartItem][] = [
  ['ProductId', 'product_id'],
  ['Variant', 'variant'],
  ['Name', 'name'],
  ['Quantity', 'quantity'],
  ['Price', 'price'],
  ['Currency', 'currency'],
];

/** The carts export's CSV columns for these rows. */
export function cartColumns(rows: readonly AbandonedCartRow[]): CsvColumn<AbandonedCartRow>[] {
  const lines = rows.reduce((most, c) => Math.max(most, c.items.length), 0);
  const columns: CsvColumn<AbandonedCartRow>[] = [
    'profileId',
    'customerId',
    'anonymousId',
    'device',
    'channel',
    'utmSource',
    'lastPage',
    'checkoutStep',
    { header: 'itemCount', value: (c) => c.items.reduce((n, i) => n + i.quantity, 0) },
    { header: 'lineCount', value: (c) => c.items.length },
    'value',
    'currency',
    'lastActivityAt',
    'abandonedAt',
    'recovered',
    'recoveredOrderId',
    'surveyId',
    'surveyAnswer',
    'surveyText',
  ];
  for (let n = 0; n < Math.min(lines, MAX_ITEM_COLUMNS); n++) {
    for (const [suffix, field] of ITEM_FIELDS) columns.push({ header: `item${n + 1}${suffix}`, value: (c) => c.items[n]?.[field] });
  }
  if (lines > MAX_ITEM_COLUMNS) {
    columns.push({ header: 'moreItems', value: (c) => (c.items.length > MAX_ITEM_COLUMNS ? c.items.slice(MAX_ITEM_COLUMNS) : null) });
  }
  return columns;
}

/** The products export's CSV columns for these rows. */
export function productColumns(rows: readonly ProductStats[]): CsvColumn<ProductStats>[] {
  const currencies = [...new Set(rows.flatMap((r) => r.revenue.map((x) => x.currency)))].sort(byCurrency);
  const columns: CsvColumn<ProductStats>[] = ['productId', 'name', 'views', 'adds', 'removes', 'checkouts', 'orders', 'units'];
  currencies.forEach((currency, k) => {
    columns.push({ header: `revenueCurrency${k + 1}`, value: () => currency });
    columns.push({ header: `revenue${k + 1}`, value: (r) => r.revenue.find((x) => x.currency === currency)?.amount ?? 0 });
  });
  columns.push('viewToCartRate', 'viewToOrderRate', 'cartToOrderRate', 'carts', 'cartsAbandoned', 'abandonmentRate');
  return columns;
}

/**
 * The cart-reasons export's CSV columns: the lost value per currency as triples (lostCurrency1,
 * lostValue1, lostShare1, …), one per currency of the export, in the same order on every row.
 */
export function reasonColumns(rows: readonly CartReasonRow[]): CsvColumn<CartReasonRow>[] {
  const currencies = [...new Set(rows.flatMap((r) => r.lostValue.map((x) => x.currency)))].sort(byCurrency);
  const columns: CsvColumn<CartReasonRow>[] = ['surveyId', 'answer', 'answers', 'abandonedCarts', 'recoveredCarts'];
  currencies.forEach((currency, k) => {
    const of = (r: CartReasonRow) => r.lostValue.find((x) => x.currency === currency);
    columns.push({ header: `lostCurrency${k + 1}`, value: () => currency });
    columns.push({ header: `lostValue${k + 1}`, value: (r) => of(r)?.value ?? 0 });
    columns.push({ header: `lostShare${k + 1}`, value: (r) => of(r)?.share ?? null });
  });
  columns.push('surveyShown', 'surveyAnswered', 'surveyDismissed', 'surveyAnswerRate');
  return columns;
}

export const PAIR_COLUMNS: (keyof ProductPair)[] = [
  'productA',
  'nameA',
  'productB',
  'nameB',
  'orders',
  'ordersA',
  'ordersB',
  'support',
  'confidenceAToB',
  'confidenceBToA',
  'lift',
];

/** The steps export's CSV columns. */
export const STEP_OPTION_COLUMNS: (keyof StepOption)[] = ['step', 'kind', 'events'];

/** The overview as CSV: its series, a row per day (hour), a currency and revenue pair per currency. */
export function* overviewCsv(result: Overview, bom: boolean): Generator<string> {
  type Point = Overview['series'][number];
  const currencies = result.totals.revenue.map((r) => String(r.currency));
  const columns: CsvColumn<Point>[] = [{ header: 'start', value: (p) => p.start }, { header: 'label', value: (p) => p.label }, 'visitors', 'sessions', 'orders'];
  currencies.forEach((currency, k) => {
    columns.push({ header: `currency_${k + 1}`, value: () => (currency === 'null' ? null : currency) });
    columns.push({ header: `revenue_${k + 1}`, value: (p) => p.revenue[currency] ?? 0 });
  });
  yield* toCsv(result.series, columns, { bom });
}
