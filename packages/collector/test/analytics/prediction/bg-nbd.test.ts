// The BG/NBD expectations against an independent derivation: a customer alive at T with rate λ
// and drop-out probability p makes (1 − e^(−λpt))/p purchases in the next t weeks on average;
// given (x, tₓ, T) and alive, λ ~ Gamma(r + x, α + T) and p ~ Beta(a, b + x), so
//   E[Y(t) | x, tₓ, T] = P(alive) ∫₀¹ (1 − ((α + T)/(α + T + pt))^(r + x)) / p · Beta(p; a, b + x) dp,
// integrated here numerically (no ₂F₁ involved). Then the forms the implementation takes care
// of: frequent buyers, long horizons (z near 1), a near 1.
import { conditionalExpectedPurchases, expectedPurchases, lnBeta, pAlive, predictCustomer, type BgNbdParams } from '../../../src/analytics/prediction';

// Simpson's rule over u = p^a (which absorbs the p^(a−1) of the beta density): smooth on [0, 1],
// in panels 10⁻¹², 10⁻¹¹, … 1 of 2,000 steps each, since a frequent buyer's density is all near 0.
function byIntegration({ r, alpha, a, b }: BgNbdParams, t: number, x: number, tx: number, T: number): number {
  const f = (u: number) => {
    if (u === 0) return ((r + x) * t) / (alpha + T); // the limit p → 0
    const p = u ** (1 / a);
    if (p >= 1) return 0;
    const inner = -Math.expm1(-(r + x) * Math.log1p((p * t) / (alpha + T))) / p;
    return inner * Math.exp((b + x - 1) * Math.log1p(-p));
  };
  const simpson = (from: number, to: number, n = 2000) => {
    const h = (to - from) / n;
    let sum = f(from) + f(to);
    for (let k = 1; k < n; k++) sum += (k % 2 ? 4 : 2) * f(from + k * h);
    return (sum * h) / 3;
  };
  let integral = simpson(0, 1e-12);
  for (let e = -12; e < 0; e++) integral += simpson(10 ** e, 10 ** (e + 1));
  integral /= a * Math.exp(lnBeta(a, b + x));
  return pAlive({ r, alpha, a, b }, x, tx, T) * integral;
}

const FITTED: BgNbdParams = { r: 0.2426, alpha: 4.4136, a: 0.7929, b: 2.4259 };
const CASES: [string, BgNbdParams, number, number, number, number][] = [
  ['a one-time buyer, a year', FITTED, 52, 0, 0, 20],
  ['a repeat buyer, a month', FITTED, 30 / 7, 3, 15, 30],
  ['a frequent buyer, a year', FITTED, 52, 120, 200 / 7, 30],
  ['a very frequent buyer, two years', { r: 2.1, alpha: 0.8, a: 1.6, b: 9 }, 104, 400, 80, 81],
  ['a new customer, ten years, tiny α (z near 1)', { r: 0.5, alpha: 0.05, a: 0.6, b: 3 }, 520, 0, 0, 0],
  ['slow drop-out (b large)', { r: 0.9, alpha: 12, a: 0.3, b: 800 }, 52, 4, 10, 40],
  ['a = 1.0004 (near the pole of 1/(a − 1))', { r: 0.7, alpha: 6, a: 1.0004, b: 2.5 }, 52, 2, 6, 20],
];

describe('E[Y(t) | x, tₓ, T]', () => {
  it.each(CASES)('%s equals the integral over p', (_, params, t, x, tx, T) => {
    const expected = byIntegration(params, t, x, tx, T);
    expect(Math.abs(conditionalExpectedPurchases(params, t, x, tx, T) / expected - 1)).toBeLessThan(1e-9);
  });

  it('is 0 for t = 0 and grows with t', () => {
    expect(conditionalExpectedPurchases(FITTED, 0, 3, 15, 30)).toBe(0);
    const values = [1, 4, 13, 52, 520].map((t) => conditionalExpectedPurchases(FITTED, t, 3, 15, 30));
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThan(values[i - 1]);
  });

  it('at a = 1 is the limit, computed independently in 50-digit arithmetic', () => {
    const p = { r: 0.243, alpha: 4.414, a: 1, b: 2.426 };
    expect(Math.abs(expectedPurchases(p, 20) / 0.69623933016650812 - 1)).toBeLessThan(1e-11);
    expect(Math.abs(conditionalExpectedPurchases(p, 52, 5, 20, 30) / 2.7502507656983099 - 1)).toBeLessThan(1e-11);
    expect(Math.abs(expectedPurchases({ ...p, a: 0.9995 }, 20) / 0.69634429211257969 - 1)).toBeLessThan(1e-11);
  });

  it('is continuous across a = 1', () => {
    const at = (a: number) => expectedPurchases({ ...FITTED, a }, 20);
    expect(Math.abs(at(1) - at(1 + 1e-9))).toBeLessThan(1e-9);
    expect(Math.abs(at(0.999) - at(0.99900001))).toBeLessThan(1e-8);
    expect(Math.abs(at(1) / byIntegration({ ...FITTED, a: 1 }, 20, 0, 0, 0) - 1)).toBeLessThan(1e-7);
  });
});

describe('P(alive)', () => {
  it('is 1 without a repeat purchase, falls with time since the last one, and rises with frequency', () => {
    expect(pAlive(FITTED, 0, 0, 30)).toBe(1);
    expect(pAlive(FITTED, 3, 29, 30)).toBeGreaterThan(pAlive(FITTED, 3, 5, 30));
    expect(pAlive(FITTED, 10, 29, 30)).toBeGreaterThan(pAlive(FITTED, 2, 29, 30));
  });
});

describe('predictCustomer', () => {
  it('gives P(alive) and the expectations of every horizon at once', () => {
    const { pAlive: alive, expected } = predictCustomer(FITTED, [30 / 7, 90 / 7, 365 / 7], 3, 15, 30);
    expect(alive).toBe(pAlive(FITTED, 3, 15, 30));
    expect(expected).toEqual([30 / 7, 90 / 7, 365 / 7].map((t) => conditionalExpectedPurchases(FITTED, t, 3, 15, 30)));
  });
});
