// The BG/NBD log-likelihood (Fader, Hardie & Lee 2005, eq. 6) over grouped customers, its
// gradient, and the maximum-likelihood fit. Per customer, in logs:
//   ln L = ln Γ(r + x) − ln Γ(r) + r ln α + ln B(a, b + x) − ln B(a, b) − (r + x) ln(α + T)
//          + ln(1 + [x > 0] · a/(b + x − 1) · ((α + T)/(α + tₓ))^(r + x)),
// the last term written log1p(e^D) with D = ln(a/(b + x − 1)) + (r + x)(ln(α + T) − ln(α + tₓ)).
// Everything but that term depends on x or on T alone and is summed per distinct value.
import type { CustomerGroups } from './customer-groups';
import { digamma, lnGamma } from './log-gamma';
import { minimizeWithRestarts, type Minimum } from './minimize';

/** BG/NBD parameters: purchase rates λ ~ Gamma(r, α) per week, drop-out p ~ Beta(a, b) after each purchase. */
export interface BgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

/** ln(1 + e^d) without overflow. */
const softplus = (d: number) => (d > 0 ? d + Math.log1p(Math.exp(-d)) : Math.log1p(Math.exp(d)));

/**
 * The log-likelihood of the groups, and with `gradient` its partial derivatives in
 * (r, α, a, b) written there.
 */
export function bgNbdLogLikelihood(params: BgNbdParams, groups: CustomerGroups, gradient?: number[]): number {
  const { r, alpha, a, b } = params;
  if (!(r > 0 && alpha > 0 && a > 0 && b > 0)) return NaN;
  const { xValues, TValues, txValues } = groups;
  const lnAlpha = Math.log(alpha);
  const lnA = Math.log(a);
  const commonA = lnGamma(a + b) - lnGamma(b) - lnGamma(r);
  // Per distinct x: the weight of its groups and the terms that depend on x alone.
  const xWeight = new Float64Array(xValues.length);
  const TCount = new Float64Array(TValues.length);
  const TWeight = new Float64Array(TValues.length); // Σ count · (r + x) per distinct T
  for (let g = 0; g < groups.length; g++) {
    xWeight[groups.xIndex[g]] += groups.count[g];
    TCount[groups.TIndex[g]] += groups.count[g];
    TWeight[groups.TIndex[g]] += groups.count[g] * (r + groups.x[g]);
  }
  let ll = 0;
  const xLogB = new Float64Array(xValues.length); // ln(b + x − 1), for x > 0
  let dr = 0;
  let da = 0;
  let db = 0;
  let dAlpha = 0;
  const psiAB = gradient ? digamma(a + b) : 0;
  const psiR = gradient ? digamma(r) : 0;
  const psiB = gradient ? digamma(b) : 0;
  for (let k = 0; k < xValues.length; k++) {
    const x = xValues[k];
    const w = xWeight[k];
    ll += w * (lnGamma(r + x) + r * lnAlpha + lnGamma(b + x) - lnGamma(a + b + x) + commonA);
    xLogB[k] = x > 0 ? Math.log(b + x - 1) : 0;
    if (gradient) {
      const psiABx = digamma(a + b + x);
      dr += w * (digamma(r + x) - psiR + lnAlpha);
      dAlpha += (w * r) / alpha;
      da += w * (psiAB - psiABx);
      db += w * (psiAB + digamma(b + x) - psiB - psiABx);
    }
  }
  const lnT = TValues.map((T) => Math.log(alpha + T));
  const lnTx = txValues.map((tx) => Math.log(alpha + tx));
  for (let k = 0; k < TValues.length; k++) {
    ll -= TWeight[k] * lnT[k];
    if (gradient) {
      dr -= TCount[k] * lnT[k];
      dAlpha -= TWeight[k] / (alpha + TValues[k]);
    }
  }
  for (let g = 0; g < groups.length; g++) {
    const x = groups.x[g];
    if (x === 0) continue;
    const diff = lnT[groups.TIndex[g]] - lnTx[groups.txIndex[g]];
    const d = lnA - xLogB[groups.xIndex[g]] + (r + x) * diff;
    const c = groups.count[g];
    ll += c * softplus(d);
    if (gradient) {
      const s = c / (1 + Math.exp(-d)); // count × the second term's share of the likelihood
      dr += s * diff;
      dAlpha += s * (r + x) * (1 / (alpha + groups.T[g]) - 1 / (alpha + groups.tx[g]));
      da += s / a;
      db -= s / (b + x - 1);
    }
  }
  if (gradient) {
    gradient[0] = dr;
    gradient[1] = dAlpha;
    gradient[2] = da;
    gradient[3] = db;
  }
  return ll;
}

export interface BgNbdFit {
  params: BgNbdParams;
  logLikelihood: number;
  /** Whether the optimiser reached a gradient of 10⁻⁸ (in log parameters). */
  converged: boolean;
  evaluations: number;
}

const fromLog = (theta: readonly number[]): BgNbdParams => ({
  r: Math.exp(theta[0]),
  alpha: Math.exp(theta[1]),
  a: Math.exp(theta[2]),
  b: Math.exp(theta[3]),
});

/** The maximum-likelihood BG/NBD parameters of the groups (over log parameters, by BFGS with restarts). */
export function fitBgNbd(groups: CustomerGroups): BgNbdFit {
  const gradient = [0, 0, 0, 0];
  const objective = {
    value: (theta: readonly number[]) => -bgNbdLogLikelihood(fromLog(theta), groups),
    gradient(theta: readonly number[], out: number[]) {
      const p = fromLog(theta);
      const ll = bgNbdLogLikelihood(p, groups, gradient);
      // d/dθ = p · d/dp for θ = ln p; minimising −ln L
      const scale = [p.r, p.alpha, p.a, p.b];
      for (let i = 0; i < 4; i++) out[i] = -gradient[i] * scale[i];
      return -ll;
    },
  };
  // Starts: all ones, and a scale for α from the data (mean T over mean purchases), with slow and fast drop-out.
  let weeks = 0;
  let purchases = 0;
  for (let g = 0; g < groups.length; g++) {
    weeks += groups.count[g] * groups.T[g];
    purchases += groups.count[g] * (1 + groups.x[g]);
  }
  const scale = Math.log(Math.max(1e-3, weeks / purchases));
  const starts = [
    [0, 0, 0, 0],
    [0, scale, Math.log(0.5), Math.log(3)],
    [Math.log(0.3), scale, Math.log(2), Math.log(10)],
  ];
  const m: Minimum = minimizeWithRestarts(objective, starts);
  return { params: fromLog(m.x), logLikelihood: -m.value, converged: m.converged, evaluations: m.evaluations };
}
