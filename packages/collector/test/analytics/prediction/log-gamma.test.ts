// ln Γ and ψ against closed forms (factorials, Γ(1/2) = √π, ψ(1) = −γ) and against values
// computed independently in 30-digit arithmetic, on both sides of the recurrence's threshold (10).
import { digamma, lnBeta, lnGamma, lnGammaSigned, sinPi } from '../../../src/analytics/prediction/log-gamma';

const EULER_GAMMA = 0.5772156649015329;

/** |actual − expected| within `rel` of |expected| (or of 1, near 0). */
function near(actual: number, expected: number, rel = 1e-14): void {
  const tolerance = rel * Math.max(1, Math.abs(expected));
  if (!(Math.abs(actual - expected) <= tolerance)) throw new Error(`${actual} is not within ${tolerance} of ${expected}`);
}

describe('lnGamma', () => {
  it('is ln((n − 1)!) at the integers, summed here as logs', () => {
    let logFactorial = 0;
    for (let n = 1; n <= 200; n++) {
      near(lnGamma(n), logFactorial);
      logFactorial += Math.log(n);
    }
  });

  it('gives Γ(n + 1/2) = (2n)! √π / (4ⁿ n!)', () => {
    for (let n = 0; n <= 30; n++) {
      let log = 0.5 * Math.log(Math.PI) - n * Math.log(4);
      for (let k = n + 1; k <= 2 * n; k++) log += Math.log(k);
      near(lnGamma(n + 0.5), log);
    }
  });

  it.each([
    [1e-8, 18.420680738180208884],
    [0.001, 6.9071788853838536617],
    [0.1, 2.252712651734205902],
    [1.5, -0.12078223763524522235],
    [2.5, 0.28468287047291915963],
    [3.7, 1.4280723266653881292],
    [9.99, 12.77931521435019336],
    [10, 12.801827480081469611],
    [10.01, 12.824350262448247282],
    [25.5, 56.389167643719946744],
    [100.25, 360.28455963776423497],
    [1e5, 1051287.7089736568949],
    [1e10, 220258509288.81058147],
  ])('lnΓ(%p) = %p', (x, expected) => near(lnGamma(x), expected));

  it('is +Infinity at 0 and NaN for negative arguments', () => {
    expect(lnGamma(0)).toBe(Infinity);
    expect(lnGamma(-1.5)).toBeNaN();
  });
});

describe('lnGammaSigned', () => {
  it.each([
    [-0.5, 1.2655121234846453965, -1],
    [-1.5, 0.86004701537648101451, 1],
    [-2.5, -0.056243716497674050673, -1],
    [-10.3, -14.457515440024208334, -1],
  ])('Γ(%p): ln|Γ| = %p, sign %p', (x, log, sign) => {
    const v = lnGammaSigned(x);
    near(v.log, log, 1e-13);
    expect(v.sign).toBe(sign);
  });

  it('marks the poles with sign 0', () => {
    for (const x of [0, -1, -7]) expect(lnGammaSigned(x)).toEqual({ log: Infinity, sign: 0 });
  });
});

describe('sinPi and lnBeta', () => {
  it('sin(πx) is exactly 0 at the integers and ±1 at the half-integers', () => {
    expect([sinPi(3), sinPi(-4), sinPi(0.5), sinPi(-0.5), sinPi(2.5), sinPi(1e6 + 1.5)]).toEqual([0, 0, 1, -1, 1, -1]);
  });

  it('B(a, b) = (a − 1)!(b − 1)!/(a + b − 1)! and B(1/2, 1/2) = π', () => {
    near(lnBeta(3, 4), Math.log((2 * 6) / 720));
    near(lnBeta(0.5, 0.5), Math.log(Math.PI));
  });
});

describe('digamma', () => {
  it('ψ(1) = −γ and ψ(n + 1) = ψ(n) + 1/n', () => {
    near(digamma(1), -EULER_GAMMA);
    let value = -EULER_GAMMA;
    for (let n = 1; n < 100; n++) {
      value += 1 / n;
      near(digamma(n + 1), value);
    }
  });

  it.each([
    [1e-8, -100000000.57721564636],
    [0.001, -1000.5755719318102797],
    [0.5, -1.9635100260214234794],
    [1.5, 0.036489973978576520559],
    [9.99, 2.250700372831201122],
    [25.5, 3.2189424728839197665],
    [1e10, 23.02585092989045684],
  ])('ψ(%p) = %p', (x, expected) => near(digamma(x), expected, 1e-13));

  it('is the derivative of lnGamma', () => {
    for (const x of [0.3, 2.2, 14.5, 80]) {
      const h = 1e-5 * x;
      near(digamma(x), (lnGamma(x + h) - lnGamma(x - h)) / (2 * h), 1e-7);
    }
  });
});
