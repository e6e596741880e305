// The Gamma-Gamma model of spend (Fader, Hardie & Lee 2005, "RFM and CLV"; Hardie's note 025):
// the value of each of a customer's purchases is Gamma(p, ν) around their own mean, and ν varies
// over customers as Gamma(q, γ). It is fitted on the repeat buyers (x > 0) from x and the mean
// value m of their repeat purchases:
//   ln L = ln Γ(px + q) − ln Γ(px) − ln Γ(q) + q ln γ + (px − 1) ln m + px ln x − (px + q) ln(γ + x m),
// and gives each customer's expected spend per purchase, a weighted mean of the population's
// (pγ/(q − 1)) and their own:
//   E[M | x, m] = p (γ + x m) / (px + q − 1).
// γ is called v here, as in the answer of the purchase-model route.
import { digamma, lnGamma } from './log-gamma';
import { coordinateOf, logOf, logSlope, minimizeWithRestarts } from './minimize';

export interface GammaGammaParams {
  p: number;
  q: number;
  v: number;
}

/** A repeat buyer's spend summary: x repeat purchases of mean value `mean` (> 0). */
export interface SpendSummary {
  x: number;
  mean: number;
}

/** The repeat buyers of a fit, with the sums that do not depend on the parameters. */
interface SpendData {
  x: Float64Array;
  mean: Float64Array;
  /** Distinct x values and how many customers have each. */
  xValues: number[];
  xCounts: number[];
  sumLogMean: number;
  sumXLogMean: number;
  sumXLogX: number;
}

function prepare(summaries: readonly SpendSummary[]): SpendData {
  const counts = new Map<number, number>();
  let sumLogMean = 0;
  let sumXLogMean = 0;
  let sumXLogX = 0;
  for (const { x, mean } of summaries) {
    if (!(Number.isInteger(x) && x > 0 && mean > 0 && Number.isFinite(mean))) {
      throw new RangeError(`a spend summary needs x > 0 repeat purchases of a positive mean value: ${JSON.stringify({ x, mean })}`);
    }
    counts.set(x, (counts.get(x) ?? 0) + 1);
    sumLogMean += Math.log(mean);
    sumXLogMean += x * Math.log(mean);
    sumXLogX += x * Math.log(x);
  }
  return {
    x: Float64Array.from(summaries, (s) => s.x),
    mean: Float64Array.from(summaries, (s) => s.mean),
    xValues: [...counts.keys()],
    xCounts: [...counts.values()],
    sumLogMean,
    sumXLogMean,
    sumXLogX,
  };
}

// The log-likelihood, and with `gradient` its derivatives in (p, q, v):
//   ∂p = Σ x [ψ(px + q) − ψ(px)] + Σ x ln m + Σ x ln x − Σ x ln(v + x m)
//   ∂q = Σ ψ(px + q) − n ψ(q) + n ln v − Σ ln(v + x m)
//   ∂v = n q / v − Σ (px + q)/(v + x m)
function logLikelihood({ p, q, v }: GammaGammaParams, d: SpendData, gradient?: number[]): number {
  if (!(p > 0 && q > 0 && v > 0)) return NaN;
  const n = d.x.length;
  let ll = n * (q * Math.log(v) - lnGamma(q)) + p * d.sumXLogMean - d.sumLogMean + p * d.sumXLogX;
  let dp = d.sumXLogMean + d.sumXLogX;
  let dq = n * (Math.log(v) - (gradient ? digamma(q) : 0));
  let dv = (n * q) / v;
  for (let k = 0; k < d.xValues.length; k++) {
    const x = d.xValues[k];
    const px = p * x;
    ll += d.xCounts[k] * (lnGamma(px + q) - lnGamma(px));
    if (gradient) {
      const psi = digamma(px + q);
      dp += d.xCounts[k] * x * (psi - digamma(px));
      dq += d.xCounts[k] * psi;
    }
  }
  for (let i = 0; i < n; i++) {
    const x = d.x[i];
    const total = v + x * d.mean[i];
    const log = Math.log(total);
    ll -= (p * x + q) * log;
    if (gradient) {
      dp -= x * log;
      dq -= log;
      dv -= (p * x + q) / total;
    }
  }
  if (gradient) {
    gradient[0] = dp;
    gradient[1] = dq;
    gradient[2] = dv;
  }
  return ll;
}

/** The Gamma-Gamma log-likelihood of repeat buyers' spend summaries, with `gradient` its derivatives in (p, q, v). */
export function gammaGammaLogLikelihood(params: GammaGammaParams, summaries: readonly SpendSummary[], gradient?: number[]): number {
  return logLikelihood(params, prepare(summaries), gradient);
}

export interface GammaGammaFit {
  params: GammaGammaParams;
  logLikelihood: number;
  converged: boolean;
}

/** The maximum-likelihood Gamma-Gamma parameters (BFGS over bounded log parameters with its gradient, with restarts). */
export function fitGammaGamma(summaries: readonly SpendSummary[]): GammaGammaFit {
  const data = prepare(summaries);
  const paramsAt = (phi: readonly number[]): GammaGammaParams => ({ p: Math.exp(logOf(phi[0])), q: Math.exp(logOf(phi[1])), v: Math.exp(logOf(phi[2])) });
  const gradient = [0, 0, 0];
  const objective = {
    value: (phi: readonly number[]) => -logLikelihood(paramsAt(phi), data),
    gradient(phi: readonly number[], out: number[]) {
      const params = paramsAt(phi);
      const ll = logLikelihood(params, data, gradient);
      // d/dφ = x · d(ln x)/dφ · d/dx; minimising −ln L
      out[0] = -gradient[0] * params.p * logSlope(phi[0]);
      out[1] = -gradient[1] * params.q * logSlope(phi[1]);
      out[2] = -gradient[2] * params.v * logSlope(phi[2]);
      return -ll;
    },
  };
  let total = 0;
  for (const m of data.mean) total += m;
  const typical = Math.log(total / Math.max(1, data.mean.length));
  const m = minimizeWithRestarts(
    objective,
    [
      [0, 0, 0],
      [Math.log(2), Math.log(3), typical],
    ].map((logs) => logs.map(coordinateOf)),
  );
  return { params: paramsAt(m.x), logLikelihood: -m.value, converged: m.converged };
}

/** E[M | x, m]: the expected value of a purchase by a customer with x repeat purchases of mean m (x = 0: the population's mean). */
export function conditionalExpectedSpend({ p, q, v }: GammaGammaParams, x: number, mean: number): number {
  return (p * (v + x * mean)) / (p * x + q - 1);
}
