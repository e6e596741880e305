// What the script tag costs the page that loads it the first time: a blank page with the tag and
// without it, each load in a browser with a fresh profile (a new temporary user-data dir per
// sample: no cache, no code cache, no cookies, no IndexedDB, nothing warmed by an earlier page),
// CDP Performance.getMetrics read once the collector has stored the page view. `--sdk FILE`
// measures another build of spur.js (e.g. an older one, for a before/after). How and why:
// bench/README.md, section 7.
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright');
const { findChromium } = require('@spur/journeys');
const { startCollector, countStored, cleanup } = require('./lib/collector');
const { SDK } = require('./lib/static-server');
const { summary } = require('./lib/stats');
const { num, mark, table, printSection } = require('./lib/format');

const TARGET_MS = 10;
// After the page view is stored: its answer reaches the page, which deletes the outbox row.
const SETTLE_MS = 250;

const html = (body) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Spur Shop</title></head>
<body><h1>Spur Shop</h1><p>A product page.</p>${body}</body></html>`;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * The shop: `/` with the tag (sending to `shop.collector`, set once the collector runs), `/blank`
 * without it, `/spur.js` from `sdk` (read per request).
 */
function startShop(sdk) {
  const shop = { origin: '', collector: '', close: () => undefined };
  const pages = {
    '/': () => html(`<script async src="/spur.js" data-write-key="bench" data-endpoint="${shop.collector}"></script>`),
    '/blank': () => html(''),
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname === '/spur.js') {
      res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' });
      return res.end(fs.readFileSync(sdk));
    }
    if (!pages[url.pathname]) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(pages[url.pathname]());
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      shop.origin = `http://127.0.0.1:${server.address().port}`;
      shop.close = () => new Promise((r) => (server.closeAllConnections(), server.close(r)));
      resolve(shop);
    }),
  );
}

/** A browser with a profile of its own, launched with the flags launchChromium() uses. */
function launchFresh(dir) {
  return chromium.launchPersistentContext(dir, {
    headless: true,
    executablePath: findChromium().executablePath,
    args: [
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
    ],
  });
}

async function metrics(cdp) {
  const { metrics: list } = await cdp.send('Performance.getMetrics');
  const get = (name) => (list.find((m) => m.name === name)?.value ?? NaN) * 1000;
  return { script: get('ScriptDuration'), task: get('TaskDuration') };
}

/** Polls the collector's database until it holds `n` events; false after `timeoutMs`. */
async function waitForStored(db, n, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (countStored(db).events >= n) return true;
    await sleep(25);
  }
  return false;
}

/**
 * One load in a fresh profile: ScriptDuration and TaskDuration (ms) of the page's main thread,
 * from before the navigation until the collector stored the page view and SETTLE_MS more (the
 * page with the tag), or until `windowMs` after the navigation started (the blank page).
 * `timeDomain`: 'timeTicks' (CDP's default) counts wall time, including the main thread waiting
 * in a synchronous call (ICU data read from disk, a cookie or localStorage round trip);
 * 'threadTicks' counts CPU time only.
 */
async function sample(url, { collector, windowMs, timeDomain }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spur-bench-profile-'));
  let context;
  try {
    context = await launchFresh(dir);
    const tab = context.pages()[0] || (await context.newPage());
    const cdp = await context.newCDPSession(tab);
    await cdp.send('Performance.enable', { timeDomain });
    const before = await metrics(cdp);
    const stored = collector && countStored(collector.db).events;
    const started = Date.now();
    await tab.goto(url, { waitUntil: 'load', timeout: 15000 });
    if (collector) {
      if (!(await waitForStored(collector.db, stored + 1, 15000))) throw new Error('the page view never arrived');
      await sleep(SETTLE_MS);
    } else await sleep(windowMs - (Date.now() - started));
    const after = await metrics(cdp);
    return { script: after.script - before.script, task: after.task - before.task, windowMs: Date.now() - started };
  } finally {
    await context?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `n` pairs, interleaved so that a busy moment of the machine hits both sides alike. */
async function pairs(shop, collector, n, timeDomain, log) {
  const withTag = [];
  const blank = [];
  for (let i = 0; i < n; i++) {
    const w = await sample(`${shop.origin}/`, { collector, timeDomain });
    const b = await sample(`${shop.origin}/blank`, { windowMs: w.windowMs, timeDomain });
    withTag.push(w);
    blank.push(b);
    log(`  ${timeDomain} ${i + 1}/${n}: with the tag script ${w.script.toFixed(1)} task ${w.task.toFixed(1)} ms; blank script ${b.script.toFixed(1)} task ${b.task.toFixed(1)} ms`);
  }
  const of = (list, key) => summary(list.map((s) => s[key]));
  const diff = (key) => summary(withTag.map((w, i) => w[key] - blank[i][key]));
  return {
    withTag: { script: of(withTag, 'script'), task: of(withTag, 'task') },
    blank: { script: of(blank, 'script'), task: of(blank, 'task') },
    diff: { script: diff('script'), task: diff('task') },
  };
}

/** Runs section 7. Resolves to { markdown, targets, data }. `sdk`: the spur.js to measure. */
module.exports = async function firstPage({ quick = false, log = console.error, sdk = SDK } = {}) {
  const n = quick ? 5 : 11;
  const shop = await startShop(sdk);
  const collector = await startCollector({ writeKeys: `bench=${shop.origin}` });
  shop.collector = collector.url;
  try {
    log(`first-page: ${path.relative(process.cwd(), sdk) || sdk}, ${n} pairs per time domain, a fresh profile per load`);
    const wall = await pairs(shop, collector, n, 'timeTicks', log);
    const cpu = await pairs(shop, collector, n, 'threadTicks', log);
    const ok = wall.diff.script.median < TARGET_MS;
    const range = (s) => `${num(s.min, 1)}–${num(s.max, 1)}`;
    const row = (label, s, target = '', judged) => [label, `${num(s.median, 1)} ms`, range(s), target, judged === undefined ? '' : mark(judged)];
    const rows = [
      row("**spur's script time**: ScriptDuration with the tag − without, per pair (wall)", wall.diff.script, `< ${TARGET_MS} ms`, ok),
      row('ScriptDuration, blank page with the tag (wall)', wall.withTag.script),
      row('ScriptDuration, blank page (wall)', wall.blank.script),
      row("spur's task time: TaskDuration with − without, per pair (wall)", wall.diff.task),
      row('TaskDuration, blank page with the tag (wall)', wall.withTag.task),
      row('TaskDuration, blank page (wall)', wall.blank.task),
      row("spur's script time, CPU (threadTicks)", cpu.diff.script),
      row("spur's task time, CPU (threadTicks)", cpu.diff.task),
    ];
    const markdown = [
      `Headless Chromium, a new browser with a fresh profile (temporary user-data dir) for every load of \`${path.basename(sdk)}\`; ` +
        `median of ${n} pairs (the blank page with the tag, read after the collector stored its page view; then the blank page without it, kept open as long), ` +
        `CDP \`Performance.getMetrics\` in wall time (CDP's default) and, in another ${n} pairs, CPU time.`,
      '',
      table(['Measure', 'Median', 'Range', 'Target', ''], rows),
    ].join('\n');
    return {
      markdown,
      targets: [{ name: `first page in a fresh profile: spur's script time < ${TARGET_MS} ms`, ok }],
      data: { sdk, n, wall, cpu },
    };
  } finally {
    await shop.close();
    await collector.stop();
    cleanup(collector.dir);
  }
};

if (require.main === module) {
  const argv = process.argv.slice(2);
  const i = argv.indexOf('--sdk');
  printSection(module.exports({ quick: argv.includes('--quick'), ...(i >= 0 && { sdk: path.resolve(argv[i + 1]) }) }));
}
