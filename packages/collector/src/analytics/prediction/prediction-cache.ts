// The purchase model fitted once per state of the engine and day, not once per request. A
// customer's history (history.ts) shows the customer's prediction, and each request used to fit
// the BG/NBD and Gamma-Gamma on every order of the shop again (about 20 ms at 100,000 events,
// seconds at millions of orders) although nothing had changed since the previous request.
//
// The fit and every prediction depend on the orders read and on the day the period ends
// (summaries.ts: T counts days up to asOf's UTC day). The orders are those of one profile index
// (the engine makes a new one when facts arrive or the identity graph changes: that is the state)
// with a time at or before asOf. For one index, a later asOf reads the same orders plus those in
// between; a resent order in between (an order_id already counted) keeps the earlier one
// (orders.ts). So two asOf of the same day that read as many orders read the same orders, and
// (index, day, count) names the answer exactly. Entries live as long as their index (a WeakMap):
// the engine drops the index with its state, and the fits go with it.
import type { OrderRows } from '../orders';
import type { ProfileIndex } from '../profiles';
import { predictCustomers } from './index';
import { dayOf } from './summaries';

/** What predictCustomers answers. */
export type Prediction = ReturnType<typeof predictCustomers>;

/** Fits kept per state: the days asked of one state at once (today's, and a report's). */
const PER_STATE = 4;

export interface PredictionCache {
  /** predictCustomers(orders, asOf), fitted once per profile index, asOf's day and count of orders. */
  predict(orders: OrderRows, asOf: number): Prediction;
}

/** A cache over `fit` (the real model; tests pass it wrapped to count the fits). */
export function createPredictionCache(fit: (orders: OrderRows, asOf: number) => Prediction = predictCustomers): PredictionCache {
  const byState = new WeakMap<ProfileIndex, Map<string, Prediction>>();
  return {
    predict(orders, asOf) {
      // predictCustomers reads no order after asOf, whatever orders.asOf (summaries.ts)
      const key = `${dayOf(asOf)}:${countUpTo(orders, asOf)}`;
      let fits = byState.get(orders.profiles);
      if (!fits) byState.set(orders.profiles, (fits = new Map()));
      let found = fits.get(key);
      if (found) {
        // Most recently used last: the oldest goes first when the map is full.
        fits.delete(key);
      } else {
        found = fit(orders, asOf);
        if (fits.size >= PER_STATE) fits.delete(fits.keys().next().value!);
      }
      fits.set(key, found);
      return found;
    },
  };
}

/** Orders at or before asOf: all of them when the rows were read up to asOf or before. */
function countUpTo(orders: OrderRows, asOf: number): number {
  if (orders.asOf <= asOf) return orders.count;
  let n = 0;
  for (let k = 0; k < orders.count; k++) if (orders.ts[k] <= asOf) n++;
  return n;
}
