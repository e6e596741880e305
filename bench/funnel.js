// Funnel speed (issue 5): builds the in-memory fact table from synthetic shop events and times
// a 4-step session funnel over it, at 100k, 1M and 5M events (10 events per session on average),
// so the growth is visible. A benchmark, not a test: nothing fails; the ✅/❌ says whether the
// 1M-event target (query under 1 s) was met.
//
//   npm run build && node bench/funnel.js            # all sizes (~2 min)
//   node bench/funnel.js --sizes 100k,1M --runs 3    # some sizes, fewer query runs
//
// Each size runs in its own process, so that its peak RSS is its own. Generating the events is
// not timed: only appending them to the table ("build"), building the session index, and the
// queries. Build runs 3 times per size; each query 7 times (5 with --quick); medians are shown.
'use strict';
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { machine } = require('./lib/machine');
const { num, mark, table } = require('./lib/format');
const { median } = require('./lib/stats');
const { random, sizedArgs } = require('./lib/scale');

const DIST = path.join(__dirname, '../packages/collector/dist/analytics');
const STEPS = ['Product Viewed', 'Product Added', 'Checkout Started', 'Order Completed'];

const args = (argv) => sizedArgs(argv, { sizes: '100k,1M,5M', quickSizes: '100k,1M,5M', runs: 7, quickRuns: 5 });

// --- Synthetic shop traffic ---


const AGENTS = [
  { device: 'desktop', browser: 'Chrome', os: 'Windows' },
  { device: 'mobile', browser: 'Safari', os: 'iOS' },
  { device: 'mobile', browser: 'Chrome', os: 'Android' },
  { device: 'desktop', browser: 'Safari', os: 'macOS' },
  { device: 'tablet', browser: 'Safari', os: 'iOS' },
  { device: 'desktop', browser: 'Firefox', os: 'Linux' },
];
const REFERRERS = [undefined, undefined, 'https://www.google.com/', 'https://www.bing.com/', 'https://l.facebook.com/', 'https://blog.example.org/'];
const CAMPAIGNS = [
  { source: 'newsletter', medium: 'email', campaign: 'weekly' },
  { source: 'google', medium: 'cpc', campaign: 'brand' },
  { source: 'criteo', medium: 'display', campaign: 'retarget' },
];
const HOST = 'https://shop.example';
// Small batches: the facts of a batch die young, so generating them does not bloat the old space
// that the engine's own data lives in (which would make V8 shrink it, with full GCs, during the
// timed queries).
const BATCH = 10000;

/**
 * Calls `sink(batch)` with arrays of facts (up to 10k) until `total` facts were made. Sessions
 * have 1..19 events (mean 10); each next event is mostly a page or product view, sometimes a cart
 * step, and an order only after a checkout, which gives a realistic funnel (~35% of sessions add,
 * a few percent order). 40% of visitors come back for another session.
 */
function generate(total, sink, seed = 42) {
  const rnd = random(seed);
  let seq = 0;
  let session = 0;
  let batch = [];
  const visitors = Math.max(1, Math.round((total / 10) * 0.6));
  let t = Date.UTC(2024, 0, 1);
  while (seq < total) {
    const visitor = `a${Math.floor(rnd() * visitors)}`;
    const agent = AGENTS[Math.floor(rnd() * AGENTS.length)];
    const sessionId = `s${session++}`;
    const length = Math.min(total - seq, 1 + Math.floor(rnd() * 19));
    const referrer = REFERRERS[Math.floor(rnd() * REFERRERS.length)];
    const campaign = rnd() < 0.1 ? CAMPAIGNS[Math.floor(rnd() * CAMPAIGNS.length)] : undefined;
    let ts = t;
    // Sessions overlap in time, as on a real shop: a new one starts every ~3 s.
    t += Math.floor(rnd() * 6000);
    let stage = 0; // 0 browsing, 1 cart, 2 checkout
    let previous = referrer;
    for (let i = 0; i < length; i++) {
      ts += 5000 + Math.floor(rnd() * 115000);
      const r = rnd();
      let name;
      let type = 'track';
      if (i === 0 || r < 0.4) type = 'page';
      else if (stage === 2 && r < 0.75) name = 'Order Completed';
      else if (stage >= 1 && r < 0.55) name = 'Checkout Started';
      else if (r < 0.8) name = 'Product Viewed';
      else if (r < 0.95) name = 'Product Added';
      else name = 'Product Removed';
      const product = `p${Math.floor(rnd() * 5000)}`;
      const pagePath = type === 'page' ? (rnd() < 0.3 ? '/' : `/c/${Math.floor(rnd() * 50)}`) : name === 'Checkout Started' ? '/checkout' : `/p/${product}`;
      const fact = {
        seq: ++seq,
        ts,
        type,
        anonymousId: visitor,
        sessionId,
        path: pagePath,
        url: HOST + pagePath,
        device: agent.device,
        browser: agent.browser,
        os: agent.os,
      };
      if (previous) fact.referrer = previous;
      previous = HOST + pagePath;
      if (i === 0 && campaign) Object.assign(fact, campaign);
      if (name) fact.name = name;
      if (name === 'Product Viewed' || name === 'Product Added' || name === 'Product Removed') fact.productId = product;
      if (name === 'Product Added' || name === 'Product Removed') {
        fact.cart = { productId: product, price: 5 + (Number(product.slice(1)) % 95), quantity: 1, currency: 'EUR' };
        if (name === 'Product Added') stage = Math.max(stage, 1);
      } else if (name === 'Checkout Started') stage = 2;
      else if (name === 'Order Completed') {
        fact.cart = { orderId: `o${seq}`, total: 50, revenue: 50, currency: 'EUR', products: [{ productId: product, price: 50, quantity: 1 }] };
        stage = 0;
      }
      batch.push(fact);
      if (batch.length === BATCH) {
        sink(batch);
        batch = [];
      }
    }
  }
  if (batch.length) sink(batch);
  return session;
}

// --- One size, in a child process ---

function ms(start) {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function runSize(size, o) {
  let engine;
  try {
    engine = require(DIST);
  } catch (err) {
    if (err.code === 'MODULE_NOT_FOUND') {
      console.error(`bench/funnel: ${DIST} is not built; run npm run build first`);
      process.exit(2);
    }
    throw err;
  }
  const builds = [];
  let factTable;
  let sessionsCount = 0;
  for (let b = 0; b < o.builds; b++) {
    factTable = undefined;
    if (global.gc) global.gc();
    const tableNow = new engine.FactTable();
    let spent = 0;
    sessionsCount = generate(size, (batch) => {
      const start = process.hrtime.bigint();
      for (const fact of batch) tableNow.append(fact);
      spent += ms(start);
    });
    builds.push(spent);
    factTable = tableNow;
  }
  const view = factTable.view();
  // The generator's garbage is not the engine's: collect it before timing queries.
  if (global.gc) global.gc();
  const indexRuns = [];
  let sessions;
  for (let r = 0; r < Math.max(3, Math.ceil(o.runs / 2)); r++) {
    const start = process.hrtime.bigint();
    sessions = engine.buildSessions(view);
    indexRuns.push(ms(start));
  }
  const time = (query) => {
    const runs = [];
    let result;
    for (let r = 0; r < o.runs; r++) {
      const start = process.hrtime.bigint();
      result = engine.runFunnel({ facts: view, sessions }, query);
      runs.push(ms(start));
    }
    return { median: median(runs), min: Math.min(...runs), max: Math.max(...runs), units: result.steps.map((s) => s.units) };
  };
  const funnel = time({ steps: STEPS });
  const byChannel = time({ steps: STEPS, by: 'channel' });
  const visitor = time({ steps: STEPS, unit: 'visitor', window: '7d' });
  return {
    size,
    sessions: sessionsCount,
    sessionIndexCount: sessions.count,
    build: median(builds),
    buildRange: [Math.min(...builds), Math.max(...builds)],
    index: median(indexRuns),
    funnel,
    byChannel,
    visitor,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
  };
}

// --- Parent: one child per size, then the table ---

/** Runs every size in a child process; resolves to { markdown, targets, data }. */
async function funnelBench({ quick = false, log = console.error, sizes } = {}) {
  const o = args(quick ? ['--quick'] : []);
  if (sizes) o.sizes = sizes;
  const results = [];
  for (const size of o.sizes) {
    log(`bench/funnel: ${num(size)} events...`);
    const out = execFileSync(
      process.execPath,
      ['--expose-gc', '--max-old-space-size=8192', __filename, '--child', String(size), '--runs', String(o.runs), '--builds', String(o.builds)],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 },
    );
    results.push(JSON.parse(out.trim().split('\n').pop()));
  }
  const m = machine();
  const fmt = (x) => `${num(x, x < 10 ? 1 : 0)} ms`;
  const range = (q) => `${fmt(q.median)} (${num(q.min, 0)}–${num(q.max, 0)})`;
  const oneM = results.find((r) => r.size === 1e6);
  const rows = results.map((r) => {
    const target = r.size === 1e6 ? mark(r.funnel.median + r.index < 1000) : '–';
    return [
      num(r.size),
      num(r.sessionIndexCount),
      `${fmt(r.build)} (${num(r.size / (r.build / 1000) / 1e6, 2)} M/s)`,
      fmt(r.index),
      range(r.funnel),
      `${num((r.funnel.median * 1e6) / r.size, 0)} ns`,
      range(r.byChannel),
      range(r.visitor),
      `${num(r.maxRssMiB)} MiB`,
      target,
    ];
  });
  const markdown = [
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, load ${m.load}. ` +
      `Median of ${o.builds} builds and ${o.runs} runs per query (range in brackets).`,
    '',
    table(
      [
        'Events',
        'Sessions',
        'Build table',
        'Session index',
        'Funnel, 4 steps, session',
        'per event',
        '… by channel',
        '… visitor, 7d window',
        'Peak RSS',
        '1M: index + query < 1 s',
      ],
      rows,
    ),
    '',
    'Units reached per step (session funnel): ' + results.map((r) => `${num(r.size)}: ${r.funnel.units.join(' → ')}`).join('; '),
  ].join('\n');
  const targets = oneM ? [{ name: 'funnel over 1M events (session index + query) < 1 s', ok: oneM.funnel.median + oneM.index < 1000 }] : [];
  return { markdown, targets, data: results };
}

function main() {
  const o = args(process.argv.slice(2));
  if (o.child) {
    const result = runSize(Number(o.child), o);
    process.stdout.write(JSON.stringify(result) + '\n');
    return;
  }
  funnelBench({ quick: process.argv.includes('--quick'), sizes: o.sizes }).then(
    (r) => console.log(['## Funnel engine (bench/funnel.js)', '', r.markdown].join('\n')),
    (err) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}

if (require.main === module) main();

module.exports = funnelBench;
module.exports.generate = generate;
