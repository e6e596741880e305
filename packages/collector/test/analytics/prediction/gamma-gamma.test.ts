// The Gamma-Gamma spend model's pieces: its likelihood's gradient, the expected spend as a
// weighted mean of the population's and the customer's own, and the summaries it refuses.
import { conditionalExpectedSpend, fitGammaGamma, gammaGammaLogLikelihood } from '../../../src/analytics/prediction';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { gamma } = require('../../../../../bench/lib/purchases') as { gamma(rand: () => number, shape: number, rate: number): number };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { random } = require('../../../../../bench/lib/scale') as { random(seed: number): () => number };

const SPEND = [
  { x: 1, mean: 12.5 },
  { x: 2, mean: 30 },
  { x: 5, mean: 18.2 },
  { x: 1, mean: 95 },
  { x: 3, mean: 7.75 },
  { x: 12, mean: 22 },
];

// 300 repeat buyers drawn from the model: ν ~ Gamma(q = 4, rate 15) per customer, each purchase
// ~ Gamma(p = 6, rate ν); x from 1 to 6.
const rand = random(5);
const DRAWN = Array.from({ length: 300 }, (_, i) => {
  const nu = gamma(rand, 4, 15);
  const x = 1 + (i % 6);
  let sum = 0;
  for (let k = 0; k < x; k++) sum += gamma(rand, 6, nu);
  return { x, mean: sum / x };
});

describe('Gamma-Gamma', () => {
  it('has the gradient of its log-likelihood (against central differences)', () => {
    for (const params of [{ p: 6.25, q: 3.74, v: 15.44 }, { p: 0.8, q: 1.3, v: 200 }]) {
      const gradient = [0, 0, 0];
      gammaGammaLogLikelihood(params, SPEND, gradient);
      (['p', 'q', 'v'] as const).forEach((key, i) => {
        const h = 1e-6 * params[key];
        const up = gammaGammaLogLikelihood({ ...params, [key]: params[key] + h }, SPEND);
        const down = gammaGammaLogLikelihood({ ...params, [key]: params[key] - h }, SPEND);
        expect(gradient[i]).toBeCloseTo((up - down) / (2 * h), 5);
      });
    }
  });

  it("expects a weighted mean of the population's mean spend pv/(q − 1) and the customer's own", () => {
    const params = { p: 6.25, q: 3.74, v: 15.44 };
    const population = (params.p * params.v) / (params.q - 1);
    expect(conditionalExpectedSpend(params, 0, 0)).toBeCloseTo(population, 12);
    const weight = (params.p * 4) / (params.p * 4 + params.q - 1);
    expect(conditionalExpectedSpend(params, 4, 50)).toBeCloseTo((1 - weight) * population + weight * 50, 12);
    // many purchases: the customer's own mean
    expect(conditionalExpectedSpend(params, 10_000, 50)).toBeCloseTo(50, 1);
  });

  it('fits at the maximum of its likelihood', () => {
    const fit = fitGammaGamma(DRAWN);
    expect(fit.converged).toBe(true);
    const at = gammaGammaLogLikelihood(fit.params, DRAWN);
    expect(at).toBeCloseTo(fit.logLikelihood, 9);
    for (const key of ['p', 'q', 'v'] as const) {
      for (const by of [0.99, 1.01]) expect(gammaGammaLogLikelihood({ ...fit.params, [key]: fit.params[key] * by }, DRAWN)).toBeLessThan(at);
    }
    // near the parameters the spends were drawn with (p 6, q 4, v 15: a mean spend of 30)
    expect(Math.abs((fit.params.p * fit.params.v) / (fit.params.q - 1) / 30 - 1)).toBeLessThan(0.1);
  });

  it('stays finite where the maximum is at infinity (six customers: one ν for all fits them best)', () => {
    // q and v grow without bound at a fixed ratio; the fit stops at the parameters' bound (e^15)
    const fit = fitGammaGamma(SPEND);
    for (const value of Object.values(fit.params)) expect(value).toBeLessThanOrEqual(Math.exp(15));
    expect(fit.params.q).toBeGreaterThan(1e4);
    const spend = conditionalExpectedSpend(fit.params, 2, 30);
    expect(Number.isFinite(spend) && spend > 0).toBe(true);
  });

  it('refuses a customer without repeat purchases or with a mean spend of 0', () => {
    expect(() => fitGammaGamma([...SPEND, { x: 0, mean: 10 }])).toThrow(/x > 0 repeat purchases of a positive mean value/);
    expect(() => fitGammaGamma([...SPEND, { x: 2, mean: 0 }])).toThrow(RangeError);
  });
});
