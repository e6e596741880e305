// RFM: the score rules, the segment grid (total: every (R, F, M) has one segment), and the history
// (previous segment, since when) against a brute force that scores every customer at the end of
// every day with the plain rules.
import { createAnalytics, dayDate, quintileScores, rfmSegments, SEGMENT_GRID, SEGMENTS, segmentOf, type Fact, type OrderRows } from '../../src/analytics';

const DAY = 86_400_000;

describe('quintile scores', () => {
  it('score 1 + floor(5 x below / n): equal values the same, best fifth 5', () => {
    expect([...quintileScores([10, 20, 30, 40, 50])]).toEqual([1, 2, 3, 4, 5]);
    expect([...quintileScores([5, 1, 1, 1, 9, 9, 2, 3, 4, 1])]).toEqual([4, 1, 1, 1, 5, 5, 3, 3, 4, 1]);
    expect([...quintileScores([7, 7, 7])]).toEqual([1, 1, 1]);
    expect([...quintileScores([1])]).toEqual([1]);
    // Groups are scored apart: 100 EUR and 100 JPY are not compared.
    expect([...quintileScores([100, 1, 100, 5000], [0, 0, 1, 1])]).toEqual([3, 1, 1, 3]);
  });
});

describe('the segment grid', () => {
  it('maps every (R, F, M) to exactly one of the ten segments, and uses all ten', () => {
    const seen = new Set<string>();
    for (let r = 1; r <= 5; r++) {
      for (let f = 1; f <= 5; f++) {
        for (let m = 1; m <= 5; m++) {
          const segment = segmentOf(r, f, m);
          expect(SEGMENTS).toContain(segment);
          expect(SEGMENTS.filter((s) => s === segment)).toHaveLength(1);
          seen.add(segment);
        }
      }
    }
    expect([...seen].sort()).toEqual([...SEGMENTS].sort());
    expect(SEGMENT_GRID.flat()).toHaveLength(25);
    expect(segmentOf(5, 5, 5)).toBe('Champions');
    expect(segmentOf(5, 1, 1)).toBe('New');
    expect(segmentOf(1, 5, 5)).toBe("Can't lose them");
    expect(segmentOf(1, 1, 1)).toBe('Hibernating');
    expect(() => segmentOf(0, 1, 1)).toThrow(RangeError);
    expect(() => segmentOf(1, 6, 5)).toThrow(RangeError);
  });
});

// A seeded random shop: customers ordering on random days, in three currencies and none.
function randomShop(seed: number, customers: number, days: number) {
  let x = seed;
  const random = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
  const T0 = Date.UTC(2023, 0, 1);
  const facts: Fact[] = [];
  const currencies = ['EUR', 'USD', 'JPY', undefined];
  let n = 0;
  for (let c = 0; c < customers; c++) {
    const count = 1 + Math.floor(random() ** 2 * 8);
    for (let i = 0; i < count; i++) {
      const ts = T0 + Math.floor(random() * days * DAY);
      const currency = currencies[Math.floor(random() * (c % 3 === 0 ? 4 : 2))];
      const total = Math.round(random() * 20) * 5;
      facts.push({ seq: 0, ts, type: 'track', name: 'Order Completed', userId: `c${c}`, cart: { orderId: `o${n++}`, total, ...(currency && { currency }) } });
    }
  }
  facts.sort((a, b) => a.ts - b.ts);
  const a = createAnalytics();
  facts.forEach((f, i) => a.append({ ...f, seq: i + 1 }));
  return { a, T0 };
}

// The plain rules at one moment: per profile, its segment index (-1 without an order).
function bruteSegments(rows: OrderRows, day: number): Int8Array {
  const P = rows.profiles.count;
  const ids: number[] = [];
  const last: number[] = [];
  const freq: number[] = [];
  const money: number[] = [];
  const group: number[] = [];
  for (let p = 0; p < P; p++) {
    const from = rows.offsets[p];
    const to = rows.offsets[p + 1];
    if (from === to) continue;
    const counts = new Map<number, { n: number; latest: number; sum: number }>();
    for (let k = from; k < to; k++) {
      const c = counts.get(rows.currency[k]) ?? { n: 0, latest: -1, sum: 0 };
      c.n++;
      c.latest = k;
      c.sum += rows.amount[k];
      counts.set(rows.currency[k], c);
    }
    const [main, figures] = [...counts.entries()].sort(([, a], [, b]) => b.n - a.n || b.latest - a.latest)[0];
    ids.push(p);
    last.push(Math.floor(rows.ts[to - 1] / DAY) - day);
    freq.push(to - from);
    money.push(Math.round(figures.sum * 100));
    group.push(main);
  }
  const r = quintileScores(last);
  const f = quintileScores(freq);
  const m = quintileScores(money, group);
  const out = new Int8Array(P).fill(-1);
  ids.forEach((p, i) => (out[p] = SEGMENTS.indexOf(segmentOf(r[i], f[i], m[i]))));
  return out;
}

describe('RFM history', () => {
  it.each([
    [1, 40, 60],
    [7, 120, 200],
    [42, 15, 400],
    // Few days: many customers order twice on one day.
    [3, 80, 6],
  ])('equals scoring every customer at the end of every day (seed %i, %i customers, %i days)', (seed, customers, days) => {
    const { a, T0 } = randomShop(seed, customers, days);
    const asOf = T0 + (days - 3) * DAY + 12 * 3600_000;
    const rfm = rfmSegments(a.orders({ asOf }));
    const d0 = Math.floor(asOf / DAY);
    const first = Math.floor(T0 / DAY);
    // Every evaluation, newest first: asOf, then the end of each day before it.
    const history: Int8Array[] = [];
    for (let day = d0; day >= first - 1; day--) {
      const point = day === d0 ? asOf : (day + 1) * DAY - 1;
      history.push(bruteSegments(a.orders({ asOf: point }), day));
    }
    const P = a.profiles().count;
    let checked = 0;
    let withPrevious = 0;
    for (let p = 0; p < P; p++) {
      const now = history[0][p];
      expect(rfm.segment[p]).toBe(now);
      if (now < 0) continue;
      let j = 0;
      while (j + 1 < history.length && history[j + 1][p] === now) j++;
      expect([p, dayDate(rfm.sinceDay[p])]).toEqual([p, dayDate(d0 - j)]);
      expect([p, rfm.previous[p]]).toEqual([p, j + 1 < history.length ? history[j + 1][p] : -1]);
      checked++;
      if (rfm.previous[p] >= 0) withPrevious++;
    }
    expect(rfm.customers).toBe(checked);
    expect(checked).toBeGreaterThan(customers / 2);
    expect(withPrevious).toBeGreaterThan(0);
  });

  it('gives the scores, main currency, recency days and money of each customer', () => {
    const a = createAnalytics();
    const T0 = Date.UTC(2024, 0, 1, 10);
    const order = (seq: number, day: number, userId: string, total: number, currency?: string) =>
      a.append({ seq, ts: T0 + day * DAY, type: 'track', name: 'Order Completed', userId, cart: { orderId: `o${seq}`, total, ...(currency && { currency }) } });
    order(1, 0, 'A', 10, 'EUR');
    order(2, 1, 'A', 20, 'usd');
    order(3, 2, 'A', 5, 'USD');
    order(4, 3, 'B', 1000, 'JPY');
    order(5, 9, 'C', 7.5);
    const rfm = rfmSegments(a.orders({ asOf: T0 + 10 * DAY }));
    const p = (id: string) => [...Array(a.profiles().count).keys()].find((i) => a.profiles().id(i) === id)!;
    const rows = a.orders({ asOf: T0 + 10 * DAY });
    expect(rows.currencies[rfm.currency[p('A')]]).toBe('USD');
    expect(rfm.monetaryCents[p('A')]).toBe(2500);
    expect(rfm.recencyDays[p('A')]).toBe(8);
    expect(rfm.currency[p('C')]).toBe(-1);
    // Alone in their currencies, B and C score M = 1; A's three orders beat the others' one.
    expect([rfm.recency[p('C')], rfm.frequency[p('A')], rfm.monetary[p('B')]]).toEqual([4, 4, 1]);
    expect(rfm.customers).toBe(3);
    // C ordered for the first time on day 9: a customer since then, with no segment before.
    expect([dayDate(rfm.sinceDay[p('C')]), rfm.previous[p('C')]]).toEqual([dayDate(Math.floor(T0 / DAY) + 9), -1]);
  });

  it('has no customers before the first order', () => {
    const a = createAnalytics();
    a.append({ seq: 1, ts: Date.UTC(2024, 0, 5), type: 'track', name: 'Order Completed', userId: 'A', cart: { orderId: 'o', total: 1 } });
    expect(rfmSegments(a.orders({ asOf: Date.UTC(2024, 0, 1) })).customers).toBe(0);
    expect(() => rfmSegments(a.orders())).toThrow('asOf');
  });
});
