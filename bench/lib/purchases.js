// Synthetic customers drawn from the purchase models themselves, with known parameters, for the
// purchase-model bench and the tests that check the fit recovers them: each customer has a
// purchase rate λ ~ Gamma(r, α) per week and drops out after each repeat purchase with
// probability p ~ Beta(a, b) (BG/NBD); each purchase is worth Gamma(pₛ, ν) with ν ~ Gamma(q, γ)
// per customer (Gamma-Gamma). Customers are born uniformly over `bornDays` days and observed up
// to day `days`; a purchase falls on the day its time (in weeks × 7) floors to, so two purchases
// of one day are possible, as in a real shop. Seeded: the same customers on every run.
'use strict';
const { random } = require('./scale');

/** A gamma variate with this shape and rate (Marsaglia and Tsang; shapes below 1 boosted). */
function gamma(rand, shape, rate) {
  if (shape < 1) return gamma(rand, shape + 1, rate) * rand() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x;
    let v;
    do {
      // a standard normal by Box-Muller
      x = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rand();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return (d * v) / rate;
  }
}

const beta = (rand, a, b) => {
  const x = gamma(rand, a, 1);
  return x / (x + gamma(rand, b, 1));
};

const DEFAULTS = {
  seed: 1,
  r: 0.5,
  alpha: 5,
  a: 0.8,
  b: 3,
  p: 6,
  q: 4,
  v: 15,
  bornDays: 180,
  days: 540,
  /** [currency, share]: each customer orders in one currency; shares of the rest get none. */
  currencies: [['EUR', 1]],
};

/**
 * `count` customers: { id, orders: [{ day, amount, currency }] } in time order. Options override
 * DEFAULTS (the models' parameters, days, currencies, seed).
 */
function* syntheticCustomers(count, options = {}) {
  const o = { ...DEFAULTS, ...options };
  const rand = random(o.seed);
  for (let i = 0; i < count; i++) {
    const lambda = gamma(rand, o.r, o.alpha);
    const dropout = beta(rand, o.a, o.b);
    const nu = gamma(rand, o.q, o.v);
    let pick = rand();
    let currency = null;
    for (const [code, share] of o.currencies) {
      if (pick < share) {
        currency = code;
        break;
      }
      pick -= share;
    }
    const born = Math.floor(rand() * o.bornDays);
    const value = () => Math.round(gamma(rand, o.p, nu) * 100) / 100;
    const orders = [{ day: born, amount: value(), currency }];
    let weeks = born / 7;
    for (;;) {
      weeks += -Math.log(1 - rand()) / lambda;
      const day = Math.floor(weeks * 7);
      if (!(day < o.days)) break;
      orders.push({ day, amount: value(), currency });
      if (rand() < dropout) break;
    }
    yield { id: `c-${o.seed}-${i}`, orders };
  }
}

module.exports = { syntheticCustomers, gamma, DEFAULTS };
