// The logarithm of the gamma function and its derivative, for the likelihoods of the purchase
// models. Both use the asymptotic (Stirling) series, which is accurate to double precision once
// the argument is at least 10; smaller arguments are first moved up with the recurrence
// Γ(x + 1) = x Γ(x) (ψ(x + 1) = ψ(x) + 1/x). Negative arguments use the reflection formula.
// The series' coefficients are B₂ₖ / (2k (2k − 1)) for lnΓ and B₂ₖ / 2k for ψ, with the
// Bernoulli numbers B₂ = 1/6, B₄ = −1/30, B₆ = 1/42, B₈ = −1/30, B₁₀ = 5/66, B₁₂ = −691/2730,
// B₁₄ = 7/6: truncated after the x⁻¹³ term at x ≥ 10, the error is below 3·10⁻¹⁷.

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
const SHIFT_TO = 10;

/** sin(πx), exact at the integers (where Math.sin(Math.PI * x) is only close to 0). */
export function sinPi(x: number): number {
  const r = x - 2 * Math.round(x / 2); // in [-1, 1]
  if (r === 0 || r === 1 || r === -1) return 0;
  if (r === 0.5 || r === -1.5) return 1;
  if (r === -0.5 || r === 1.5) return -1;
  return Math.sin(Math.PI * r);
}

/** ln Γ(x) for x > 0; +Infinity at 0, NaN below (see lnGammaSigned). */
export function lnGamma(x: number): number {
  if (!(x > 0)) return x === 0 ? Infinity : NaN;
  if (x === Infinity) return Infinity;
  // Γ(x) = Γ(x + n) / (x (x + 1) … (x + n − 1)); the product has at most 10 factors below 10,
  // so it neither overflows nor (x being a normal double) underflows.
  let product = 1;
  while (x < SHIFT_TO) {
    product *= x;
    x += 1;
  }
  const inv = 1 / x;
  const inv2 = inv * inv;
  const series =
    inv * (1 / 12 + inv2 * (-1 / 360 + inv2 * (1 / 1260 + inv2 * (-1 / 1680 + inv2 * (1 / 1188 + inv2 * (-691 / 360360 + inv2 * (1 / 156)))))));
  return (x - 0.5) * Math.log(x) - x + HALF_LOG_2PI + series - Math.log(product);
}

/** ln |Γ(x)| and the sign of Γ(x), for any real x; sign 0 at the poles (0, −1, −2, …), where 1/Γ is 0. */
export function lnGammaSigned(x: number): { log: number; sign: -1 | 0 | 1 } {
  if (x > 0) return { log: lnGamma(x), sign: 1 };
  if (Number.isNaN(x)) return { log: NaN, sign: 1 };
  if (x === Math.floor(x)) return { log: Infinity, sign: 0 };
  // Γ(x) Γ(1 − x) = π / sin(πx)
  const s = sinPi(x);
  return { log: Math.log(Math.PI / Math.abs(s)) - lnGamma(1 - x), sign: s > 0 ? 1 : -1 };
}

/** ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b), for a, b > 0. */
export function lnBeta(a: number, b: number): number {
  return lnGamma(a) + lnGamma(b) - lnGamma(a + b);
}

/** ψ(x) = d/dx ln Γ(x), for x > 0 (the gradient of the spend model's likelihood). */
export function digamma(x: number): number {
  if (!(x > 0)) return x === 0 ? -Infinity : NaN;
  let shift = 0;
  while (x < SHIFT_TO) {
    shift -= 1 / x;
    x += 1;
  }
  const inv2 = 1 / (x * x);
  const series = inv2 * (1 / 12 + inv2 * (-1 / 120 + inv2 * (1 / 252 + inv2 * (-1 / 240 + inv2 * (1 / 132 + inv2 * (-691 / 32760 + inv2 * (1 / 12)))))));
  return Math.log(x) - 0.5 / x - series + shift;
}
