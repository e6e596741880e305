// Purchase prediction (issue 15, point 3): the BG/NBD model for how many purchases a customer
// makes and whether they are still a customer, the Gamma-Gamma model for what a purchase is
// worth, fitted on the shop's own orders. predictCustomers is what the customers export reads;
// the purchase-model route (insights.ts) reads the fit and its holdout check.
import type { OrderRows } from '../orders';
import { predictCustomer } from './bg-nbd';
import { DAYS_PER_WEEK } from './customer-groups';
import { conditionalExpectedSpend } from './gamma-gamma';
import { fitPurchaseModel, type PurchaseModelFit } from './purchase-model';
import { dayOf, summarizePurchases } from './summaries';

export * from './bg-nbd';
export { bgNbdLogLikelihood, fitBgNbd, type BgNbdFit } from './bg-nbd-fit';
export * from './customer-groups';
export * from './gamma-gamma';
export * from './holdout';
export * from './hypergeometric';
export * from './log-gamma';
export * from './minimize';
export * from './purchase-model';
export * from './summaries';

export interface CustomerPrediction {
  pAlive: number;
  expectedOrders30d: number;
  expectedOrders90d: number;
  expectedOrders365d: number;
  /** expectedOrders365d × the Gamma-Gamma expected spend, in `currency`; null for a customer
   *  without a repeat purchase in that currency's model or without a currency. */
  expectedValue365d: number | null;
  currency: string | null;
}

/** The horizons of the predictions, in days (as weeks: days / 7). */
export const PREDICTION_DAYS = [30, 90, 365] as const;

/**
 * Fits on every order up to asOf and predicts each profile with an order. Customers are
 * summarised as of asOf's UTC day (summaries.ts); without a fitted BG/NBD (`fit.reason` says
 * why) no profile has a prediction.
 */
export function predictCustomers(orders: OrderRows, asOf: number): { fit: PurchaseModelFit; byProfile: Map<number, CustomerPrediction> } {
  // T counts days up to asOf's: without a day there is no T (orders read without asOf have Infinity)
  if (!Number.isFinite(asOf)) throw new RangeError(`predictCustomers needs a time as asOf, not ${asOf}`);
  const summaries = summarizePurchases(orders, { endDay: dayOf(asOf), asOf });
  const { fit, groups } = fitPurchaseModel(summaries);
  const byProfile = new Map<number, CustomerPrediction>();
  const params = fit.bgNbd?.params;
  if (!params) return { fit, byProfile };
  const horizons = PREDICTION_DAYS.map((d) => d / DAYS_PER_WEEK);
  const ofGroup = Array.from({ length: groups.length }, (_, g) => predictCustomer(params, horizons, groups.x[g], groups.tx[g], groups.T[g]));
  const spendOf = new Map(fit.spendByCurrency.map((s) => [s.currency, s.params]));
  for (let i = 0; i < summaries.length; i++) {
    const { pAlive, expected } = ofGroup[groups.ofCustomer[i]];
    const c = summaries.currency[i];
    const currency = c >= 0 ? summaries.currencies[c] : null;
    const spend = currency === null ? null : spendOf.get(currency);
    let value: number | null = null;
    if (spend && summaries.spendX[i] > 0) {
      const perOrder = conditionalExpectedSpend(spend, summaries.spendX[i], summaries.spendMean[i]);
      // q ≤ 1 with few purchases leaves the expectation undefined (the denominator px + q − 1 ≤ 0)
      if (perOrder > 0 && Number.isFinite(perOrder)) value = expected[2] * perOrder;
    }
    byProfile.set(summaries.profile[i], {
      pAlive,
      expectedOrders30d: expected[0],
      expectedOrders90d: expected[1],
      expectedOrders365d: expected[2],
      expectedValue365d: value,
      currency,
    });
  }
  return { fit, byProfile };
}
