// From orders (orders.ts: once per order_id, per stitched profile, bots left out) to what the
// purchase models read, per customer:
//  - Purchase days: orders of one customer on one UTC calendar day are one purchase, their values
//    summed. A customer is born on the day of their first purchase. With the period ending on
//    day E (calibrationEnd, or asOf's day): x = purchase days after the first, up to and
//    including E; tₓ = days from the first purchase day to the last of those (0 without one);
//    T = days from the first purchase day to E. CDNOW's summaries count the same way (a first
//    purchase on 1997-01-01 with the period ending 1997-09-30 has T = 272 days = 38.86 weeks).
//  - Main currency: the currency of most of the customer's orders up to E (a tie goes to the
//    latest order's), null when none names one. Amounts are never mixed across currencies: the
//    customer's spend is the mean value of their repeat purchase days in the main currency (a
//    day's orders in it summed), over the days that had one; orders in other currencies count as
//    purchases (the BG/NBD) but not as spend. One currency per customer keeps each customer in one
//    spend model and their expected value in one currency.
//  - Holdout: purchase days after E up to the holdout's end, and all repeat purchase days of the
//    cohort by day, for the route's check of the model on the shop's own data.
import type { OrderRows } from '../orders';

export const DAY_MS = 86_400_000;

/** The UTC day number (days since 1970-01-01) of a time in epoch ms. */
export const dayOf = (ms: number) => Math.floor(ms / DAY_MS);

/** The customers born on or before the period's end, as columns. */
export interface PurchaseSummaries {
  readonly length: number;
  /** The profile (ProfileIndex number) of each customer. */
  readonly profile: Int32Array;
  /** UTC day number of the first purchase. */
  readonly firstDay: Int32Array;
  readonly x: Int32Array;
  readonly txDays: Int32Array;
  readonly TDays: Int32Array;
  /** Index into `currencies` of the main currency; -1 for none. */
  readonly currency: Int32Array;
  /** Repeat purchase days (up to the period's end) with an order in the main currency. */
  readonly spendX: Int32Array;
  /** Their mean value in the main currency (0 without any). */
  readonly spendMean: Float64Array;
  /** Orders per currency (up to the period's end), for the shop's main currency. */
  readonly ordersByCurrency: Float64Array;
  readonly currencies: readonly string[];
  /** Purchase days after the period's end up to holdoutEndDay (all 0 without a holdout). */
  readonly holdout: Int32Array;
  /** Repeat purchase days of these customers per day from their earliest first purchase up to the last day read. */
  readonly repeatsByDay: Int32Array;
  /** The earliest first purchase day (the cohort's start); 0 without customers. */
  readonly startDay: number;
}

/** Which orders summarizePurchases reads. */
export interface SummaryPeriod {
  /** The period's last day (UTC day number), included. */
  endDay: number;
  /** The holdout's last day, included. @defaultValue endDay (no holdout) */
  holdoutEndDay?: number;
  /** Orders after this time (epoch ms) are not read. @defaultValue the orders' own asOf */
  asOf?: number;
}

/** Summaries of every profile with an order on or before the period's end; holdout purchases after it. */
export function summarizePurchases(orders: OrderRows, period: SummaryPeriod): PurchaseSummaries {
  const { offsets, ts, amount, currency, currencies } = orders;
  const endDay = period.endDay;
  const holdoutEndDay = period.holdoutEndDay ?? endDay;
  // Rows are in time order per profile, so the first order after asOf ends a profile's rows.
  const asOf = Math.min(period.asOf ?? Infinity, orders.asOf);
  const profiles = offsets.length - 1;
  const cols = {
    profile: [] as number[],
    firstDay: [] as number[],
    x: [] as number[],
    txDays: [] as number[],
    TDays: [] as number[],
    currency: [] as number[],
    spendX: [] as number[],
    spendMean: [] as number[],
    holdout: [] as number[],
  };
  const votes = new Float64Array(currencies.length);
  const ordersByCurrency = new Float64Array(currencies.length);
  let startDay = Infinity;
  const repeatDays: number[] = [];
  for (let p = 0; p < profiles; p++) {
    const from = offsets[p];
    let to = offsets[p + 1];
    while (to > from && ts[to - 1] > asOf) to--;
    if (from === to) continue;
    const first = dayOf(ts[from]);
    if (first > endDay) continue;
    // Pass 1: purchase days in the period and after it, the currency votes.
    let x = 0;
    let lastDay = first;
    let holdout = 0;
    let main = -1;
    votes.fill(0);
    for (let k = from; k < to; k++) {
      const day = dayOf(ts[k]);
      if (day > holdoutEndDay) break;
      const newDay = day !== lastDay;
      if (day <= endDay) {
        if (newDay) x++;
        const c = currency[k];
        if (c >= 0) {
          votes[c]++;
          ordersByCurrency[c]++;
          if (main < 0 || votes[c] >= votes[main]) main = c;
        }
      } else if (newDay) holdout++;
      if (newDay) repeatDays.push(day);
      lastDay = day;
    }
    // Pass 2: the repeat purchase days' values in the main currency.
    let spendX = 0;
    let spend = 0;
    let lastTxDay = first;
    let spendDay = first;
    for (let k = from; k < to && main >= 0; k++) {
      const day = dayOf(ts[k]);
      if (day > endDay) break;
      if (day === first) continue;
      lastTxDay = day;
      if (currency[k] !== main) continue;
      if (day !== spendDay) spendX++;
      spendDay = day;
      spend += amount[k];
    }
    if (main < 0) for (let k = from; k < to && dayOf(ts[k]) <= endDay; k++) lastTxDay = dayOf(ts[k]);
    startDay = Math.min(startDay, first);
    cols.profile.push(p);
    cols.firstDay.push(first);
    cols.x.push(x);
    cols.txDays.push(lastTxDay - first);
    cols.TDays.push(endDay - first);
    cols.currency.push(main);
    cols.spendX.push(spendX);
    cols.spendMean.push(spendX > 0 ? spend / spendX : 0);
    cols.holdout.push(holdout);
  }
  if (startDay === Infinity) startDay = 0;
  const lastDay = Math.max(endDay, holdoutEndDay);
  const repeatsByDay = new Int32Array(Math.max(0, lastDay - startDay + 1));
  for (const day of repeatDays) repeatsByDay[day - startDay]++;
  return {
    length: cols.profile.length,
    profile: Int32Array.from(cols.profile),
    firstDay: Int32Array.from(cols.firstDay),
    x: Int32Array.from(cols.x),
    txDays: Int32Array.from(cols.txDays),
    TDays: Int32Array.from(cols.TDays),
    currency: Int32Array.from(cols.currency),
    spendX: Int32Array.from(cols.spendX),
    spendMean: Float64Array.from(cols.spendMean),
    ordersByCurrency,
    currencies,
    holdout: Int32Array.from(cols.holdout),
    repeatsByDay,
    startDay,
  };
}
