// A likelihood whose maximum is at infinity: the 177 customers (x, tₓ, T in days) of a seeded shop
// whose customers each stop buying with about the same probability. There the BG/NBD's likelihood
// keeps growing as a and b go to ∞ at a fixed ratio (a beta distribution of drop-out collapsing
// onto one value). Unbounded, the fit followed that ridge for over 13,000 evaluations; with the
// parameters bounded (minimize.ts, BOUND) it stops near the limit, whose predictions it gives.
import { bgNbdLogLikelihood, conditionalExpectedPurchases, fitBgNbd, groupCustomers } from '../../../src/analytics/prediction';

const ROWS = [
  '0,0,109 2,18,41 3,23,118 1,8,47 2,19,87 2,18,99 3,35,98 0,0,69 0,0,55 0,0,137 1,1,48 3,65,114',
  '1,18,101 4,55,101 4,48,130 2,25,82 2,53,100 2,34,61 1,2,42 0,0,27 3,21,45 2,20,73 0,0,121 0,0,99',
  '0,0,70 0,0,66 0,0,129 1,27,80 3,28,104 0,0,102 0,0,44 2,18,99 0,0,115 1,6,42 0,0,116 7,26,88',
  '0,0,28 0,0,143 0,0,56 1,26,70 0,0,146 1,16,144 2,33,99 3,31,130 2,19,80 2,50,110 4,37,113',
  '2,28,115 0,0,113 1,21,94 2,40,143 1,19,53 4,29,51 3,22,95 2,10,45 5,60,96 2,13,100 3,25,84',
  '0,0,68 0,0,144 2,21,42 2,26,138 1,12,104 0,0,92 2,17,106 4,67,83 2,18,85 0,0,56 2,16,56 3,46,63',
  '2,24,140 0,0,108 4,43,106 2,11,63 2,11,98 0,0,145 1,23,53 1,21,138 2,16,146 1,1,75 2,28,69',
  '0,0,109 1,18,114 2,76,84 1,23,125 0,0,148 1,18,127 4,39,99 1,8,83 3,42,55 2,30,144 1,20,56',
  '0,0,91 3,18,53 0,0,107 0,0,115 0,0,62 0,0,127 1,13,123 3,48,124 5,52,64 0,0,64 0,0,50 3,39,74',
  '1,2,80 4,31,44 4,58,121 1,20,139 0,0,52 0,0,113 1,13,29 2,28,83 1,6,122 3,55,74 3,27,133',
  '2,34,133 5,33,53 0,0,65 2,55,71 2,36,86 0,0,90 1,12,137 2,31,83 1,14,107 0,0,60 2,29,129 0,0,94',
  '1,13,47 2,24,64 3,63,138 0,0,134 5,43,138 5,75,109 3,40,136 1,20,36 3,17,88 0,0,108 2,34,102',
  '2,12,49 1,19,128 4,50,132 1,6,102 2,26,76 2,37,47 0,0,76 2,23,44 0,0,89 1,21,128 2,7,125 4,36,64',
  '2,15,62 4,31,115 3,44,71 5,38,97 8,57,143 3,39,102 3,35,72 3,33,67 0,0,79 0,0,62 4,63,122 0,0,44',
  '2,38,44 0,0,51 1,14,58 3,32,101 2,16,72 3,24,91 3,21,111 1,17,50 3,14,143 0,0,133 0,0,103',
  '2,12,135 4,36,63 0,0,52 2,19,78',
].flatMap((line) => line.split(' ').map((cell) => cell.split(',').map(Number)));

const groups = groupCustomers({ x: ROWS.map((r) => r[0]), txDays: ROWS.map((r) => r[1]), TDays: ROWS.map((r) => r[2]) });

describe('a BG/NBD likelihood with its maximum at infinity', () => {
  const fit = fitBgNbd(groups);

  it('is fitted in a few hundred evaluations, at a point within the bound', () => {
    expect(groups.customers).toBe(177);
    expect(fit.evaluations).toBeLessThan(1000);
    for (const value of Object.values(fit.params)) expect(value).toBeLessThanOrEqual(Math.exp(15));
    expect(fit.params.a).toBeGreaterThan(1e5);
    expect(fit.params.a / (fit.params.a + fit.params.b)).toBeCloseTo(0.35, 2);
  });

  it('is as likely as further along the ridge, and predicts as the limit does', () => {
    const further = { ...fit.params, a: fit.params.a * 100, b: fit.params.b * 100 };
    expect(bgNbdLogLikelihood(further, groups) - fit.logLikelihood).toBeLessThan(1e-3);
    const [x, tx, T] = [3, 20 / 7, 100 / 7];
    const here = conditionalExpectedPurchases(fit.params, 52, x, tx, T);
    expect(Math.abs(conditionalExpectedPurchases(further, 52, x, tx, T) / here - 1)).toBeLessThan(1e-3);
  });
});
