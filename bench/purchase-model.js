// The purchase model's speed (issue 15, point 3): the CDNOW fit (target ≤ 2 s), and the fit plus
// the predictions of 100,000 customers, which is what the customers export pays for its
// prediction columns (predictCustomers; the export's whole budget of 5 s is measured with it by
// the customers export's own bench).
//
//   npm run build && node bench/purchase-model.js     # both parts (~1 min)
//   node bench/purchase-model.js --quick              # fewer runs
//
// Each part runs in child processes of its own (the first run of a process is cold: the code is
// not compiled yet, the engine's profiles are not resolved). Building the engine from the orders
// is not timed; the timed work starts from the engine's orders, as the route and the export do.
//  - CDNOW: the route's computation, GET /v1/insights/purchase-model?calibrationEnd=1997-09-30
//    &holdoutEnd=1998-06-30 without HTTP: orders from the engine, summaries, the BG/NBD and
//    Gamma-Gamma fits, the holdout check; and the BG/NBD fit alone.
//  - 100,000 customers drawn from the models (bench/lib/purchases.js: 540 days, two currencies):
//    predictCustomers(orders, asOf), split into its parts.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');
const { machine } = require('./lib/machine');
const { num, mark, table, printSection } = require('./lib/format');
const { median } = require('./lib/stats');
const { syntheticCustomers } = require('./lib/purchases');

const DIST = path.join(__dirname, '../packages/collector/dist');
const CDNOW = path.join(__dirname, '../packages/collector/test/data/cdnow/cdnowElog.csv');
const DAY = 86_400_000;

const ms = (start) => Number(process.hrtime.bigint() - start) / 1e6;
const cpuMs = (start) => {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1000;
};

function load() {
  try {
    return {
      analytics: require(path.join(DIST, 'analytics')),
      prediction: require(path.join(DIST, 'analytics/prediction')),
      insights: require(path.join(DIST, 'insights')),
    };
  } catch (err) {
    if (err.code === 'MODULE_NOT_FOUND') {
      console.error('bench/purchase-model: build first (npm run build)');
      process.exit(2);
    }
    throw err;
  }
}

// --- Children ---

function cdnowChild(runs) {
  const { analytics: engine, prediction, insights } = load();
  const a = engine.createAnalytics();
  const lines = fs.readFileSync(CDNOW, 'utf8').trim().split('\n').slice(1);
  lines.forEach((line, i) => {
    const [, id, d, , sales] = line.split(',');
    const ts = Date.parse(`${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T12:00:00Z`);
    a.append({ seq: i + 1, type: 'track', name: 'Order Completed', ts, userId: `cdnow-${id}`, cart: { orderId: `o${i}`, revenue: Number(sales), currency: 'USD' } });
  });
  const params = {
    calibrationEndDay: prediction.dayOf(Date.parse('1997-09-30')),
    holdoutEndDay: prediction.dayOf(Date.parse('1998-06-30')),
    includeBots: false,
  };
  const route = [];
  const routeCpu = [];
  let answer;
  for (let r = 0; r < runs; r++) {
    const start = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    answer = insights.purchaseModel(a, params);
    route.push(ms(start));
    routeCpu.push(cpuMs(cpu));
  }
  const summaries = prediction.summarizePurchases(a.orders({ asOf: Date.parse('1997-09-30T23:59:59.999Z') }), { endDay: params.calibrationEndDay });
  const groups = prediction.groupCustomers(summaries);
  const fit = [];
  let evaluations = 0;
  for (let r = 0; r < runs; r++) {
    const start = process.hrtime.bigint();
    evaluations = prediction.fitBgNbd(groups).evaluations;
    fit.push(ms(start));
  }
  return { route, routeCpu, fit, evaluations, params: answer.params, logLikelihood: answer.logLikelihood, spend: answer.spend.params };
}

function customersChild(count, runs) {
  const { analytics: engine, prediction } = load();
  const a = engine.createAnalytics();
  const T0 = Date.UTC(2024, 0, 1);
  let seq = 0;
  for (const c of syntheticCustomers(count, { currencies: [['EUR', 0.7], ['USD', 0.3]] })) {
    for (const o of c.orders) {
      seq++;
      a.append({ seq, type: 'track', name: 'Order Completed', ts: T0 + o.day * DAY + 12 * 3_600_000, userId: c.id, cart: { orderId: `o${seq}`, revenue: o.amount, currency: o.currency } });
    }
  }
  const asOf = T0 + 400 * DAY - 1;
  const out = { orders: seq, total: [], totalCpu: [], ordersMs: [], summaries: [], fits: [], predictions: [] };
  for (let r = 0; r < runs; r++) {
    let start = process.hrtime.bigint();
    const orders = a.orders({ asOf });
    out.ordersMs.push(ms(start));
    start = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const { byProfile, fit } = prediction.predictCustomers(orders, asOf);
    out.total.push(ms(start));
    out.totalCpu.push(cpuMs(cpu));
    out.customers = byProfile.size;
    out.params = fit.bgNbd.params;
    // The same work in its parts: summaries, both fits (grouping included), then the rest.
    start = process.hrtime.bigint();
    const summaries = prediction.summarizePurchases(orders, { endDay: prediction.dayOf(asOf), asOf });
    out.summaries.push(ms(start));
    start = process.hrtime.bigint();
    const fitted = prediction.fitPurchaseModel(summaries);
    out.fits.push(ms(start));
    out.groups = fitted.groups.length;
    out.evaluations = fitted.fit.bgNbd.evaluations;
    out.predictions.push(out.total.at(-1) - out.summaries.at(-1) - out.fits.at(-1));
  }
  return out;
}

// --- Parent ---

function child(args) {
  const out = execFileSync(process.execPath, ['--max-old-space-size=4096', __filename, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 24,
  });
  return JSON.parse(out.trim().split('\n').pop());
}

const fmt = (x) => `${num(x, x < 10 ? 1 : 0)} ms`;
const short = (x) => num(x, x < 10 ? 1 : 0);
const spread = (xs) => `${fmt(median(xs))} (${short(Math.min(...xs))}–${short(Math.max(...xs))})`;

async function purchaseModelBench({ quick = false, log = console.error } = {}) {
  const processes = quick ? 2 : 3;
  const runs = quick ? 3 : 5;
  log(`bench/purchase-model: CDNOW, ${processes} processes × ${runs} runs...`);
  const cdnow = Array.from({ length: processes }, () => child(['--cdnow', String(runs)]));
  const cold = cdnow.map((c) => c.route[0]);
  const warm = cdnow.flatMap((c) => c.route.slice(1));
  const all = cdnow.flatMap((c) => c.route);
  const fitWarm = cdnow.flatMap((c) => c.fit.slice(1));
  const count = 100_000;
  log(`bench/purchase-model: ${num(count)} customers, ${processes} processes × ${runs} runs...`);
  const big = Array.from({ length: processes }, () => child(['--customers', String(count), String(runs)]));
  const bigAll = big.flatMap((b) => b.total);
  const bigCold = big.map((b) => b.total[0]);
  const part = (key) => spread(big.flatMap((b) => b[key].slice(1)));
  const m = machine();
  const { r, alpha, a, b } = cdnow[0].params;
  const markdown = [
    `Machine: ${m.cpu}, ${m.cores} cores, Node ${m.node}, load ${m.load}. ${processes} processes of ${runs} runs each; ` +
      'medians (range in brackets); a process\'s first run is cold.',
    '',
    table(
      ['Work', 'All runs', 'First run of a process', 'Later runs', 'CPU, all runs', 'Target'],
      [
        ['CDNOW: the purchase-model route (orders, summaries, both fits, holdout)', spread(all), spread(cold), spread(warm), fmt(median(cdnow.flatMap((c) => c.routeCpu))), `≤ 2 s ${mark(median(all) <= 2000)}`],
        [`CDNOW: the BG/NBD fit alone (${cdnow[0].evaluations} evaluations)`, spread(cdnow.flatMap((c) => c.fit)), spread(cdnow.map((c) => c.fit[0])), spread(fitWarm), '', ''],
        [`${num(count)} customers: predictCustomers`, spread(bigAll), spread(bigCold), spread(big.flatMap((b) => b.total.slice(1))), fmt(median(big.flatMap((b) => b.totalCpu))), ''],
      ],
    ),
    '',
    `CDNOW fit: r = ${r.toFixed(4)}, α = ${alpha.toFixed(4)}, a = ${a.toFixed(4)}, b = ${b.toFixed(4)}, LL = ${cdnow[0].logLikelihood.toFixed(3)}.`,
    '',
    `${num(count)} customers (${num(big[0].orders)} orders, ${num(big[0].groups)} distinct summaries, ${big[0].evaluations} evaluations of the BG/NBD likelihood), ` +
      `later runs by part: summaries ${part('summaries')}, both fits ${part('fits')}, predictions ${part('predictions')}; ` +
      `the engine's orders() before it (not in predictCustomers) ${part('ordersMs')}.`,
  ].join('\n');
  return {
    markdown,
    targets: [{ name: 'CDNOW purchase-model fit ≤ 2 s', ok: median(all) <= 2000 }],
    data: { cdnow, customers: big },
  };
}

function main() {
  const argv = process.argv.slice(2);
  if (argv[0] === '--cdnow') return process.stdout.write(JSON.stringify(cdnowChild(Number(argv[1]))) + '\n');
  if (argv[0] === '--customers') return process.stdout.write(JSON.stringify(customersChild(Number(argv[1]), Number(argv[2]))) + '\n');
  printSection(purchaseModelBench({ quick: argv.includes('--quick') }));
}

if (require.main === module) main();

module.exports = purchaseModelBench;
