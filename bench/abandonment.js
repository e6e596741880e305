// The abandonment job's CPU per minute of traffic: the Cart Abandoned work of its four 15-second
// ticks, on an engine over 1M events (bench/lib/customer-facts.js) while new events arrive (some
// shoppers adding to carts at the moment, a few late events from hours before). Before: one tick
// a minute replayed every cart, the three others the carts abandoned since 5 minutes before the
// previous tick. After: every tick replays those, plus every cart of the customers with events
// appended since the previous tick (late events, identifies), and, when the identity graph changed,
// of the customers whose rows it moved (a pass over every row comparing profiles). The engine call
// of the job (Analytics.abandonedCarts) is timed; resolving the profiles after new rows (which
// every reader of the engine pays once per refresh) is timed apart. CPU time, one process,
// `--single-threaded-gc` (see bench/customers.js for why): medians over the minutes.
//
//   npm run build && node bench/abandonment.js [--events 1M] [--buyers 20000] [--minutes 5] [--per-tick 200]
'use strict';
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { machine } = require('./lib/machine');
const { num, table, printSection } = require('./lib/format');
const { median } = require('./lib/stats');
const { flag, parseSize } = require('./lib/scale');
const { customerShop, AS_OF } = require('./lib/customer-facts');

const DIST = path.join(__dirname, '../packages/collector/dist');
const TICK = 15_000;
const MARGIN = 5 * 60_000;

function cpu(fn) {
  const start = process.cpuUsage();
  const result = fn();
  const used = process.cpuUsage(start);
  return { ms: (used.user + used.system) / 1000, result };
}

// In the child: one engine per mode, the same traffic into each.
function measure({ events, buyers, minutes, perTick, graphChanges, log }) {
  const engine = require(path.join(DIST, 'analytics'));
  const modes = ['before', 'after'];
  const shops = {};
  for (const mode of modes) {
    const analytics = engine.createAnalytics();
    const shop = customerShop({ buyers, total: events });
    const shape = shop.run((fact) => analytics.append(fact));
    const graph = shop.graph();
    analytics.setIdentity(graph);
    shops[mode] = { analytics, shape, links: [...graph.links], seq: shape.events, samples: [], resolve: [], carts: 0 };
  }
  const shape = shops.before.shape;
  log(`bench/abandonment: ${num(shape.events)} events, ${num(shape.orders)} orders; ${minutes} minutes of ticks, ${perTick} new events per tick`);
  for (const mode of modes) {
    const s = shops[mode];
    const a = s.analytics;
    // The first run on an engine replays every cart (both modes): not timed.
    let asOf = AS_OF;
    a.abandonedCarts({ asOf });
    let mark = { rows: a.table.length, profiles: a.profiles() };
    let lastAsOf = asOf;
    let rnd = 1;
    const next = () => ((rnd = (rnd * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let m = 0; m < minutes; m++) {
      let minute = 0;
      let resolve = 0;
      for (let t = 0; t < 4; t++) {
        asOf += TICK;
        // The tick's traffic: carts filled now, one in twenty events from up to 3 hours before.
        for (let k = 0; k < perTick; k++) {
          const late = next() < 0.05;
          const ts = late ? asOf - Math.floor(next() * 3 * 3600_000) : asOf - Math.floor(next() * TICK);
          const who = `bench-visitor-${Math.floor(next() * perTick * 20)}`;
          a.append({ seq: ++s.seq, type: 'track', name: 'Product Added', ts, anonymousId: who, productId: 'p-10001', cart: { productId: 'p-10001', price: 9.9, quantity: 1, currency: 'EUR' } });
        }
        if (graphChanges) {
          // A login this tick: a new link, so a new graph.
          s.links.push({ anonymousId: `bench-visitor-${s.seq % (perTick * 20)}`, userId: `bench-customer-${s.seq}`, firstSeen: new Date(asOf - 1000).toISOString() });
          a.setIdentity({ links: [...s.links], aliases: [] });
        }
        resolve += cpu(() => a.profiles()).ms;
        const full = mode === 'before' && t === 0;
        const options = full ? { asOf } : mode === 'before' ? { asOf, from: lastAsOf - MARGIN } : { asOf, from: lastAsOf - MARGIN, since: mark };
        const run = cpu(() => a.abandonedCarts(options));
        minute += run.ms;
        s.carts += run.result.length;
        lastAsOf = asOf;
        mark = { rows: a.table.length, profiles: a.profiles() };
      }
      s.samples.push(minute);
      s.resolve.push(resolve);
    }
  }
  return Object.fromEntries(modes.map((m) => [m, { cpu: shops[m].samples, resolve: shops[m].resolve, carts: shops[m].carts }]).concat([['shape', shape]]));
}

function child(args) {
  const out = execFileSync(process.execPath, ['--single-threaded-gc', '--max-old-space-size=6144', __filename, '--child', JSON.stringify(args)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
  return JSON.parse(out.trim().split('\n').pop());
}

async function abandonmentBench({ events = 1_000_000, buyers = 20_000, minutes = 5, perTick = 200, log = console.error } = {}) {
  const plain = child({ events, buyers, minutes, perTick, graphChanges: false });
  log('bench/abandonment: again with a new identity link every tick');
  const logins = child({ events, buyers, minutes, perTick, graphChanges: true });
  const m = machine();
  const f = (xs) => `${num(median(xs), 0)} ms`;
  const shape = plain.shape;
  const markdown = [
    `Machine: ${m.cpu}, ${m.cores} cores, Node ${m.node}, load ${m.load}. ${num(shape.events)} events (${num(shape.orders)} orders), ` +
      `${perTick} new events per 15-second tick (5% of them up to 3 h late); CPU time of the job's engine call per minute (4 ticks), median of ${minutes} minutes.`,
    '',
    table(
      ['Traffic', 'Before: 1 full + 3 recent replays', 'After: 4 narrowed replays', 'Profiles resolved after new rows (both, per minute)'],
      [
        ['identity graph unchanged', f(plain.before.cpu), f(plain.after.cpu), f(plain.after.resolve)],
        ['a new identity link every tick', f(logins.before.cpu), f(logins.after.cpu), f(logins.after.resolve)],
      ],
    ),
    '',
    `Carts found (before / after, every tick summed; the job records only those new to it): ${num(plain.before.carts)} / ${num(plain.after.carts)}.`,
  ].join('\n');
  return { markdown, targets: [], data: { plain, logins } };
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') {
    const args = JSON.parse(argv[1]);
    process.stdout.write(JSON.stringify(measure({ ...args, log: (s) => process.stderr.write(s + '\n') })) + '\n');
  } else {
    const opt = (name) => flag(argv, name);
    printSection(
      abandonmentBench({
        events: opt('--events') ? parseSize(opt('--events')) : undefined,
        buyers: opt('--buyers') ? Number(opt('--buyers')) : undefined,
        minutes: opt('--minutes') ? Number(opt('--minutes')) : undefined,
        perTick: opt('--per-tick') ? Number(opt('--per-tick')) : undefined,
      }),
    );
  }
}

module.exports = abandonmentBench;
