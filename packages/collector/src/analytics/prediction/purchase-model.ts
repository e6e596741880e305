// Both models fitted on a shop's customers (summaries.ts): the BG/NBD on every customer's
// purchase days, a Gamma-Gamma per currency on the repeat buyers whose main currency it is.
// A model that the data cannot carry is not fitted, and says why instead of answering NaN:
//  - BG/NBD: fewer than MIN_CUSTOMERS customers, or fewer than MIN_REPEAT_BUYERS of them with a
//    repeat purchase (without repeat purchases the likelihood grows without bound as r → 0).
//  - Gamma-Gamma: fewer than MIN_SPEND_CUSTOMERS repeat buyers with a positive mean spend in the
//    currency (a mean of 0, e.g. free orders, has no place in a gamma distribution).
import { fitBgNbd, type BgNbdFit } from './bg-nbd-fit';
import { groupCustomers, type CustomerGroups } from './customer-groups';
import { fitGammaGamma, type GammaGammaParams, type SpendSummary } from './gamma-gamma';
import type { PurchaseSummaries } from './summaries';

/** The fewest customers the BG/NBD is fitted on. */
export const MIN_CUSTOMERS = 10;
/** The fewest customers with a repeat purchase the BG/NBD is fitted on. */
export const MIN_REPEAT_BUYERS = 3;
/** The fewest repeat buyers (in one currency) a Gamma-Gamma is fitted on. */
export const MIN_SPEND_CUSTOMERS = 10;

/** One currency's spend model. */
export interface SpendFit {
  model: 'gamma-gamma';
  currency: string | null;
  /** Repeat buyers with a positive mean spend in the currency whose main currency it is. */
  customers: number;
  params: GammaGammaParams | null;
  logLikelihood: number | null;
  /** Why there are no params. */
  reason?: string;
}

export interface PurchaseModelFit {
  /** Customers (profiles with an order up to the period's end). */
  customers: number;
  repeatBuyers: number;
  /** null when not fitted; `reason` says why. */
  bgNbd: BgNbdFit | null;
  reason: string | null;
  /** The spend model of the shop's main currency (the one of most orders). */
  spend: SpendFit;
  /** Every currency's spend model, the main currency's first, then by orders. */
  spendByCurrency: SpendFit[];
}

/** Both models fitted on `summaries`, with the groups the BG/NBD was fitted on. */
export function fitPurchaseModel(summaries: PurchaseSummaries): { fit: PurchaseModelFit; groups: CustomerGroups } {
  const groups = groupCustomers(summaries);
  let repeatBuyers = 0;
  for (let i = 0; i < summaries.length; i++) if (summaries.x[i] > 0) repeatBuyers++;
  const customers = summaries.length;
  let reason: string | null = null;
  if (customers < MIN_CUSTOMERS) {
    reason = `${customers} customer${customers === 1 ? '' : 's'} with an order: the BG/NBD model needs at least ${MIN_CUSTOMERS}`;
  } else if (repeatBuyers < MIN_REPEAT_BUYERS) {
    reason = `${repeatBuyers} of ${customers} customers bought again on a later day: the BG/NBD model needs at least ${MIN_REPEAT_BUYERS} repeat buyers`;
  }
  const bgNbd = reason === null ? fitBgNbd(groups) : null;
  const spendByCurrency = spendFits(summaries);
  const spend = spendByCurrency[0] ?? {
    model: 'gamma-gamma',
    currency: null,
    customers: 0,
    params: null,
    logLikelihood: null,
    reason: 'no order names a currency',
  };
  return { fit: { customers, repeatBuyers, bgNbd, reason, spend, spendByCurrency }, groups };
}

function spendFits(summaries: PurchaseSummaries): SpendFit[] {
  const { currencies, ordersByCurrency } = summaries;
  const byCurrency: SpendSummary[][] = currencies.map(() => []);
  for (let i = 0; i < summaries.length; i++) {
    const c = summaries.currency[i];
    if (c >= 0 && summaries.spendX[i] > 0 && summaries.spendMean[i] > 0) {
      byCurrency[c].push({ x: summaries.spendX[i], mean: summaries.spendMean[i] });
    }
  }
  // The main currency (most orders; a tie by code) first, then the others the same way.
  const order = currencies
    .map((code, c) => ({ code, c }))
    .filter(({ c }) => ordersByCurrency[c] > 0)
    .sort((p, q) => ordersByCurrency[q.c] - ordersByCurrency[p.c] || (p.code < q.code ? -1 : 1));
  return order.map(({ code, c }): SpendFit => {
    const data = byCurrency[c];
    if (data.length < MIN_SPEND_CUSTOMERS) {
      const reason = `${data.length} customer${data.length === 1 ? '' : 's'} bought again in ${code} (as their main currency, for a positive amount): the Gamma-Gamma model needs at least ${MIN_SPEND_CUSTOMERS}`;
      return { model: 'gamma-gamma', currency: code, customers: data.length, params: null, logLikelihood: null, reason };
    }
    const fit = fitGammaGamma(data);
    return { model: 'gamma-gamma', currency: code, customers: data.length, params: fit.params, logLikelihood: fit.logLikelihood };
  });
}
