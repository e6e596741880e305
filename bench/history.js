// One customer's history, repeated (the dashboard's customer page, an agent looking up a caller):
// what the route asks of the analytics engine per request, `analytics.customer(id, ids, { asOf })`
// (the customer's statistics, RFM over everyone, the purchase model fitted on every order and
// the customer's prediction), 20 requests for 20 customers on an engine over 100,000 events
// (bench/lib/customer-facts.js) whose facts do not change between them, each at its own asOf of
// the same day as the route's default (now) makes them. Reading the customer's stored events
// from storage is the same before and after and is not timed. The first request warms the
// engine's sessions and profiles and is reported apart. Then one event arrives and the next
// request is timed again (the model is fitted afresh for the new state).
//
//   npm run build && node bench/history.js [--events 100k] [--buyers 2000] [--requests 20]
'use strict';
const path = require('node:path');
const { machine } = require('./lib/machine');
const { num, table, printSection } = require('./lib/format');
const { median } = require('./lib/stats');
const { flag, parseSize } = require('./lib/scale');
const { customerShop, AS_OF } = require('./lib/customer-facts');

const DIST = path.join(__dirname, '../packages/collector/dist');

function timed(fn) {
  const cpu = process.cpuUsage();
  const t = process.hrtime.bigint();
  const result = fn();
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  const used = process.cpuUsage(cpu);
  return { ms, cpuMs: (used.user + used.system) / 1000, result };
}

async function historyBench({ events = 100_000, buyers = 2000, requests = 20, log = console.error } = {}) {
  const engine = require(path.join(DIST, 'analytics'));
  const analytics = engine.createAnalytics();
  const shop = customerShop({ buyers, total: events });
  const shape = shop.run((fact) => analytics.append(fact));
  analytics.setIdentity(shop.graph());
  // Customers who ordered, spread over the table, as the route finds them (id and stitched ids).
  const table0 = analytics.customers({ asOf: AS_OF });
  const ordered = table0.rows.filter((r) => r.pAlive !== null && r.customerId.startsWith('cus_'));
  const step = Math.max(1, Math.floor(ordered.length / requests));
  const picked = Array.from({ length: requests }, (_, i) => ordered[(i * step) % ordered.length].customerId);
  log(`bench/history: ${num(shape.events)} events, ${num(shape.orders)} orders, ${num(ordered.length)} customers who ordered; ${requests} requests`);
  const ask = (id, i) => analytics.customer(id, { customerIds: [id], anonymousIds: [] }, { asOf: AS_OF - 60_000 + i });
  const first = timed(() => ask(picked[0], 0));
  const runs = picked.slice(1).map((id, i) => timed(() => ask(id, i + 1)));
  for (const r of runs) if (!r.result || r.result.row.pAlive === null) throw new Error('bench/history: a customer without a prediction');
  // One event arrives: the next request sees a new state of the engine.
  analytics.append({ seq: shape.events + 1, type: 'page', ts: AS_OF - 7_200_000, anonymousId: 'late-visitor', path: '/' });
  const afterEvent = timed(() => ask(picked[1], requests + 1));
  const again = timed(() => ask(picked[2], requests + 2));
  const ms = runs.map((r) => r.ms);
  const cpu = runs.map((r) => r.cpuMs);
  const m = machine();
  const f = (x) => `${num(x, x < 10 ? 1 : 0)} ms`;
  const markdown = [
    `Machine: ${m.cpu}, ${m.cores} cores, Node ${m.node}, load ${m.load}. ${num(shape.events)} events, ${num(shape.orders)} orders; ` +
      `${requests} requests for ${requests} customers, asOf a millisecond apart within one day.`,
    '',
    table(
      ['Request', 'Wall', 'CPU'],
      [
        ['the first (sessions and profiles built)', f(first.ms), f(first.cpuMs)],
        [`the other ${runs.length}: median (min–max)`, `${f(median(ms))} (${num(Math.min(...ms), 1)}–${num(Math.max(...ms), 1)})`, f(median(cpu))],
        ['the first after one new event', f(afterEvent.ms), f(afterEvent.cpuMs)],
        ['the next one', f(again.ms), f(again.cpuMs)],
      ],
    ),
  ].join('\n');
  return { markdown, targets: [], data: { first, ms, cpu, afterEvent: afterEvent.ms, again: again.ms } };
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const opt = (name) => flag(argv, name);
  printSection(
    historyBench({
      events: opt('--events') ? parseSize(opt('--events')) : undefined,
      buyers: opt('--buyers') ? Number(opt('--buyers')) : undefined,
      requests: opt('--requests') ? Number(opt('--requests')) : undefined,
    }),
  );
}

module.exports = historyBench;
