// Exports from a real SQLite store (issue 5): per size, a fresh database is filled with synthetic
// shop events (not timed), then timed: the analytics catch-up from storage (a collector's first
// export after start, or any `spur export` against the file), a 4-step session funnel through
// runExport once caught up, the abandoned-carts / products / profiles exports, and the events
// export streamed as NDJSON (rows/s and how much the RSS grows while it streams).
//
//   npm run build && node bench/exports.js                 # 100k, 1M, 5M events
//   node bench/exports.js --sizes 100k,1M --runs 3
//
// Each size runs in its own process so that its peak RSS is its own.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { machine } = require('./lib/machine');
const { num, mark, table } = require('./lib/format');
const { median } = require('./lib/stats');
const { random, sizedArgs } = require('./lib/scale');

const DIST = path.join(__dirname, '../packages/collector/dist');
const EXPORT_TARGET = 200_000; // rows/s
const FUNNEL_TARGET_MS = 1000;
const STEPS = 'Product Viewed,Product Added,Checkout Started,Order Completed';

const args = (argv) => sizedArgs(argv, { sizes: '100k,1M,5M', quickSizes: '100k,1M', runs: 5, quickRuns: 3 });


const PRODUCTS = Array.from({ length: 300 }, (_, i) => ({ product_id: `p-${i}`, name: `Product ${i}`, price: 5 + (i % 40), currency: 'EUR' }));
const DEVICES = [
  { device: { type: 'desktop' }, browser: { name: 'Chrome' }, os: { name: 'Windows' } },
  { device: { type: 'mobile' }, browser: { name: 'Safari' }, os: { name: 'iOS' } },
  { device: { type: 'mobile' }, browser: { name: 'Chrome' }, os: { name: 'Android' } },
];

/**
 * Stored events as the collector keeps them, in batches of up to 5,000: sessions of about 10
 * events (page views, product views, adds, some checkouts and orders), 40% of visitors return,
 * a third of buyers identify. Time runs forward a few minutes per event over the last 60 days.
 */
function* batches(total, seed = 7) {
  const rnd = random(seed);
  const start = Date.now() - 60 * 86400e3;
  const span = 60 * 86400e3;
  let made = 0;
  let visitor = 0;
  let batch = [];
  while (made < total) {
    const anonymousId = `v-${visitor}`;
    const returning = visitor > 0 && rnd() < 0.4;
    const a = returning ? `v-${Math.floor(rnd() * visitor)}` : anonymousId;
    visitor += returning ? 0 : 1;
    const sessionId = `s-${made}`;
    const context = { sessionId, ...DEVICES[Math.floor(rnd() * DEVICES.length)] };
    let t = start + Math.floor((made / total) * span);
    const n = 1 + Math.floor(rnd() * 19);
    let added = false;
    let checkout = false;
    for (let i = 0; i < n && made < total; i++) {
      const p = PRODUCTS[Math.floor(rnd() * PRODUCTS.length)];
      t += 1000 + Math.floor(rnd() * 120_000);
      const r = rnd();
      let e;
      if (i === 0 || r < 0.35) e = { type: 'page', name: 'Product', properties: { path: `/products/${p.product_id}` } };
      else if (r < 0.75 || (!added && r < 0.8)) e = { type: 'track', event: 'Product Viewed', properties: p };
      else if (r < 0.9) {
        e = { type: 'track', event: 'Product Added', properties: { ...p, quantity: 1 } };
        added = true;
      } else if (added && !checkout) {
        e = { type: 'track', event: 'Checkout Started', properties: {} };
        checkout = true;
      } else if (checkout) {
        e = { type: 'track', event: 'Order Completed', properties: { order_id: `o-${made}`, total: p.price, currency: 'EUR', products: [{ ...p, quantity: 1 }] } };
        checkout = false;
        added = false;
        // A third of buyers log in at checkout: their history is stitched to a customer id.
        if (rnd() < 1 / 3) {
          const iso = new Date(t).toISOString();
          batch.push({ messageId: `i-${made}`, type: 'identify', anonymousId: a, userId: `c-${a}`, traits: {}, context, timestamp: iso, originalTimestamp: iso, receivedAt: iso });
        }
      } else e = { type: 'track', event: 'Product Viewed', properties: p };
      const iso = new Date(t).toISOString();
      batch.push({ messageId: `m-${made}`, anonymousId: a, ...e, context, timestamp: iso, originalTimestamp: iso, receivedAt: iso });
      made++;
      if (batch.length === 5000) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length) yield batch;
}

const since = (t) => Number(process.hrtime.bigint() - t) / 1e6;

async function drain(output) {
  let rows = 0;
  let bytes = 0;
  let peak = process.memoryUsage().rss;
  for await (const chunk of output.chunks) {
    bytes += chunk.length;
    for (let i = chunk.indexOf('\n'); i !== -1; i = chunk.indexOf('\n', i + 1)) rows++;
    const rss = process.memoryUsage().rss;
    if (rss > peak) peak = rss;
  }
  return { rows, bytes, peak };
}

async function runSize(size, o) {
  const { openSqliteStorage, runExport, createAnalyticsService, createStore } = require(DIST);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spur-bench-exports-'));
  const storage = createStore(await openSqliteStorage(path.join(dir, 'spur.db')));
  try {
    let t = process.hrtime.bigint();
    for (const events of batches(size)) await storage.append({ writeKey: 'bench', events, rejected: [] });
    const fillMs = since(t);

    // The events export first, before the analytics cache makes the heap large.
    const rssBefore = process.memoryUsage().rss;
    const streams = [];
    let streamed;
    for (let r = 0; r < Math.min(o.runs, 3); r++) {
      t = process.hrtime.bigint();
      streamed = await drain(await runExport(storage, 'events', {}));
      streams.push(since(t));
    }
    const streamMs = median(streams);

    t = process.hrtime.bigint();
    const service = createAnalyticsService(storage, { intervalMs: 3_600_000 });
    await service.refresh();
    const catchUpMs = since(t);

    const timeExport = async (kind, query) => {
      const runs = [];
      let result;
      for (let r = 0; r < o.runs; r++) {
        t = process.hrtime.bigint();
        result = await drain(await runExport(storage, kind, query, { analytics: service }));
        runs.push(since(t));
      }
      return { median: median(runs), min: Math.min(...runs), max: Math.max(...runs), rows: result.rows };
    };
    const funnel = await timeExport('funnel', { steps: STEPS });
    const funnelJson = JSON.parse(
      (await (async () => {
        let text = '';
        for await (const c of (await runExport(storage, 'funnel', { steps: STEPS }, { analytics: service })).chunks) text += c;
        return text;
      })()),
    );
    const carts = await timeExport('abandoned-carts', { format: 'ndjson' });
    const products = await timeExport('products', { format: 'ndjson' });
    const profiles = await timeExport('profiles', { format: 'ndjson' });
    return {
      size,
      fillMs,
      streamMs,
      streamRows: streamed.rows,
      streamMiB: streamed.bytes / 2 ** 20,
      streamRssGrowthMiB: (streamed.peak - rssBefore) / 2 ** 20,
      catchUpMs,
      funnel,
      units: funnelJson.steps.map((s) => s.units),
      carts,
      products,
      profiles,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
    };
  } finally {
    await storage.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs every size in a child process; resolves to { markdown, targets, data }. */
async function exportsBench({ quick = false, log = console.error, sizes, runs } = {}) {
  const o = args(quick ? ['--quick'] : []);
  if (sizes) o.sizes = sizes;
  if (runs) o.runs = runs;
  const results = [];
  for (const size of o.sizes) {
    log(`bench/exports: ${num(size)} events...`);
    const out = execFileSync(process.execPath, ['--max-old-space-size=8192', __filename, '--child', String(size), '--runs', String(o.runs)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 20,
    });
    results.push(JSON.parse(out.trim().split('\n').pop()));
  }
  const fmt = (x) => `${num(x, x < 10 ? 1 : 0)} ms`;
  const range = (q) => `${fmt(q.median)} (${num(q.min, 0)}–${num(q.max, 0)})`;
  const rate = (r) => r.streamRows / (r.streamMs / 1000);
  const oneM = results.find((r) => r.size === 1e6);
  const targets = [];
  if (oneM) targets.push({ name: 'funnel over 1M stored events < 1 s (caught up)', ok: oneM.funnel.median < FUNNEL_TARGET_MS });
  if (results.length) targets.push({ name: `events export ≥ ${num(EXPORT_TARGET)} rows/s`, ok: results.every((r) => rate(r) >= EXPORT_TARGET) });
  const m = machine();
  const markdown = [
    `Machine: ${m.cpu}, ${m.cores} cores, Node ${m.node}, load ${m.load}. A fresh SQLite file per size (WAL, synchronous=FULL), filled through \`storage.append\` (not timed). Medians of ${o.runs} runs (range in brackets).`,
    '',
    table(
      ['Events', 'Events export (NDJSON)', 'rows/s', 'RSS growth while streaming', 'Catch-up from storage (cold)', 'Funnel, 4 steps (caught up)', 'Abandoned carts', 'Products', 'Profiles', 'Peak RSS'],
      results.map((r) => [
        num(r.size),
        `${fmt(r.streamMs)} (${num(r.streamMiB)} MiB)`,
        `${num(rate(r))} ${mark(rate(r) >= EXPORT_TARGET)}`,
        `${num(r.streamRssGrowthMiB, 1)} MiB`,
        `${fmt(r.catchUpMs)} (${num(r.size / (r.catchUpMs / 1000))} events/s)`,
        `${range(r.funnel)}${r.size === 1e6 ? ' ' + mark(r.funnel.median < FUNNEL_TARGET_MS) : ''}`,
        `${range(r.carts)}, ${num(r.carts.rows)} rows`,
        `${range(r.products)}, ${num(r.products.rows)} rows`,
        `${range(r.profiles)}, ${num(r.profiles.rows)} rows`,
        `${num(r.maxRssMiB)} MiB`,
      ]),
    ),
    '',
    'Sessions per funnel step: ' + results.map((r) => `${num(r.size)}: ${r.units.map((u) => num(u)).join(' → ')}`).join('; '),
  ].join('\n');
  return { markdown, targets, data: results };
}

module.exports = exportsBench;

if (require.main === module) {
  const o = args(process.argv.slice(2));
  if (o.child) {
    runSize(Number(o.child), o).then(
      (r) => process.stdout.write(JSON.stringify(r) + '\n'),
      (err) => {
        console.error(err);
        process.exit(1);
      },
    );
  } else {
    exportsBench({ quick: process.argv.includes('--quick'), sizes: o.sizes, runs: o.runs }).then(
      (r) => console.log(r.markdown),
      (err) => {
        console.error(err);
        process.exitCode = 1;
      },
    );
  }
}
