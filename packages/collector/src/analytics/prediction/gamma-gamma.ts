// The Gamma-Gamma model of spend (Fader, Hardie & Lee 2005, "RFM and CLV"; Hardie's note 025):
// the value of each of a customer's purchases is Gamma(p, ν) around their own mean, and ν varies
// over customers as Gamma(q, γ). It is fitted on the repeat buyers (x > 0) from x and the mean
// value m of their repeat purchases:
//   ln L = ln Γ(px + q) − ln Γ(px) − ln Γ(q) + q ln γ + (px − 1) ln m + px ln x − (px + q) ln(γ + x m),
// and gives each customer's expected spend per purchase, a weighted mean of the population's
// (pγ/(q − 1)) and their own:
//   E[M | x, m] = p (γ + x m) / (px + q − 1).
// γ is called v here, as in the answer of the purchase-model route.
import { lnGamma } from './log-gamma';
import { minimizeWithRestarts } from './minimize';

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

function logLikelihood({ p, q, v }: GammaGammaParams, d: SpendData): number {
  if (!(p > 0 && q > 0 && v > 0)) return NaN;
  const n = d.x.length;
  let ll = n * (q * Math.log(v) - lnGamma(q)) + p * d.sumXLogMean - d.sumLogMean + p * d.sumXLogX;
  for (let k = 0; k < d.xValues.length; k++) {
    const px = p * d.xValues[k];
    ll += d.xCounts[k] * (lnGamma(px + q) - lnGamma(px));
  }
  for (let i = 0; i < n; i++) ll -= (p * d.x[i] + q) * Math.log(v + d.x[i] * d.mean[i]);
  return ll;
}

/** The Gamma-Gamma log-likelihood of repeat buyers' spend summaries. */
export function gammaGammaLogLikelihood(params: GammaGammaParams, summaries: readonly SpendSummary[]): number {
  return logLikelihood(params, prepare(summaries));
}

export interface GammaGammaFit {
  params: GammaGammaParams;
  logLikelihood: number;
  converged: boolean;
}

/** The maximum-likelihood Gamma-Gamma parameters (over log parameters, BFGS with restarts). */
export function fitGammaGamma(summaries: readonly SpendSummary[]): GammaGammaFit {
  const data = prepare(summaries);
  const fromLog = (theta: readonly number[]): GammaGammaParams => ({ p: Math.exp(theta[0]), q: Math.exp(theta[1]), v: Math.exp(theta[2]) });
  const objective = { value: (theta: readonly number[]) => -logLikelihood(fromLog(theta), data) };
  let total = 0;
  for (const m of data.mean) total += m;
  const typical = Math.log(total / Math.max(1, data.mean.length));
  const m = minimizeWithRestarts(objective, [
    [0, 0, 0],
    [Math.log(2), Math.log(3), typical],
  ]);
  return { params: fromLog(m.x), logLikelihood: -m.value, converged: m.converged };
}

/** E[M | x, m]: the expected value of a purchase by a customer with x repeat purchases of mean m (x = 0: the population's mean). */
export function conditionalExpectedSpend({ p, q, v }: GammaGammaParams, x: number, mean: number): number {
  return (p * (v + x * mean)) / (p * x + q - 1);
}
