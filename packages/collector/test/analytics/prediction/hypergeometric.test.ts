// ₂F₁ against closed forms (elementary functions, complete elliptic integrals, Gauss's theorem at
// z = 1), which cover each path of the implementation: the plain series, Euler's transformation,
// the continuation to 1 − z, and its interpolation where c − a − b is an integer. Then against
// values computed independently in 30-digit arithmetic, with parameters as the BG/NBD produces
// them (large ones for frequent buyers, z near 1 for long horizons).
import { addSigned, hyp2f1, logHyp2f1 } from '../../../src/analytics/prediction/hypergeometric';
import { lnGamma } from '../../../src/analytics/prediction/log-gamma';

/** Within `rel` of |expected|, or of 1 for a logarithm near 0 (whose error is absolute). */
function near(actual: number, expected: number, rel: number, floor = 1e-300): void {
  const tolerance = rel * Math.max(floor, Math.abs(expected));
  if (!(Math.abs(actual - expected) <= tolerance)) throw new Error(`${actual} is not within ${tolerance} of ${expected}`);
}

// K(k) by the arithmetic-geometric mean: K = π / (2 AGM(1, √(1 − k²))).
function ellipticK(k2: number): number {
  let [a, b] = [1, Math.sqrt(1 - k2)];
  for (let i = 0; i < 40 && Math.abs(a - b) > 1e-16 * a; i++) [a, b] = [(a + b) / 2, Math.sqrt(a * b)];
  return Math.PI / (2 * a);
}

const Z = [0, 1e-6, 0.1, 0.5, 0.8, 0.9, 0.95, 0.99, 0.999, 0.9999, 0.999999];

describe('hyp2f1 against closed forms', () => {
  it.each(Z)('₂F₁(1, 1; 2; z) = −ln(1 − z)/z (c − a − b = 0) at z = %p', (z) => {
    near(hyp2f1(1, 1, 2, z), z === 0 ? 1 : -Math.log1p(-z) / z, 1e-12);
  });

  it.each(Z)('₂F₁(1/2, 1/2; 3/2; z) = arcsin(√z)/√z (c − a − b = 1/2) at z = %p', (z) => {
    near(hyp2f1(0.5, 0.5, 1.5, z), z === 0 ? 1 : Math.asin(Math.sqrt(z)) / Math.sqrt(z), 1e-13);
  });

  it.each(Z)('₂F₁(1/2, 1; 3/2; z) = artanh(√z)/√z at z = %p', (z) => {
    // artanh(√z) = ln(1 + √z) − ln(1 − z)/2, which keeps its digits as z → 1 (Math.atanh loses them in 1 − √z)
    const artanh = Math.log1p(Math.sqrt(z)) - Math.log1p(-z) / 2;
    near(hyp2f1(0.5, 1, 1.5, z), z === 0 ? 1 : artanh / Math.sqrt(z), 1e-12);
  });

  it.each(Z)('₂F₁(1/2, 1/2; 1; z) = 2K(√z)/π at z = %p', (z) => {
    near(hyp2f1(0.5, 0.5, 1, z), (2 / Math.PI) * ellipticK(z), 1e-12);
  });

  it.each([
    [0.3, 2.5],
    [2.4259, 0.2],
    [120.5, 3],
    [-0.2071, 1.7],
  ])('₂F₁(a, b; b; z) = (1 − z)^(−a) for a = %p, b = %p', (a, b) => {
    for (const z of Z) near(logHyp2f1(a, b, b, z).log, -a * Math.log1p(-z), 1e-13, 1);
  });

  it('is a polynomial when a is a non-positive integer: ₂F₁(−3, 2; 3/2; z)', () => {
    // 1 − 4z + 24z²/5 − 64z³/35, the terms (−3)ₙ(2)ₙ/((3/2)ₙ n!) worked out by hand
    for (const z of [0.1, 0.7, 0.99]) near(hyp2f1(-3, 2, 1.5, z), 1 - 4 * z + (24 / 5) * z * z - (64 / 35) * z ** 3, 1e-13);
  });

  it('at z = 1 follows Gauss: Γ(c)Γ(c − a − b)/(Γ(c − a)Γ(c − b)), and refuses c − a − b ≤ 0', () => {
    const [a, b, c] = [0.2426, 0.7, 2.2188];
    near(logHyp2f1(a, b, c, 1).log, lnGamma(c) + lnGamma(c - a - b) - lnGamma(c - a) - lnGamma(c - b), 1e-13);
    // and the function approaches that value as z → 1
    near(hyp2f1(a, b, c, 1 - 1e-9), hyp2f1(a, b, c, 1), 1e-6);
    expect(() => hyp2f1(1, 1, 2, 1)).toThrow(/diverges/);
  });

  it('refuses z outside [0, 1], a pole c and non-finite arguments', () => {
    expect(() => hyp2f1(1, 1, 2, -0.5)).toThrow(RangeError);
    expect(() => hyp2f1(1, 1, 2, 1.5)).toThrow(RangeError);
    expect(() => hyp2f1(1, 1, -2, 0.5)).toThrow(/pole/);
    expect(() => hyp2f1(NaN, 1, 2, 0.5)).toThrow(/finite/);
  });
});

describe('hyp2f1 against 30-digit values', () => {
  it.each([
    [0.5, 1.5, 2.5, 0.3, 0.10261304075412550448, 1],
    [0.2426, 2.4259, 2.2188, 0.5, 0.18792091667336110583, 1],
    [26.2426, 28.4259, 28.2188, 0.9, 60.889027107175068454, 1],
    [1.9762, -0.2071, 2.2188, 0.95, -0.45397391992937961227, 1],
    [1.9762, -0.2071, 2.2188, 0.9999, -0.7445983637000677844, 1],
    [300.5, 302.4, 301.2, 0.5, 209.12110937273854416, 1],
    [1.3, 2.7, 1.5, 0.99, 11.351782507869014561, 1],
    [1.5, 2.5, 4, 0.999, 3.2444769253632451895, 1],
    [0.7, 0.3, 1.0, 0.99999, 1.3567749265082339586, 1],
    [2, 3, 5.0000001, 0.995, 3.5562372435279284762, 1],
    [1.2, 3.4, -0.5, 0.6, 7.4432988687047846642, -1],
    [0.3, 0.4, -0.2, 0.97, 2.9594513448787393359, -1],
    [5, 7, 2.5, 0.9, 23.954589992772522996, 1],
    // frequent buyers over long horizons: large parameters with z near 1
    [300.24, 302.43, 301.22, 0.97, 1057.0480548441770949, 1],
    [40.24, 42.43, 41.22, 0.995, 219.58636053029256104, 1],
    [1000.3, 1002.5, 1001.8, 0.9999, 9219.5496633972675786, 1],
  ])('ln|₂F₁(%p, %p; %p; %p)| = %p, sign %p', (a, b, c, z, log, sign) => {
    const v = logHyp2f1(a, b, c, z);
    near(v.log, log, 1e-12, 1);
    expect(v.sign).toBe(sign);
  });

  it('stays finite in logs where the value itself overflows a double', () => {
    // a frequent buyer's parameters: the value is about 10^1398
    const v = logHyp2f1(2000.24, 2002.43, 2002.22, 0.8);
    expect(v.sign).toBe(1);
    near(v.log, 3219.5999057012198858, 1e-13);
  });
});

describe('addSigned', () => {
  it('adds and cancels numbers given as logs', () => {
    const s = (v: number) => ({ log: Math.log(Math.abs(v)), sign: Math.sign(v) as -1 | 1 });
    near(Math.exp(addSigned(s(3), s(-1)).log), 2, 1e-15);
    expect(addSigned(s(-3), s(1)).sign).toBe(-1);
    expect(addSigned(s(2), s(-2)).sign).toBe(0);
    expect(addSigned({ log: -Infinity, sign: 0 }, s(5))).toEqual(s(5));
  });
});
