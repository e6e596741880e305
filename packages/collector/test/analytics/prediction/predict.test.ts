// predictCustomers, the customers export's source: the fit on a shop whose customers are drawn
// from the models with known parameters (bench/lib/purchases.js) recovers them; each profile's
// prediction is the models' quantities for its summary; spend is fitted per currency and never
// mixed; too few customers give a reason, not NaN.
import { createAnalytics, type Analytics } from '../../../src/analytics';
import {
  conditionalExpectedPurchases,
  conditionalExpectedSpend,
  dayOf,
  MIN_CUSTOMERS,
  pAlive,
  predictCustomers,
  summarizePurchases,
} from '../../../src/analytics/prediction';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { syntheticCustomers } = require('../../../../../bench/lib/purchases') as {
  syntheticCustomers(count: number, options?: Record<string, unknown>): Iterable<{ id: string; orders: { day: number; amount: number; currency: string | null }[] }>;
};

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 1);
const TRUE = { r: 0.5, alpha: 5, a: 0.8, b: 3, p: 6, q: 4, v: 15 };

function shop(count: number, options: Record<string, unknown> = {}): Analytics {
  const a = createAnalytics();
  let seq = 0;
  for (const c of syntheticCustomers(count, { ...TRUE, ...options })) {
    for (const o of c.orders) {
      seq++;
      const cart = { orderId: `o${seq}`, revenue: o.amount, ...(o.currency && { currency: o.currency }) };
      a.append({ seq, type: 'track', name: 'Order Completed', ts: T0 + o.day * DAY + 12 * 3_600_000, userId: c.id, cart });
    }
  }
  return a;
}

const END = T0 + 400 * DAY - 1;

describe('predictCustomers', () => {
  const a = shop(6000, { currencies: [['EUR', 0.6], ['USD', 0.38]], days: 540, bornDays: 180 });
  const orders = a.orders({ asOf: END });
  const { fit, byProfile } = predictCustomers(orders, END);

  it('recovers the parameters the customers were drawn with', () => {
    const { r, alpha, a: aa, b } = fit.bgNbd!.params;
    expect(fit.reason).toBeNull();
    expect(Math.abs(r / TRUE.r - 1)).toBeLessThan(0.15);
    expect(Math.abs(alpha / TRUE.alpha - 1)).toBeLessThan(0.2);
    expect(Math.abs(aa / TRUE.a - 1)).toBeLessThan(0.35);
    expect(Math.abs(b / TRUE.b - 1)).toBeLessThan(0.35);
    // Spend in each currency from the same process: the population's mean spend pv/(q − 1) = 30
    for (const s of fit.spendByCurrency) {
      const { p, q, v } = s.params!;
      expect(Math.abs((p * v) / (q - 1) / 30 - 1)).toBeLessThan(0.15);
    }
  });

  it('fits spend per currency, the main currency (most orders) first, and predicts every customer', () => {
    expect(fit.spendByCurrency.map((s) => s.currency)).toEqual(['EUR', 'USD']);
    expect(fit.spend).toBe(fit.spendByCurrency[0]);
    const summaries = summarizePurchases(orders, { endDay: dayOf(END) });
    expect(fit.customers).toBe(summaries.length);
    expect(byProfile.size).toBe(summaries.length);
    const currencies = new Map<string | null, number>();
    for (const prediction of byProfile.values()) currencies.set(prediction.currency, (currencies.get(prediction.currency) ?? 0) + 1);
    expect([...currencies.keys()].sort()).toEqual(['EUR', 'USD', null].sort());
  });

  it('is, per profile, P(alive), the expected orders in 30, 90 and 365 days and their value in the main currency', () => {
    const s = summarizePurchases(orders, { endDay: dayOf(END) });
    const params = fit.bgNbd!.params;
    const spendParams = Object.fromEntries(fit.spendByCurrency.map((f) => [f.currency, f.params!]));
    let valued = 0;
    let oneTime = 0;
    for (let i = 0; i < s.length; i++) {
      const [x, tx, T] = [s.x[i], s.txDays[i] / 7, s.TDays[i] / 7];
      const prediction = byProfile.get(s.profile[i])!;
      const currency = s.currency[i] < 0 ? null : s.currencies[s.currency[i]];
      expect(prediction.pAlive).toBe(pAlive(params, x, tx, T));
      expect(prediction.expectedOrders30d).toBeCloseTo(conditionalExpectedPurchases(params, 30 / 7, x, tx, T), 12);
      expect(prediction.expectedOrders90d).toBeCloseTo(conditionalExpectedPurchases(params, 90 / 7, x, tx, T), 12);
      expect(prediction.expectedOrders365d).toBeCloseTo(conditionalExpectedPurchases(params, 365 / 7, x, tx, T), 12);
      expect(prediction.currency).toBe(currency);
      if (currency !== null && s.spendX[i] > 0) {
        valued++;
        const spend = conditionalExpectedSpend(spendParams[currency], s.spendX[i], s.spendMean[i]);
        expect(prediction.expectedValue365d).toBeCloseTo(prediction.expectedOrders365d * spend, 9);
      } else {
        // no repeat purchase in the main currency (or no currency): no value
        oneTime++;
        expect(prediction.expectedValue365d).toBeNull();
      }
    }
    expect(valued).toBeGreaterThan(1000);
    expect(oneTime).toBeGreaterThan(1000);
  });

  it('reads nothing after asOf: the same predictions from orders read up to a later day', () => {
    const later = predictCustomers(a.orders({ asOf: END + 100 * DAY }), END);
    expect(later.fit.bgNbd!.params).toEqual(fit.bgNbd!.params);
    expect(later.byProfile).toEqual(byProfile);
  });

  it('says why there is no prediction when there are too few customers', () => {
    const few = predictCustomers(shop(MIN_CUSTOMERS - 1).orders(), END);
    expect(few.fit.bgNbd).toBeNull();
    expect(few.fit.reason).toBe(`${MIN_CUSTOMERS - 1} customers with an order: the BG/NBD model needs at least ${MIN_CUSTOMERS}`);
    expect(few.byProfile.size).toBe(0);
    expect(few.fit.spend.params).toBeNull();
    expect(few.fit.spend.reason).toMatch(/customers? bought again in EUR .* needs at least 10$/);
  });

  it('converges where the maximum is at infinity: every customer drops out with the same probability', () => {
    // p ~ Beta(3·10⁵, 7·10⁵) is 0.3 for everyone: the likelihood grows as a and b go to ∞ at a
    // fixed ratio; the fit stops at the parameters' bound instead of following them for ever
    const same = predictCustomers(shop(2000, { a: 3e5, b: 7e5, currencies: [['EUR', 1]] }).orders({ asOf: END }), END);
    const { params, evaluations } = same.fit.bgNbd!;
    expect(evaluations).toBeLessThan(1500);
    expect(params.a / (params.a + params.b)).toBeCloseTo(0.3, 1);
    for (const value of Object.values(params)) expect(value).toBeLessThanOrEqual(Math.exp(15));
    for (const prediction of same.byProfile.values()) expect(Number.isFinite(prediction.expectedOrders365d)).toBe(true);
  });

  it('needs a time as asOf', () => {
    expect(() => predictCustomers(orders, Infinity)).toThrow('predictCustomers needs a time as asOf, not Infinity');
  });

  it('says why when nobody bought twice', () => {
    const once = createAnalytics();
    for (let i = 0; i < 40; i++) once.append({ seq: i + 1, type: 'track', name: 'Order Completed', ts: T0 + i * DAY, userId: `u${i}`, cart: { orderId: `o${i}`, revenue: 10, currency: 'EUR' } });
    const { fit: none, byProfile: empty } = predictCustomers(once.orders(), END);
    expect(none.reason).toBe('0 of 40 customers bought again on a later day: the BG/NBD model needs at least 3 repeat buyers');
    expect(empty.size).toBe(0);
  });
});
