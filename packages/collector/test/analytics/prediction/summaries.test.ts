// From orders to the models' summaries: purchases of a UTC day merged with their values summed,
// the period's end and asOf, the main currency (most orders, a tie to the latest) and its spend,
// holdout purchases and the cohort's repeat purchases by day.
import { createAnalytics, type CartFields, type Fact } from '../../../src/analytics';
import { dayOf, summarizePurchases } from '../../../src/analytics/prediction';

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 1);
const D0 = dayOf(T0);

function engine(orders: [who: string, day: number, hour: number, cart: CartFields, more?: Partial<Fact>][]) {
  const a = createAnalytics();
  orders.forEach(([who, day, hour, cart, more], i) =>
    a.append({ seq: i + 1, type: 'track', name: 'Order Completed', ts: T0 + day * DAY + hour * 3_600_000, userId: who, cart: { orderId: `o${i}`, ...cart }, ...more }),
  );
  return a;
}

/** The summaries as plain objects by customer id. */
function summaries(a: ReturnType<typeof createAnalytics>, endDay: number, options: { holdoutEndDay?: number; asOf?: number } = {}) {
  const orders = a.orders();
  const s = summarizePurchases(orders, { endDay: D0 + endDay, ...options, holdoutEndDay: options.holdoutEndDay === undefined ? undefined : D0 + options.holdoutEndDay });
  const rows: Record<string, unknown> = {};
  for (let i = 0; i < s.length; i++) {
    rows[orders.profiles.id(s.profile[i])] = {
      first: s.firstDay[i] - D0,
      x: s.x[i],
      tx: s.txDays[i],
      T: s.TDays[i],
      currency: s.currency[i] < 0 ? null : s.currencies[s.currency[i]],
      spendX: s.spendX[i],
      spendMean: s.spendMean[i],
      holdout: s.holdout[i],
    };
  }
  return { rows, s };
}

describe('summarizePurchases', () => {
  const shop = engine([
    // A: two orders on day 0 are one purchase; day 3 in EUR and USD; day 10 in USD; day 12 after the period
    ['A', 0, 9, { revenue: 10, currency: 'EUR' }],
    ['A', 0, 18, { revenue: 5, currency: 'eur' }],
    ['A', 3, 10, { revenue: 20, currency: 'EUR' }],
    ['A', 3, 11, { revenue: 7, currency: 'USD' }],
    ['A', 10, 8, { revenue: 4, currency: 'USD' }],
    ['A', 12, 8, { revenue: 6, currency: 'EUR' }],
    // B: one order in USD, then one in EUR: a tie, and EUR's is the latest order
    ['B', 1, 12, { revenue: 30, currency: 'USD' }],
    ['B', 2, 12, { revenue: 8, currency: 'EUR' }],
    // F: two orders of a repeat day in the main currency are one purchase worth their sum
    ['F', 0, 12, { revenue: 5, currency: 'EUR' }],
    ['F', 2, 12, { revenue: 8, currency: 'EUR' }],
    ['F', 2, 13, { revenue: 2, currency: 'EUR' }],
    // C: no currency anywhere
    ['C', 4, 12, { revenue: 15 }],
    ['C', 6, 12, { revenue: 15 }],
    // D: first order after the period: not a customer of the period
    ['D', 12, 12, { revenue: 9, currency: 'EUR' }],
    // E: on the period's last day, late
    ['E', 11, 23, { revenue: 9, currency: 'EUR' }],
  ]);

  it('merges purchases of a day, counts repeat days, tₓ and T in days, picks the main currency and its spend', () => {
    expect(summaries(shop, 11).rows).toEqual({
      A: { first: 0, x: 2, tx: 10, T: 11, currency: 'EUR', spendX: 1, spendMean: 20, holdout: 0 },
      B: { first: 1, x: 1, tx: 1, T: 10, currency: 'EUR', spendX: 1, spendMean: 8, holdout: 0 },
      F: { first: 0, x: 1, tx: 2, T: 11, currency: 'EUR', spendX: 1, spendMean: 10, holdout: 0 },
      C: { first: 4, x: 1, tx: 2, T: 7, currency: null, spendX: 0, spendMean: 0, holdout: 0 },
      E: { first: 11, x: 0, tx: 0, T: 0, currency: 'EUR', spendX: 0, spendMean: 0, holdout: 0 },
    });
  });

  it('reads nothing after asOf, though it falls on the period’s last day', () => {
    const { rows } = summaries(shop, 11, { asOf: T0 + 11 * DAY + 20 * 3_600_000 });
    expect(Object.keys(rows).sort()).toEqual(['A', 'B', 'C', 'F']);
  });

  it('counts holdout purchase days after the period, and the cohort’s repeat purchases by day', () => {
    const { rows, s } = summaries(shop, 11, { holdoutEndDay: 12 });
    expect((rows.A as { holdout: number }).holdout).toBe(1);
    expect(rows.D).toBeUndefined(); // born in the holdout
    expect(s.startDay).toBe(D0);
    // repeat purchase days of A, B, C, F (E has none): A on days 3, 10, 12; B and F on 2; C on 6
    expect(Array.from(s.repeatsByDay)).toEqual([0, 0, 2, 1, 0, 0, 1, 0, 0, 0, 1, 0, 1]);
  });

  it('counts orders per currency up to the period’s end, for the shop’s main currency', () => {
    const { s } = summaries(shop, 11);
    expect(Object.fromEntries(s.currencies.map((c, i) => [c, s.ordersByCurrency[i]]))).toEqual({ EUR: 8, USD: 3 });
  });
});
