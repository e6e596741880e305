// The Gauss hypergeometric function ₂F₁(a, b; c; z) for real parameters and 0 ≤ z ≤ 1, as the
// BG/NBD expectations need it (bg-nbd.ts). Three things make the textbook series unsafe there:
//  - Large parameters (a customer with hundreds of purchases gives a, b, c of that size): the
//    terms grow to 10³⁰⁰ and more before they fall. The series is summed with a running scale and
//    the result is returned as a logarithm (with its sign), so that callers multiply it with
//    factors such as (1 − z)ᵃ in logs, where they cancel.
//  - Parameters where the series converges slowly: Euler's transformation
//    ₂F₁(a, b; c; z) = (1 − z)^(c−a−b) ₂F₁(c − a, c − b; c; z) is applied when it makes the
//    numerator parameters smaller (for the BG/NBD it turns a + x, b + x into values that do not
//    grow with x, so a frequent buyer's series ends after a few terms).
//  - z near 1, where the series needs about 35/(1 − z) terms: past 2,000 terms the function is
//    continued to 1 − z (DLMF 15.8.4), whose two series converge fast. When c − a − b is near an
//    integer the two halves of that formula have poles that cancel; there the function, analytic
//    in c, is interpolated from values at c − a − b a little off the integer instead.
import { lnGammaSigned } from './log-gamma';

/** A real number as ln |v| and the sign of v (0 for v = 0, with log −Infinity). */
export interface SignedLog {
  log: number;
  sign: -1 | 0 | 1;
}

const EPS = 1e-17;
const RESCALE = 1e200;
const LOG_RESCALE = Math.log(RESCALE);
/** Past this many terms near z = 1, the function is continued to 1 − z instead. */
const SLOW_TERMS = 2000;
/** The most terms ever summed (z within 10⁻⁴ of 1 with c − a − b an integer, for instance). */
const MAX_TERMS = 2_000_000;
const INTEGER_GAP = 1e-4;
const STEP = 0.01;

/** Σ (a)ₙ (b)ₙ / ((c)ₙ n!) zⁿ, or undefined when `maxTerms` terms did not reach double precision. */
function series(a: number, b: number, c: number, z: number, maxTerms: number): SignedLog | undefined {
  let term = 1;
  let sum = 1;
  let scale = 0;
  for (let n = 0; n < maxTerms; n++) {
    term *= (((a + n) * (b + n)) / ((c + n) * (n + 1))) * z;
    sum += term;
    if (term === 0) return toSigned(sum, scale); // a or b is a non-positive integer: a polynomial, summed exactly
    // Once a + m, b + m and c + m are positive, (a + m)/(c + m) and (b + m)/(m + 1) move
    // monotonically towards 1 (as do the factors paired the other way), so z · max(1, each at
    // m = n + 1) bounds every later ratio, and a bound below 1 bounds the tail geometrically.
    const m = n + 1;
    if (a + m > 0 && b + m > 0 && c + m > 0) {
      const up = (p: number, q: number) => Math.max(1, (p + m) / (q + m));
      const bound = z * Math.min(up(a, c) * up(b, 1), up(b, c) * up(a, 1));
      if (bound < 1 && (Math.abs(term) * bound) / (1 - bound) <= EPS * Math.abs(sum)) return toSigned(sum, scale);
    }
    if (Math.abs(sum) > RESCALE || Math.abs(term) > RESCALE) {
      sum /= RESCALE;
      term /= RESCALE;
      scale += LOG_RESCALE;
    }
  }
  return undefined;
}

function toSigned(value: number, scale: number): SignedLog {
  if (value === 0) return { log: -Infinity, sign: 0 };
  return { log: Math.log(Math.abs(value)) + scale, sign: value > 0 ? 1 : -1 };
}

/** x + y for numbers given as signed logs. */
export function addSigned(x: SignedLog, y: SignedLog): SignedLog {
  if (x.sign === 0) return y;
  if (y.sign === 0) return x;
  const [big, small] = x.log >= y.log ? [x, y] : [y, x];
  const ratio = Math.exp(small.log - big.log) * (small.sign === big.sign ? 1 : -1);
  if (ratio === -1) return { log: -Infinity, sign: 0 };
  return { log: big.log + Math.log1p(ratio), sign: big.sign };
}

/** Γ(p₁) Γ(p₂) / (Γ(q₁) Γ(q₂)) as a signed log; 0 when a q is a pole. */
function gammaRatio(p1: number, p2: number, q1: number, q2: number): SignedLog {
  const [a, b, c, d] = [lnGammaSigned(p1), lnGammaSigned(p2), lnGammaSigned(q1), lnGammaSigned(q2)];
  if (c.sign === 0 || d.sign === 0) return { log: -Infinity, sign: 0 };
  return { log: a.log + b.log - c.log - d.log, sign: (a.sign * b.sign * c.sign * d.sign) as -1 | 1 };
}

// DLMF 15.8.4 for c − a − b not an integer: the function near z = 1 from two series in 1 − z.
function continuedToOneMinusZ(a: number, b: number, c: number, z: number): SignedLog | undefined {
  const w = 1 - z;
  const m = c - a - b;
  const first = series(a, b, 1 - m, w, MAX_TERMS);
  const second = series(c - a, c - b, m + 1, w, MAX_TERMS);
  if (!first || !second) return undefined;
  const g1 = gammaRatio(c, m, c - a, c - b);
  const g2 = gammaRatio(c, -m, a, b);
  const t1: SignedLog = { log: g1.log + first.log, sign: (g1.sign * first.sign) as SignedLog['sign'] };
  const t2: SignedLog = { log: g2.log + second.log + m * Math.log(w), sign: (g2.sign * second.sign) as SignedLog['sign'] };
  return addSigned(t1, t2);
}

// Near an integer c − a − b = k, a quintic in c through the values at c − a − b = k ± h, k ± 2h,
// k ± 3h, evaluated at the true c. Each value loses the digits of a cancellation of size 1/h, and
// the interpolation errs by about (3h)⁶ times the sixth derivative in c, which grows like
// ln(1 − z)⁶; h = 0.01/|ln(1 − z)| balances the two at about 10⁻¹² relative.
function interpolatedNearInteger(a: number, b: number, c: number, z: number): SignedLog | undefined {
  const k = Math.round(c - a - b);
  const offset = c - a - b - k;
  const h = STEP / Math.max(1, -Math.log1p(-z));
  const nodes = [-3, -2, -1, 1, 2, 3].map((j) => j * h);
  const values: number[] = [];
  let reference: number | undefined;
  for (const node of nodes) {
    const v = continuedToOneMinusZ(a, b, c - offset + node, z);
    if (!v || v.sign === 0) return undefined;
    reference ??= v.log;
    values.push(v.sign * Math.exp(v.log - reference));
  }
  let result = 0;
  for (let i = 0; i < nodes.length; i++) {
    let weight = 1;
    for (let j = 0; j < nodes.length; j++) if (j !== i) weight *= (offset - nodes[j]) / (nodes[i] - nodes[j]);
    result += weight * values[i];
  }
  return toSigned(result, reference!);
}

/**
 * ln |₂F₁(a, b; c; z)| and its sign, for real a, b, c (c not 0, −1, −2, …) and 0 ≤ z ≤ 1 (at
 * z = 1 only when c − a − b > 0, by Gauss's theorem). Accurate to about 10⁻¹³ relative where
 * the series has no cancellation of its own (every BG/NBD use), a little less near z = 1 with
 * c − a − b near an integer.
 */
export function logHyp2f1(a: number, b: number, c: number, z: number): SignedLog {
  if (![a, b, c, z].every(Number.isFinite)) throw new RangeError(`2F1(${a}, ${b}; ${c}; ${z}): every argument must be finite`);
  if (c <= 0 && c === Math.floor(c)) throw new RangeError(`2F1: c = ${c} is a pole`);
  if (z < 0 || z > 1) throw new RangeError(`2F1: z = ${z} is outside [0, 1]`);
  if (z === 0) return { log: 0, sign: 1 };
  if (z === 1) {
    if (!(c - a - b > 0)) throw new RangeError(`2F1(${a}, ${b}; ${c}; 1) diverges: c - a - b = ${c - a - b} is not positive`);
    return gammaRatio(c, c - a - b, c - a, c - b);
  }
  let prefix = 0;
  if (Math.abs(c - a) + Math.abs(c - b) < Math.abs(a) + Math.abs(b)) {
    prefix = (c - a - b) * Math.log1p(-z);
    [a, b] = [c - a, c - b];
  }
  const withPrefix = (v: SignedLog): SignedLog => ({ log: v.log + prefix, sign: v.sign });
  const direct = series(a, b, c, z, z > 0.9 ? SLOW_TERMS : MAX_TERMS);
  if (direct) return withPrefix(direct);
  const m = c - a - b;
  const near = Math.abs(m - Math.round(m)) < INTEGER_GAP;
  const continued = near ? interpolatedNearInteger(a, b, c, z) : continuedToOneMinusZ(a, b, c, z);
  if (continued && Number.isFinite(continued.log)) return withPrefix(continued);
  const slow = series(a, b, c, z, MAX_TERMS);
  if (slow) return withPrefix(slow);
  throw new RangeError(`2F1(${a}, ${b}; ${c}; ${z}) did not converge`);
}

/** ₂F₁(a, b; c; z) as a number (Infinity where it overflows); see logHyp2f1. */
export function hyp2f1(a: number, b: number, c: number, z: number): number {
  const v = logHyp2f1(a, b, c, z);
  return v.sign * Math.exp(v.log);
}
