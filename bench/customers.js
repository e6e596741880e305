// Segments and predictions for 100,000 customers over 5M events (issue 15, target 5 s): the
// customers export's engine call, `analytics.customers({ asOf })` (statistics, RFM with previous
// segment and since when, BG/NBD and Gamma-Gamma fitted on every order and a prediction per
// customer), on an engine that is warm (built from the facts of bench/lib/customer-facts.js, its
// sessions and profiles cached by a first call). Then its parts alone, and the CSV text of the
// rows. Wall time and the process's CPU time per run; medians.
//
//   npm run build && node --max-old-space-size=4096 bench/customers.js [--quick] [--events 5M] [--buyers 100000]
'use strict';
const path = require('node:path');
const { machine } = require('./lib/machine');
const { num, mark, table, printSection } = require('./lib/format');
const { median } = require('./lib/stats');
const { parseSize } = require('./lib/scale');
const { customerShop, AS_OF } = require('./lib/customer-facts');

const DIST = path.join(__dirname, '../packages/collector/dist');
const TARGET_MS = 5000;

function timed(fn) {
  const cpu = process.cpuUsage();
  const t = process.hrtime.bigint();
  const result = fn();
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  const used = process.cpuUsage(cpu);
  return { ms, cpuMs: (used.user + used.system) / 1000, result };
}

async function customersBench({ quick = false, log = console.error, events = 5_000_000, buyers = 100_000 } = {}) {
  const engine = require(path.join(DIST, 'analytics'));
  const prediction = require(path.join(DIST, 'analytics/prediction'));
  const { customersCsv } = require(path.join(DIST, 'customer-exports'));
  const analytics = engine.createAnalytics();
  const shop = customerShop({ buyers, total: events });
  const build = timed(() => shop.run((fact) => analytics.append(fact)));
  analytics.setIdentity(shop.graph());
  const shape = build.result;
  log(`bench/customers: ${num(shape.events)} events, ${num(shape.orders)} orders built in ${(build.ms / 1000).toFixed(0)} s`);

  // Warm: the first call builds the sessions and profiles (cached until new facts arrive).
  const first = timed(() => analytics.customers({ asOf: AS_OF }));
  const rows = first.result.rows;
  const ordered = first.result.rfm.customers;
  const predicted = rows.filter((r) => r.pAlive !== null).length;
  log(`bench/customers: first call ${num(first.ms)} ms: ${num(rows.length)} rows, ${num(ordered)} customers who ordered, ${num(predicted)} predictions`);

  const runs = quick ? 3 : 7;
  const samples = { whole: [], orders: [], stats: [], rfm: [], predict: [], csv: [] };
  const scope = analytics.scope();
  for (let i = 0; i < runs; i++) {
    samples.whole.push(timed(() => analytics.customers({ asOf: AS_OF })));
    const orders = timed(() => engine.ordersOf(scope.view, scope.profiles(), { asOf: AS_OF }));
    samples.orders.push(orders);
    samples.stats.push(
      timed(() => engine.customerStatistics({ view: scope.view, profiles: scope.profiles(), sessions: scope.sessions(), orders: orders.result, carts: analytics.abandonedCarts({ asOf: AS_OF + 1 }) })),
    );
    samples.rfm.push(timed(() => engine.rfmSegments(orders.result)));
    samples.predict.push(timed(() => prediction.predictCustomers(orders.result, AS_OF)));
    samples.csv.push(timed(() => {
      let n = 0;
      for (const piece of customersCsv(rows)) n += piece.length;
      return n;
    }));
    log(`bench/customers: run ${i + 1}: ${num(samples.whole[i].ms)} ms`);
  }
  const row = (name, xs, target) => {
    const ms = xs.map((x) => x.ms);
    return [name, num(median(ms)), `${num(Math.min(...ms))}–${num(Math.max(...ms))}`, num(median(xs.map((x) => x.cpuMs))), target ? `≤ ${num(target)} ms ${mark(median(ms) <= target)}` : ''];
  };
  const whole = median(samples.whole.map((x) => x.ms));
  const m = machine();
  const markdown = [
    `${num(shape.events)} events (engine facts, bench/lib/customer-facts.js), ${num(ordered)} customers who ordered ` +
      `(${num(shape.orders)} orders in EUR, USD and GBP), ${num(rows.length)} rows with identified customers who did not, ` +
      `${num(predicted)} predictions. Warm engine (the first call, ${num(first.ms)} ms, built sessions and profiles). ` +
      `${runs} runs; ${m.cpu}, ${m.cores} cores, load average ${m.load} at the end.`,
    '',
    table(
      ['What', 'Median ms', 'Range', 'CPU ms (median)', 'Target'],
      [
        row('customers({ asOf }): all of it', samples.whole, TARGET_MS),
        row('orders up to asOf (orders.ts)', samples.orders),
        row('statistics, carts included (customer-stats.ts)', samples.stats),
        row('RFM with previous segment and since (rfm-history.ts)', samples.rfm),
        row('BG/NBD + Gamma-Gamma fit and predictions', samples.predict),
        row('the rows as CSV text', samples.csv),
      ],
    ),
  ].join('\n');
  return {
    markdown,
    targets: [{ name: `customers: segments and predictions, ${num(ordered)} customers, ${num(shape.events)} events ≤ 5 s`, ok: whole <= TARGET_MS }],
    data: { shape, ordered, rows: rows.length, predicted, samples: Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, xs.map((x) => ({ ms: x.ms, cpuMs: x.cpuMs }))])) },
  };
}

module.exports = customersBench;

if (require.main === module) {
  const argv = process.argv.slice(2);
  const get = (name) => {
    const i = argv.indexOf(name);
    return i === -1 ? undefined : argv[i + 1];
  };
  printSection(
    customersBench({
      quick: argv.includes('--quick'),
      ...(get('--events') && { events: parseSize(get('--events')) }),
      ...(get('--buyers') && { buyers: Number(get('--buyers')) }),
    }),
  );
}
