// Unconstrained minimisation for the maximum-likelihood fits: BFGS (a quasi-Newton method that
// learns the inverse Hessian from successive gradients) with a backtracking line search.
// The models' parameters are positive; the fits minimise over their logarithms, so every point
// is valid and a step is a relative change. The models give their gradient analytically, from
// the same pass over the customers as the value; without one it is taken by central differences.
// Each evaluation is a pass over every group of customers, so the number of evaluations is what
// the fit of a large shop costs: about 30 for the BG/NBD on CDNOW or on 100,000 customers.

export interface Objective {
  /** The value at x; +Infinity (or NaN) where it is not defined, which the line search avoids. */
  value(x: readonly number[]): number;
  /**
   * Writes the gradient at x into `out` and returns the value (where the value is not finite, `out`
   * may hold anything); central differences when absent.
   */
  gradient?(x: readonly number[], out: number[]): number;
}

export interface MinimizeOptions {
  /**
   * Converged when every component of the gradient is at most this times max(1, |value|): a
   * likelihood's value and curvature both grow with the number of customers, and its value is
   * known to about 10⁻¹⁶ of itself, which bounds how small a gradient can be told apart from 0.
   * @defaultValue 1e-8
   */
  gradientTolerance?: number;
  /** @defaultValue 500 */
  maxIterations?: number;
  /** The longest step along any coordinate in one iteration. @defaultValue 5 */
  maxStep?: number;
}

export interface Minimum {
  x: number[];
  value: number;
  /** The largest component of the gradient at x. */
  gradientNorm: number;
  /**
   * The gradient reached the tolerance, or the search stalled (no step decreased the value any
   * further) within 100 times it.
   */
  converged: boolean;
  iterations: number;
  evaluations: number;
}

const dot = (a: readonly number[], b: readonly number[]) => a.reduce((s, v, i) => s + v * b[i], 0);

/** The value and gradient of `f` at x, the gradient by central differences when `f` has none. */
function valueAndGradient(f: Objective, x: readonly number[], out: number[], count: { n: number }): number {
  if (f.gradient) {
    count.n++;
    return f.gradient(x, out);
  }
  const fx = f.value(x);
  const probe = [...x];
  for (let i = 0; i < x.length; i++) {
    // h ≈ ε^(1/3) scaled: balances the truncation error (h²) against rounding (ε/h)
    const h = 6e-6 * Math.max(1, Math.abs(x[i]));
    probe[i] = x[i] + h;
    const up = f.value(probe);
    probe[i] = x[i] - h;
    const down = f.value(probe);
    probe[i] = x[i];
    out[i] = (up - down) / (2 * h);
  }
  count.n += 1 + 2 * x.length;
  return fx;
}

/** Minimises `f` from `start` by BFGS. */
export function minimize(f: Objective, start: readonly number[], options: MinimizeOptions = {}): Minimum {
  const tolerance = options.gradientTolerance ?? 1e-8;
  const maxIterations = options.maxIterations ?? 500;
  const maxStep = options.maxStep ?? 5;
  const n = start.length;
  const count = { n: 0 };
  let x = [...start];
  let g = new Array<number>(n).fill(0);
  let fx = valueAndGradient(f, x, g, count);
  if (!Number.isFinite(fx)) throw new RangeError(`the objective is not finite at the start ${JSON.stringify(start)}`);
  // The inverse Hessian, row-major; the identity until the first step scales it.
  let H = identity(n);
  let iterations = 0;
  const norm = (v: readonly number[]) => Math.max(...v.map(Math.abs));

  const small = () => tolerance * Math.max(1, Math.abs(fx));
  let stalled = false;
  for (; iterations < maxIterations && norm(g) > small(); iterations++) {
    let p = multiply(H, g).map((v) => -v);
    if (!(dot(p, g) < 0)) {
      // H lost positive definiteness (rounding): start again from steepest descent
      H = identity(n);
      p = g.map((v) => -v);
    }
    const longest = norm(p);
    let step = longest > maxStep ? maxStep / longest : 1;
    const slope = dot(p, g);
    let next: number[] = [];
    let fNext = Infinity;
    // Backtracking until the Armijo condition holds: a decrease of at least 10⁻⁴ of the slope's
    // promise. With an analytic gradient each trial takes it too (one pass over the data gives
    // both), so the accepted point needs no second pass.
    const gNext = new Array<number>(n).fill(0);
    for (let tries = 0; tries < 60; tries++) {
      next = x.map((v, i) => v + step * p[i]);
      fNext = f.gradient ? f.gradient(next, gNext) : f.value(next);
      count.n++;
      if (Number.isFinite(fNext) && fNext <= fx + 1e-4 * step * slope) break;
      step *= tries < 2 ? 0.5 : 0.2;
      fNext = Infinity;
    }
    if (!Number.isFinite(fNext)) {
      stalled = true; // no step along p decreases f any more: the value's rounding decides from here
      break;
    }
    if (!f.gradient) fNext = valueAndGradient(f, next, gNext, count);
    const s = next.map((v, i) => v - x[i]);
    const y = gNext.map((v, i) => v - g[i]);
    const sy = dot(s, y);
    if (iterations === 0 && sy > 0) H = scaled(identity(n), sy / dot(y, y));
    // The BFGS update needs curvature along the step (s·y > 0); skip it otherwise.
    if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) H = bfgsUpdate(H, s, y, sy);
    const improvement = fx - fNext;
    x = next;
    fx = fNext;
    g = gNext;
    if (improvement <= 1e-15 * Math.max(1, Math.abs(fx)) && norm(s) < 1e-12) {
      stalled = true;
      break;
    }
  }
  const gradientNorm = norm(g);
  const converged = gradientNorm <= small() * (stalled ? 100 : 1);
  return { x, value: fx, gradientNorm, iterations, evaluations: count.n, converged };
}

/**
 * Minimises from the best of `starts` (the lowest value there), then again from the point found
 * with a fresh Hessian until that no longer improves it (an approximation spoilt along the way
 * does not decide the fit); when that run does not converge, from each other start too, keeping
 * the best. One run where the first start leads to the minimum, as for the purchase models'
 * likelihoods: each evaluation is a pass over every customer.
 */
export function minimizeWithRestarts(f: Objective, starts: readonly (readonly number[])[], options: MinimizeOptions = {}): Minimum {
  const ranked = starts
    .map((start) => ({ start, value: f.value(start) }))
    .filter((s) => Number.isFinite(s.value))
    .sort((p, q) => p.value - q.value);
  if (ranked.length === 0) throw new RangeError('the objective is not finite at any start');
  let evaluations = starts.length;
  let best: Minimum | undefined;
  for (const { start } of ranked) {
    let m = minimize(f, start, options);
    evaluations += m.evaluations;
    for (let restart = 0; restart < 5; restart++) {
      const again = minimize(f, m.x, options);
      evaluations += again.evaluations;
      const improved = m.value - again.value > 1e-10 * Math.max(1, Math.abs(m.value));
      if (again.value <= m.value) m = again;
      if (!improved) break;
    }
    if (!best || m.value < best.value) best = m;
    if (best.converged) break;
  }
  return { ...best!, evaluations };
}

/**
 * The fits' parameters are e^(BOUND · tanh(φ/BOUND)) for the φ the optimiser moves: about e^φ
 * near the data's usual values, and never past e^±BOUND (3.3 · 10⁶ or its inverse). Some shops'
 * likelihoods have their supremum at infinity (every customer dropping out with the same
 * probability sends the BG/NBD's a and b to ∞ at a fixed ratio; one purchase rate for all sends r
 * and α there); on such a ridge the gradient of φ vanishes as tanh saturates, so the fit
 * converges at a point that predicts as the limit does instead of wandering for thousands of
 * evaluations.
 */
export const BOUND = 15;

/** The parameter's logarithm for the optimiser's coordinate φ. */
export const logOf = (phi: number) => BOUND * Math.tanh(phi / BOUND);
/** d(logOf)/dφ, for the chain rule. */
export const logSlope = (phi: number) => 1 - Math.tanh(phi / BOUND) ** 2;
/** The coordinate φ of a parameter's logarithm (inside ±BOUND). */
export const coordinateOf = (log: number) => BOUND * Math.atanh(Math.max(-0.999, Math.min(0.999, log / BOUND)));

function identity(n: number): number[] {
  const m = new Array<number>(n * n).fill(0);
  for (let i = 0; i < n; i++) m[i * n + i] = 1;
  return m;
}

function scaled(m: number[], by: number): number[] {
  return m.map((v) => v * by);
}

function multiply(m: readonly number[], v: readonly number[]): number[] {
  const n = v.length;
  const out = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i] += m[i * n + j] * v[j];
  return out;
}

// H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ, with ρ = 1/(yᵀs).
function bfgsUpdate(H: readonly number[], s: readonly number[], y: readonly number[], sy: number): number[] {
  const n = s.length;
  const rho = 1 / sy;
  const Hy = multiply(H, y);
  const yHy = dot(y, Hy);
  const out = new Array<number>(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      out[i * n + j] = H[i * n + j] - rho * (Hy[i] * s[j] + s[i] * Hy[j]) + (rho * rho * yHy + rho) * s[i] * s[j];
    }
  }
  return out;
}
