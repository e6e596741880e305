// The models on the CDNOW sample inside the engine (no HTTP; routes/purchase-model-cdnow.ts sends
// the same orders through a collector): the summaries the engine makes equal the published
// summary files, and the fit and the individual-level quantities give the values listed in the
// data folder's README ("Published figures usable as checks").
import { createAnalytics, type Analytics } from '../../../src/analytics';
import {
  bgNbdLogLikelihood,
  conditionalExpectedPurchases,
  conditionalExpectedSpend,
  dayOf,
  expectedPurchases,
  fitBgNbd,
  fitGammaGamma,
  groupCustomers,
  pAlive,
  purchaseProbability,
  summarizePurchases,
  type BgNbdParams,
} from '../../../src/analytics/prediction';
import { CALIBRATION_END, cdnowRows, cdnowSummary, PUBLISHED } from './cdnow';

const endDay = dayOf(Date.parse(CALIBRATION_END));

function engine(): Analytics {
  const a = createAnalytics();
  for (const r of cdnowRows()) {
    a.append({ seq: r.row, type: 'track', ts: Date.parse(`${r.date}T12:00:00Z`), name: 'Order Completed', userId: r.customer, cart: { orderId: `o${r.row}`, revenue: r.sales, currency: 'USD' } });
  }
  return a;
}

const analytics = engine();
const orders = analytics.orders({ asOf: Date.parse(`${CALIBRATION_END}T23:59:59.999Z`) });
const summaries = summarizePurchases(orders, { endDay });
/** The summaries by CDNOW's customer number, in its order. */
const byCustomer = Array.from({ length: summaries.length }, (_, i) => i).sort(
  (i, j) => Number(orders.profiles.id(summaries.profile[i]).slice(6)) - Number(orders.profiles.id(summaries.profile[j]).slice(6)),
);
const round2 = (v: number) => Math.round(v * 100) / 100;
// The maximum-likelihood estimates of other implementations on this data (the README lists them)
const BTYD: BgNbdParams = { r: 0.2425982, alpha: 4.4136842, a: 0.7929899, b: 2.4261667 };
const PUBLISHED_PARAMS: BgNbdParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };

describe('CDNOW summaries', () => {
  it('equal the published calibration summaries: x, tₓ and T in weeks, mean repeat spend, to 2 decimals', () => {
    const published = cdnowSummary('cdnow_customers_summary_with_transactions.csv');
    expect(published).toHaveLength(2357);
    const ours = byCustomer.map((i) => ({
      ID: Number(orders.profiles.id(summaries.profile[i]).slice(6)),
      x: summaries.x[i],
      t_x: round2(summaries.txDays[i] / 7),
      T: round2(summaries.TDays[i] / 7),
    }));
    expect(ours).toEqual(published.map(({ ID, x, t_x, T }) => ({ ID, x, t_x, T })));
    // zbar rounded to cents: a mean such as 34.895 is rounded up there and may come out 34.894999… here
    byCustomer.forEach((i, k) => expect(Math.abs(summaries.spendMean[i] - published[k].zbar)).toBeLessThanOrEqual(0.005 + 1e-9));
    // The other summary file names the same columns differently.
    expect(cdnowSummary('cdnow_customers_summary.csv')).toEqual(published.map(({ ID, x, t_x, T }) => ({ ID, frequency: x, recency: t_x, T })));
    // A first purchase on 1997-01-01 has T = 272 days = 38.86 weeks.
    expect(summaries.TDays[byCustomer[0]]).toBe(272);
  });
});

describe('BG/NBD on CDNOW', () => {
  const groups = groupCustomers(summaries);
  const fit = fitBgNbd(groups);

  it('groups the 2,357 customers into 1,016 distinct summaries', () => {
    expect({ customers: groups.customers, groups: groups.length }).toEqual({ customers: 2357, groups: 1016 });
  });

  it('finds the published maximum: r, α, a, b to three decimals, LL −9582.4', () => {
    const { r, alpha, a, b } = fit.params;
    expect(fit.converged).toBe(true);
    expect([r, alpha, a, b].map((v) => Math.round(v * 1000) / 1000)).toEqual([0.243, 4.414, 0.793, 2.426]);
    expect(Math.round(fit.logLikelihood * 10) / 10).toBe(PUBLISHED.bgNbd.logLikelihood);
    // and agrees with other implementations' estimates to their own precision
    for (const key of ['r', 'alpha', 'a', 'b'] as const) expect(Math.abs(fit.params[key] - BTYD[key]) / BTYD[key]).toBeLessThan(2e-4);
    expect(fit.logLikelihood).toBeCloseTo(-9582.429, 3);
    expect(fit.logLikelihood).toBeGreaterThanOrEqual(bgNbdLogLikelihood(BTYD, groups));
    expect(bgNbdLogLikelihood(PUBLISHED_PARAMS, groups)).toBeCloseTo(-9582.430, 3);
  });

  it('has the gradient of its log-likelihood (against central differences)', () => {
    for (const p of [PUBLISHED_PARAMS, { r: 1.3, alpha: 0.7, a: 2.2, b: 0.4 }, { r: 0.05, alpha: 30, a: 0.1, b: 40 }]) {
      const gradient = [0, 0, 0, 0];
      const ll = bgNbdLogLikelihood(p, groups, gradient);
      (['r', 'alpha', 'a', 'b'] as const).forEach((key, i) => {
        const h = 1e-5 * p[key];
        const slope = (bgNbdLogLikelihood({ ...p, [key]: p[key] + h }, groups) - bgNbdLogLikelihood({ ...p, [key]: p[key] - h }, groups)) / (2 * h);
        // the difference quotient's own error: truncation (h²) and the rounding of ln L (1e-15 of it, over h)
        expect(Math.abs(gradient[i] - slope)).toBeLessThan(1e-6 * Math.abs(slope) + (1e-13 * Math.abs(ll)) / h);
      });
    }
  });

  it("gives customer 1516's published P(alive), conditional expectation and E[X(52)] (x = 26, tₓ = 30.86, T = 31)", () => {
    expect(Math.abs(pAlive(BTYD, 26, 30.85714, 31) - 0.9688523)).toBeLessThan(1e-6);
    expect(Math.abs(conditionalExpectedPurchases(BTYD, 52, 26, 30.85714, 31) - 25.75659)).toBeLessThan(1e-4);
    expect(Math.abs(expectedPurchases(BTYD, 52) - 1.444004)).toBeLessThan(2e-6);
  });

  it("gives customer 1's conditional expectation over 39 weeks, 1.226 (x = 2, tₓ = 30.43, T = 38.86)", () => {
    expect(Math.round(conditionalExpectedPurchases(PUBLISHED_PARAMS, 39, 2, 30.43, 38.86) * 1000) / 1000).toBe(1.226);
  });

  it('gives the published E[X(t)] of a new customer', () => {
    const times = [0.1429, 1, 3, 31.8571, 32, 78];
    const published = [0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576];
    times.forEach((t, i) => expect(Math.abs(expectedPurchases(fit.params, t) - published[i])).toBeLessThan(5e-4));
  });

  it('gives the published P(X(2) = 10) and P(X(39) = 0)', () => {
    expect(Math.abs(purchaseProbability(PUBLISHED_PARAMS, 10, 2) / 1.07869e-7 - 1)).toBeLessThan(1e-5);
    expect(Math.abs(purchaseProbability(PUBLISHED_PARAMS, 0, 39) - 0.5737864)).toBeLessThan(1e-7);
    // a distribution whose mean is E[X(t)]
    let total = 0;
    let mean = 0;
    for (let n = 0; n < 300; n++) {
      const p = purchaseProbability(PUBLISHED_PARAMS, n, 39);
      total += p;
      mean += n * p;
    }
    expect(total).toBeCloseTo(1, 12);
    expect(mean).toBeCloseTo(expectedPurchases(PUBLISHED_PARAMS, 39), 12);
  });
});

describe('Gamma-Gamma on CDNOW', () => {
  // the repeat buyers' mean spend from the orders themselves (the summary file rounds it to cents)
  const repeatBuyers = byCustomer.filter((i) => summaries.spendX[i] > 0).map((i) => ({ x: summaries.spendX[i], mean: summaries.spendMean[i] }));
  const fit = fitGammaGamma(repeatBuyers);

  it('finds the published p, q, v to two decimals over the 946 repeat buyers', () => {
    expect(repeatBuyers).toHaveLength(946);
    expect(fit.converged).toBe(true);
    expect([fit.params.p, fit.params.q, fit.params.v].map(round2)).toEqual([6.25, 3.74, 15.44]);
  });

  it('gives the published expected spend of the first ten customers (the population mean without a repeat purchase)', () => {
    const spends = byCustomer.slice(0, 10).map((i) => conditionalExpectedSpend(fit.params, summaries.spendX[i], summaries.spendMean[i]));
    spends.forEach((s, i) => expect(Math.abs(s - PUBLISHED.firstTenSpends[i])).toBeLessThan(0.01));
  });
});
