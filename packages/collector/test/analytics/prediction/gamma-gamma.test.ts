// The Gamma-Gamma spend model's pieces: its likelihood's gradient, the expected spend as a
// weighted mean of the population's and the customer's own, and the summaries it refuses.
import { conditionalExpectedSpend, fitGammaGamma, gammaGammaLogLikelihood } from '../../../src/analytics/prediction';

const SPEND = [
  { x: 1, mean: 12.5 },
  { x: 2, mean: 30 },
  { x: 5, mean: 18.2 },
  { x: 1, mean: 95 },
  { x: 3, mean: 7.75 },
  { x: 12, mean: 22 },
];

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
    const fit = fitGammaGamma(SPEND);
    expect(fit.converged).toBe(true);
    const at = gammaGammaLogLikelihood(fit.params, SPEND);
    expect(at).toBeCloseTo(fit.logLikelihood, 9);
    for (const key of ['p', 'q', 'v'] as const) {
      for (const by of [0.99, 1.01]) expect(gammaGammaLogLikelihood({ ...fit.params, [key]: fit.params[key] * by }, SPEND)).toBeLessThan(at);
    }
  });

  it('refuses a customer without repeat purchases or with a mean spend of 0', () => {
    expect(() => fitGammaGamma([...SPEND, { x: 0, mean: 10 }])).toThrow(/x > 0 repeat purchases of a positive mean value/);
    expect(() => fitGammaGamma([...SPEND, { x: 2, mean: 0 }])).toThrow(RangeError);
  });
});
