// The analytics engine's own memory and build time (issue 14, "analytics that fit"): builds the
// engine (`createAnalytics().appendEvent`) from a shop's stored events as the collector keeps them
// from the SDK (bench/lib/shop-events.js), at 1M and 5M events, then asks the first funnel, the
// first abandoned carts and the first products export. Per size, in a process of its own:
//
//  - bytes per event: V8 heap used + external memory (typed arrays), and RSS, each after a full
//    GC (`--expose-gc`), minus the same before the engine was made; after the build, after the
//    first queries (sessions and profiles cached, scratch buffers held), and after those;
//  - the time to append every event (generating them is not timed), and of each first query;
//    for the append also the process's CPU time (all threads, GC helpers included), which a
//    neighbour's load on a shared machine inflates far less than the wall time;
//  - a digest of the answers (several funnels, carts, products, customers), which must not change
//    when only the engine's memory or speed does.
//
// The part before the engine, reading from SQLite and parsing the stored JSON, is measured by
// bench/lib/catch-up.js on real files (built once into bench/out/).
// Then `spur serve` itself, restarted on a file of each size, to its first funnel answer
// (bench/first-funnel.js: before and after, `--no-restart` to leave it out).
//
//   npm run build && node bench/analytics-memory.js          # 1M and 5M, in memory and from SQLite
//   node bench/analytics-memory.js --sizes 1M --no-sqlite     # one size, the engine alone
//   node bench/analytics-memory.js --collector bench/out/before/collector-dist   # another build
'use strict';
const crypto = require('node:crypto');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { machine } = require('./lib/machine');
const { num, mark, table, printSection } = require('./lib/format');
const { median } = require('./lib/stats');
const { createShop, shopBatches } = require('./lib/shop-events');
const { catchUpBench } = require('./lib/catch-up');
const { firstFunnelBench } = require('./first-funnel');

const DIST = path.join(__dirname, '../packages/collector/dist');
const STEPS = ['Product Viewed', 'Product Added', 'Checkout Started', 'Order Completed'];
/** Issue 14: at most 100 bytes per event (RSS growth at 5M, after GC). */
const BYTES_TARGET = 100;

function args(argv) {
  const get = (name, fallback) => {
    const i = argv.indexOf(name);
    return i === -1 ? fallback : argv[i + 1];
  };
  const quick = argv.includes('--quick');
  const { parseSize } = require('./lib/scale');
  return {
    quick,
    child: get('--child'),
    sizes: get('--sizes', '1M,5M').split(',').map(parseSize),
    runs: Number(get('--runs', quick ? 1 : 2)),
    collector: path.resolve(get('--collector', DIST)),
    sqlite: !argv.includes('--no-sqlite'),
    restart: !argv.includes('--no-restart'),
    argv,
  };
}

const since = (t) => Number(process.hrtime.bigint() - t) / 1e6;

// After a full GC V8 gives pages back to the system over the next moments, not at once: collect
// again until the RSS stops falling (an idle collector's memory), for at most about 3 s.
async function memory() {
  let rss = Infinity;
  for (let i = 0; i < 15; i++) {
    global.gc();
    const now = process.memoryUsage().rss;
    if (rss - now < 2 ** 20 && i >= 2) break;
    rss = now;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, external: m.external };
}

const perEvent = (after, before, n) => ({
  js: (after.heap + after.external - before.heap - before.external) / n,
  heap: (after.heap - before.heap) / n,
  external: (after.external - before.external) / n,
  rss: (after.rss - before.rss) / n,
});

// --- One size, in a child process ---

async function runSize(size, o) {
  const engine = require(path.join(o.collector, 'analytics'));
  const baseline = await memory();
  let analytics = engine.createAnalytics();
  let shop = createShop({ total: size });
  let seq = 0;
  let appendMs = 0;
  let appendCpuMs = 0;
  for (const batch of shopBatches(size, { shop })) {
    const t = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    for (const event of batch) analytics.appendEvent(event, ++seq);
    appendMs += since(t);
    const used = process.cpuUsage(cpu);
    appendCpuMs += (used.user + used.system) / 1000;
  }
  const shape = { events: seq, visitors: shop.visitors, customers: shop.customers };
  const graph = shop.graph();
  shop = undefined;
  analytics.setIdentity(graph);
  shape.links = graph.links.length;
  const built = await memory();

  const asOf = Date.UTC(2026, 3, 15);
  const timed = (fn) => {
    const t = process.hrtime.bigint();
    const result = fn();
    return [since(t), result];
  };
  const digest = crypto.createHash('sha256');
  const add = (x) => digest.update(JSON.stringify(x));
  let [funnelMs, funnel] = timed(() => analytics.funnel({ steps: STEPS }));
  let [cartsMs, carts] = timed(() => analytics.abandonedCarts({ asOf }));
  let [productsMs, products] = timed(() => analytics.products({ asOf }));
  const [secondFunnelMs] = timed(() => analytics.funnel({ steps: STEPS }));
  // The answers are the caller's, not the engine's (the carts alone are about 30 B per event):
  // hashed and counted, then let go before the engine's memory is measured.
  add([funnel, carts, products]);
  const answers = { units: funnel.steps.map((s) => s.units), carts: carts.length, products: products.length };
  funnel = carts = products = undefined;
  const queried = await memory();
  if (engine.releaseScratch) engine.releaseScratch();
  const released = await memory();

  // Not timed: more answers for the digest, so that a change of the engine that changes an answer shows.
  add(analytics.funnel({ steps: ['page', 'Product Added', 'Order Completed'], by: 'channel' }));
  add(analytics.funnel({ steps: ['page:/products', 'Product Added', 'Checkout Started'], unit: 'visitor', window: '2d', by: 'device' }));
  add(analytics.funnel({ steps: STEPS, unit: 'customer', by: 'returning' }));
  add(analytics.customers({ asOf }).rows);
  add(analytics.segments({ asOf }));
  add(analytics.cartAbandonedEvents(asOf).map((e) => e.messageId));
  analytics = undefined;
  return {
    size,
    shape,
    appendMs,
    appendCpuMs,
    funnelMs,
    cartsMs,
    productsMs,
    secondFunnelMs,
    ...answers,
    built: perEvent(built, baseline, size),
    queried: perEvent(queried, baseline, size),
    released: perEvent(released, baseline, size),
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    digest: digest.digest('hex').slice(0, 16),
  };
}

// --- Parent: one child per size and run, then the tables ---

function inMemory(o, log) {
  const results = [];
  for (const size of o.sizes) {
    const runs = [];
    for (let r = 0; r < o.runs; r++) {
      log(`bench/analytics-memory: ${num(size)} events, run ${r + 1} of ${o.runs}...`);
      const out = execFileSync(
        process.execPath,
        ['--expose-gc', '--max-old-space-size=8192', __filename, '--child', String(size), '--collector', o.collector],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 },
      );
      runs.push(JSON.parse(out.trim().split('\n').pop()));
    }
    const pick = (f) => median(runs.map(f));
    const first = runs[0];
    const digests = [...new Set(runs.map((r) => r.digest))];
    results.push({
      ...first,
      runs: runs.length,
      appendMs: pick((r) => r.appendMs),
      appendCpuMs: pick((r) => r.appendCpuMs),
      funnelMs: pick((r) => r.funnelMs),
      cartsMs: pick((r) => r.cartsMs),
      productsMs: pick((r) => r.productsMs),
      secondFunnelMs: pick((r) => r.secondFunnelMs),
      appendRange: [Math.min(...runs.map((r) => r.appendMs)), Math.max(...runs.map((r) => r.appendMs))],
      digest: digests.join(' ≠ '),
    });
  }
  return results;
}

function render(results, o) {
  const b = (x) => `${num(x, 0)} B`;
  const ms = (x) => `${num(x, x < 10 ? 1 : 0)} ms`;
  const big = results.find((r) => r.size === 5e6) ?? results[results.length - 1];
  return [
    table(
      ['Events', 'Append all (range)', 'per event', 'CPU time of the append, per event', 'First funnel', 'First abandoned carts', 'First products', 'Funnel again'],
      results.map((r) => [
        num(r.size),
        `${ms(r.appendMs)} (${num(r.appendRange[0], 0)}–${num(r.appendRange[1], 0)})`,
        `${num((r.appendMs * 1000) / r.size, 2)} µs`,
        `${num((r.appendCpuMs * 1000) / r.size, 2)} µs`,
        ms(r.funnelMs),
        `${ms(r.cartsMs)}, ${num(r.carts)} carts`,
        `${ms(r.productsMs)}, ${num(r.products)} rows`,
        ms(r.secondFunnelMs),
      ]),
    ),
    '',
    table(
      ['Events', 'Bytes per event after the build: RSS / heap + external', 'after the first queries', 'scratch released', 'Peak RSS', `≤ ${BYTES_TARGET} B (RSS, queried, 5M)`],
      results.map((r) => [
        num(r.size),
        `${b(r.built.rss)} / ${b(r.built.js)} (heap ${b(r.built.heap)}, external ${b(r.built.external)})`,
        `${b(r.queried.rss)} / ${b(r.queried.js)}`,
        `${b(r.released.rss)} / ${b(r.released.js)}`,
        `${num(r.maxRssMiB)} MiB`,
        r === big ? mark(r.queried.rss <= BYTES_TARGET) : '–',
      ]),
    ),
    '',
    'Shop: ' +
      results.map((r) => `${num(r.size)}: ${num(r.shape.visitors)} visitors, ${num(r.shape.customers)} customers, ${num(r.shape.links)} links`).join('; ') +
      '. Sessions per funnel step: ' +
      results.map((r) => `${num(r.size)}: ${r.units.map((u) => num(u)).join(' → ')}`).join('; ') +
      `. Digest of the answers: ${results.map((r) => `${num(r.size)}: \`${r.digest}\``).join(', ')}. Engine: \`${path.relative(process.cwd(), o.collector) || '.'}\`, ${results[0]?.runs ?? 0} run(s) per size (medians).`,
  ].join('\n');
}

/** Section 10 of `npm run bench`: resolves to { markdown, targets, data }. */
async function analyticsMemoryBench({ quick = false, log = console.error, argv = [] } = {}) {
  const o = args(quick ? ['--quick', ...argv] : argv);
  const m = machine();
  const results = inMemory(o, log);
  const big = results.find((r) => r.size === 5e6);
  const targets = big ? [{ name: `analytics engine ≤ ${BYTES_TARGET} B per event (RSS after GC, 5M events, queried)`, ok: big.queried.rss <= BYTES_TARGET }] : [];
  const parts = [
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, load ${m.load}.`,
    '',
    '### The engine, fed stored events in memory',
    '',
    render(results, o),
  ];
  let stored;
  if (o.sqlite) {
    stored = await catchUpBench({ sizes: o.sizes, collector: o.collector, log });
    parts.push('', '### Catch-up from a SQLite file: reading, parsing, appending', '', stored.markdown);
  }
  let restarted;
  if (o.restart) {
    // `spur serve` restarted on each size's file (bench/first-funnel.js): the first funnel's time.
    const sizes = o.sizes.map((s) => (s % 1e6 === 0 ? `${s / 1e6}M` : String(s))).join(',');
    restarted = await firstFunnelBench({ quick: o.quick, log, argv: ['--sizes', sizes] });
    parts.push('', '### `spur serve` restarted on a SQLite file: the first funnel', '', restarted.markdown);
    targets.push(...restarted.targets);
  }
  return { markdown: parts.join('\n'), targets, data: { engine: results, stored: stored?.data, restarted: restarted?.data } };
}

module.exports = analyticsMemoryBench;

if (require.main === module) {
  const o = args(process.argv.slice(2));
  if (o.child) {
    if (!global.gc) throw new Error('bench/analytics-memory: the child needs --expose-gc');
    runSize(Number(o.child), o).then((r) => process.stdout.write(JSON.stringify(r) + '\n'));
  } else {
    printSection(analyticsMemoryBench({ argv: process.argv.slice(2) }));
  }
}
