// The BG/NBD log-likelihood (Fader, Hardie & Lee 2005, eq. 6) over grouped customers, its
// gradient, and the maximum-likelihood fit. Per customer, in logs:
//   ln L = ln Γ(r + x) − ln Γ(r) + r ln α + ln B(a, b + x) − ln B(a, b) − (r + x) ln(α + T)
//          + ln(1 + [x > 0] · a/(b + x − 1) · ((α + T)/(α + tₓ))^(r + x)),
// the last term written log1p(e^D) with D = ln(a/(b + x − 1)) + (r + x)(ln(α + T) − ln(α + tₓ)).
// Everything but that term depends on x or on T alone and is summed per distinct value.
import type { CustomerGroups } from './customer-groups';
import { digamma, lnGamma } from './log-gamma';
import { coordinateOf, logOf, logSlope, minimizeWithRestarts, type Minimum } from './minimize';

/** BG/NBD parameters: purchase rates λ ~ Gamma(r, α) per week, drop-out p ~ Beta(a, b) after each purchase. */
export interface BgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

/**
 * The log-likelihood of the groups, and with `gradient` its partial derivatives in
 * (r, α, a, b) written there.
 */
export function bgNbdLogLikelihood(params: BgNbdParams, groups: CustomerGroups, gradient?: number[]): number {
  return bgNbdLikelihood(groups)(params, gradient);
}

/**
 * The log-likelihood of the groups as a function of the parameters, with what does not depend on
 * them worked out once: the customers per distinct x and T, and Σ count · x per distinct T.
 */
export function bgNbdLikelihood(groups: CustomerGroups): (params: BgNbdParams, gradient?: number[]) => number {
  const { xValues, TValues, txValues, count } = groups;
  const xCount = new Float64Array(xValues.length);
  const TCount = new Float64Array(TValues.length);
  const TPurchases = new Float64Array(TValues.length);
  for (let g = 0; g < groups.length; g++) {
    xCount[groups.xIndex[g]] += count[g];
    TCount[groups.TIndex[g]] += count[g];
    TPurchases[groups.TIndex[g]] += count[g] * groups.x[g];
  }
  // The groups with a repeat purchase, the only ones with a term of their own.
  const repeat = Int32Array.from({ length: groups.length }, (_, g) => g).filter((g) => groups.x[g] > 0);
  const lnT = new Float64Array(TValues.length);
  const invT = new Float64Array(TValues.length);
  const lnTx = new Float64Array(txValues.length);
  const invTx = new Float64Array(txValues.length);
  const xLogB = new Float64Array(xValues.length);

  return (params, gradient) => {
    const { r, alpha, a, b } = params;
    if (!(r > 0 && alpha > 0 && a > 0 && b > 0)) return NaN;
    const lnAlpha = Math.log(alpha);
    const lnA = Math.log(a);
    let ll = 0;
    let dr = 0;
    let dAlpha = 0;
    let da = 0;
    let db = 0;
    // Terms of x alone: ln Γ(r + x) − ln Γ(r) + r ln α + ln Γ(b + x) − ln Γ(b) + ln Γ(a + b) − ln Γ(a + b + x)
    const common = lnGamma(a + b) - lnGamma(b) - lnGamma(r) + r * lnAlpha;
    const psiAB = gradient ? digamma(a + b) : 0;
    const psiR = gradient ? digamma(r) : 0;
    const psiB = gradient ? digamma(b) : 0;
    for (let k = 0; k < xValues.length; k++) {
      const x = xValues[k];
      const w = xCount[k];
      ll += w * (lnGamma(r + x) + lnGamma(b + x) - lnGamma(a + b + x) + common);
      xLogB[k] = x > 0 ? Math.log(b + x - 1) : 0;
      if (gradient) {
        const psiABx = digamma(a + b + x);
        dr += w * (digamma(r + x) - psiR + lnAlpha);
        dAlpha += (w * r) / alpha;
        da += w * (psiAB - psiABx);
        db += w * (psiAB + digamma(b + x) - psiB - psiABx);
      }
    }
    // Terms of T alone: −(r + x) ln(α + T)
    for (let k = 0; k < TValues.length; k++) {
      lnT[k] = Math.log(alpha + TValues[k]);
      invT[k] = 1 / (alpha + TValues[k]);
      const weight = r * TCount[k] + TPurchases[k];
      ll -= weight * lnT[k];
      dr -= TCount[k] * lnT[k];
      dAlpha -= weight * invT[k];
    }
    for (let k = 0; k < txValues.length; k++) {
      lnTx[k] = Math.log(alpha + txValues[k]);
      invTx[k] = 1 / (alpha + txValues[k]);
    }
    // The repeat buyers' own term: ln(1 + e^D)
    for (let j = 0; j < repeat.length; j++) {
      const g = repeat[j];
      const x = groups.x[g];
      const ti = groups.TIndex[g];
      const xi = groups.txIndex[g];
      const diff = lnT[ti] - lnTx[xi];
      const d = lnA - xLogB[groups.xIndex[g]] + (r + x) * diff;
      const c = count[g];
      // ln(1 + e^d) and e^d/(1 + e^d) from one exponential, without overflow
      const e = Math.exp(-Math.abs(d));
      ll += c * ((d > 0 ? d : 0) + Math.log1p(e));
      if (gradient) {
        const s = (c * (d > 0 ? 1 : e)) / (1 + e); // count × the second term's share of the likelihood
        dr += s * diff;
        dAlpha += s * (r + x) * (invT[ti] - invTx[xi]);
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
  };
}

export interface BgNbdFit {
  params: BgNbdParams;
  logLikelihood: number;
  /** Whether the optimiser reached a gradient of 10⁻⁸ (in log parameters). */
  converged: boolean;
  evaluations: number;
}

const paramsAt = (phi: readonly number[]): BgNbdParams => ({
  r: Math.exp(logOf(phi[0])),
  alpha: Math.exp(logOf(phi[1])),
  a: Math.exp(logOf(phi[2])),
  b: Math.exp(logOf(phi[3])),
});

/** The maximum-likelihood BG/NBD parameters of the groups (BFGS over bounded log parameters, with restarts). */
export function fitBgNbd(groups: CustomerGroups): BgNbdFit {
  const gradient = [0, 0, 0, 0];
  const likelihood = bgNbdLikelihood(groups);
  const objective = {
    value: (phi: readonly number[]) => -likelihood(paramsAt(phi)),
    gradient(phi: readonly number[], out: number[]) {
      const p = paramsAt(phi);
      const ll = likelihood(p, gradient);
      // d/dφ = p · d(ln p)/dφ · d/dp; minimising −ln L
      const scale = [p.r, p.alpha, p.a, p.b];
      for (let i = 0; i < 4; i++) out[i] = -gradient[i] * scale[i] * logSlope(phi[i]);
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
  ].map((logs) => logs.map(coordinateOf));
  const m: Minimum = minimizeWithRestarts(objective, starts);
  return { params: paramsAt(m.x), logLikelihood: -m.value, converged: m.converged, evaluations: m.evaluations };
}
