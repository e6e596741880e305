// The BG/NBD model's individual-level quantities (Fader, Hardie & Lee 2005), time in weeks:
//  - P(alive | x, tₓ, T) = 1 / (1 + [x > 0] · a/(b + x − 1) · ((α + T)/(α + tₓ))^(r + x))
//  - E[Y(t) | x, tₓ, T], the purchases expected in the next t weeks (eq. 10):
//      (a + b + x − 1)/(a − 1) · [1 − ((α + T)/(α + T + t))^(r + x)
//        · ₂F₁(r + x, b + x; a + b + x − 1; t/(α + T + t))] · P(alive)
//  - E[X(t)] for a customer just acquired (eq. 7): the same with x = tₓ = T = 0
//  - P(X(t) = n) for a customer just acquired (eq. 8)
// The power and ₂F₁ are multiplied in logs, where the (1 − z)^(−r−x) growth of ₂F₁ for a frequent
// buyer cancels against the power. At a = 1 the factor 1/(a − 1) meets a bracket that is 0 too;
// within 10⁻³ of it the value is interpolated from points on either side (it is smooth in a).
export type { BgNbdParams } from './bg-nbd-fit';
import type { BgNbdParams } from './bg-nbd-fit';
import { logHyp2f1 } from './hypergeometric';
import { lnBeta, lnGamma } from './log-gamma';

const NEAR_ONE = 1e-3;

/** The probability that a customer with this summary has not dropped out by T. */
export function pAlive(p: BgNbdParams, x: number, tx: number, T: number): number {
  if (x === 0) return 1;
  const d = Math.log(p.a / (p.b + x - 1)) + (p.r + x) * (Math.log(p.alpha + T) - Math.log(p.alpha + tx));
  return 1 / (1 + Math.exp(d));
}

/** Lagrange interpolation through (nodes[i], values[i]) at `at`. */
function interpolate(nodes: readonly number[], values: readonly number[], at: number): number {
  let sum = 0;
  for (let i = 0; i < nodes.length; i++) {
    let w = 1;
    for (let j = 0; j < nodes.length; j++) if (j !== i) w *= (at - nodes[j]) / (nodes[i] - nodes[j]);
    sum += w * values[i];
  }
  return sum;
}

// (a + b + x − 1)/(a − 1) · [1 − ((α + T)/(α + T + t))^(r + x) ₂F₁(r + x, b + x; a + b + x − 1; z)]:
// the purchases in the next t weeks of a customer alive at T.
function aliveExpectation(p: BgNbdParams, t: number, x: number, T: number): number {
  if (t === 0) return 0;
  if (Math.abs(p.a - 1) >= NEAR_ONE) return aliveExpectationAt(p, t, x, T);
  const nodes = [-2, -1, 1, 2].map((k) => 1 + k * NEAR_ONE);
  return interpolate(nodes, nodes.map((a) => aliveExpectationAt({ ...p, a }, t, x, T)), p.a);
}

function aliveExpectationAt(p: BgNbdParams, t: number, x: number, T: number): number {
  const { r, alpha, a, b } = p;
  const c = a + b + x - 1;
  const z = t / (alpha + T + t);
  const f = logHyp2f1(r + x, b + x, c, z);
  const log = (r + x) * (Math.log(alpha + T) - Math.log(alpha + T + t)) + f.log;
  // 1 − sign·e^log, kept accurate when e^log is near 1 (a near 1, or t small)
  const bracket = f.sign > 0 ? -Math.expm1(log) : 1 - f.sign * Math.exp(log);
  return (c / (a - 1)) * bracket;
}

/** E[Y(t) | x, tₓ, T]: the purchases expected in the next t weeks from a customer with this summary. */
export function conditionalExpectedPurchases(p: BgNbdParams, t: number, x: number, tx: number, T: number): number {
  return aliveExpectation(p, t, x, T) * pAlive(p, x, tx, T);
}

/** E[X(t)]: the repeat purchases expected in the first t weeks after a customer's first purchase. */
export function expectedPurchases(p: BgNbdParams, t: number): number {
  return aliveExpectation(p, t, 0, 0);
}

/** P(X(t) = n): the probability that a customer makes exactly n repeat purchases in their first t weeks. */
export function purchaseProbability(p: BgNbdParams, n: number, t: number): number {
  const { r, alpha, a, b } = p;
  const lnRatio = Math.log(alpha / (alpha + t)); // ln of α/(α + t)
  const lnShare = Math.log(t / (alpha + t)); // ln of t/(α + t)
  const first = lnBeta(a, b + n) - lnBeta(a, b) + lnGamma(r + n) - lnGamma(r) - lnGamma(n + 1) + r * lnRatio + n * lnShare;
  if (n === 0) return Math.exp(first);
  // 1 − (α/(α + t))^r Σ_{j<n} Γ(r + j)/(Γ(r) j!) (t/(α + t))^j: the probability of at least n purchases
  let term = Math.exp(r * lnRatio);
  let sum = term;
  for (let j = 1; j < n; j++) {
    term *= ((r + j - 1) / j) * (t / (alpha + t));
    sum += term;
  }
  const second = Math.exp(lnBeta(a + 1, b + n - 1) - lnBeta(a, b)) * Math.max(0, 1 - sum);
  return Math.exp(first) + second;
}

/**
 * P(alive) and E[Y(t) | x, tₓ, T] for each of `horizons` (weeks) at once: P(alive) is worked out
 * once for all of them.
 */
export function predictCustomer(p: BgNbdParams, horizons: readonly number[], x: number, tx: number, T: number): { pAlive: number; expected: number[] } {
  const alive = pAlive(p, x, tx, T);
  return { pAlive: alive, expected: horizons.map((t) => aliveExpectation(p, t, x, T) * alive) };
}
