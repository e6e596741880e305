// The optimiser on functions with known minima: a badly scaled quadratic, Rosenbrock's valley,
// with an analytic gradient and with central differences; restarts; undefined regions.
import { minimize, minimizeWithRestarts, type Objective } from '../../../src/analytics/prediction/minimize';

const rosenbrock: Objective = {
  value: ([x, y]) => (1 - x) ** 2 + 100 * (y - x * x) ** 2,
  gradient([x, y], out) {
    out[0] = -2 * (1 - x) - 400 * x * (y - x * x);
    out[1] = 200 * (y - x * x);
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2;
  },
};

describe('minimize (BFGS)', () => {
  it("follows Rosenbrock's valley to (1, 1) with the gradient", () => {
    const m = minimize(rosenbrock, [-1.2, 1]);
    expect(m.converged).toBe(true);
    expect(m.x[0]).toBeCloseTo(1, 6);
    expect(m.x[1]).toBeCloseTo(1, 6);
    expect(m.value).toBeLessThan(1e-12);
  });

  it('finds the minimum with central differences when there is no gradient', () => {
    const m = minimize({ value: rosenbrock.value }, [-1.2, 1]);
    expect(m.x[0]).toBeCloseTo(1, 5);
    expect(m.x[1]).toBeCloseTo(1, 5);
  });

  it('copes with scales a million apart', () => {
    const centre = [3, -2, 0.5, 7];
    const weights = [1e-3, 1, 1e3, 10];
    const f: Objective = { value: (x) => x.reduce((s, v, i) => s + weights[i] * (v - centre[i]) ** 2, 42) };
    const m = minimize(f, [0, 0, 0, 0]);
    m.x.forEach((v, i) => expect(v).toBeCloseTo(centre[i], 4));
    expect(m.value).toBeCloseTo(42, 8);
  });

  it('never steps into a region where the objective is undefined', () => {
    // −ln x − ln(2 − x) has its minimum at 1 and is NaN outside (0, 2); the first steps overshoot
    const f: Objective = { value: ([x]) => (x > 0 && x < 2 ? -Math.log(x) - Math.log(2 - x) : NaN) };
    const m = minimize(f, [1.9]);
    expect(m.x[0]).toBeCloseTo(1, 6);
  });

  it('refuses a start where the objective is not finite', () => {
    expect(() => minimize({ value: () => Infinity }, [0])).toThrow(/not finite at the start/);
  });
});

describe('minimizeWithRestarts', () => {
  // (x² − 1)² + 0.3x: two minima, the one near x = −1 the lower
  const twoMinima: Objective = { value: ([x]) => (x * x - 1) ** 2 + 0.3 * x };

  it('runs from the start with the lowest value', () => {
    const m = minimizeWithRestarts(twoMinima, [[0.9], [-0.9]]);
    expect(m.x[0]).toBeLessThan(-1);
    expect(m.converged).toBe(true);
  });

  it('tries the other starts when that run does not converge, keeping the best', () => {
    // one iteration is too few to converge anywhere: every start is run, the lowest end point kept
    const m = minimizeWithRestarts(twoMinima, [[-0.5], [1.5], [-1.2]], { maxIterations: 1 });
    expect(m.converged).toBe(false);
    const ends = [[-0.5], [1.5], [-1.2]].map((start) => minimize(twoMinima, start, { maxIterations: 1 }));
    expect(m.value).toBeLessThanOrEqual(Math.min(...ends.map((e) => e.value)));
  });

  it('skips starts where the objective is not finite, and fails without any', () => {
    const f: Objective = { value: ([x]) => (x > 0 ? (x - 3) ** 2 : NaN) };
    expect(minimizeWithRestarts(f, [[-1], [1]]).x[0]).toBeCloseTo(3, 6);
    expect(() => minimizeWithRestarts(f, [[-1]])).toThrow(/not finite at any start/);
  });
});
