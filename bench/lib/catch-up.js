// The reading side of an analytics catch-up, on real SQLite files: a collector that restarts on N
// stored events reads every row, parses its JSON and appends it to the engine before it can
// answer a funnel. Per size, a file is built once into bench/out/analytics-<N>.db from the same
// shop as bench/analytics-memory.js (through storage.append, so every table is as a collector
// writes it); then, in a process of its own, timed page by page as the collector reads (5,000
// rows per page, rowid order):
//
//  1. the SQL alone: `SELECT rowid, body` (better-sqlite3, raw rows), no parsing;
//  2. the same plus `JSON.parse` of every body (what storage.eventsAfter does);
//  3. the SQL with the fields the engine reads taken out by SQLite (`json_extract`), no
//     JSON.parse: what a storage that delivers only those columns could cost;
//  4. the catch-up as the collector runs it: storage.eventsAfter + appendEvent, a turn of the
//     event loop between pages, the identity graph, then the first funnel.
//
// The file is read from the page cache (each step reads it whole, the first warms it).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { num, table } = require('./format');
const { appendShop } = require('./shop-events');

const OUT = path.join(__dirname, '../out');
const PAGE = 5000;
const STEPS = ['Product Viewed', 'Product Added', 'Checkout Started', 'Order Completed'];

// What the engine reads of an event (from-event.ts), as SQLite JSON paths: the columns a storage
// that delivers only those would hand over. Order Completed's products come as JSON text.
const FIELDS = [
  '$.type',
  '$.event',
  '$.anonymousId',
  '$.userId',
  '$.timestamp',
  '$.receivedAt',
  '$.context.sessionId',
  '$.context.page.path',
  '$.context.page.url',
  '$.context.page.referrer',
  '$.context.device.type',
  '$.context.browser.name',
  '$.context.os.name',
  '$.context.userAgent',
  '$.context.campaign.source',
  '$.context.campaign.medium',
  '$.context.campaign.name',
  '$.properties.path',
  '$.properties.url',
  '$.properties.referrer',
  '$.properties.product_id',
  '$.properties.variant',
  '$.properties.name',
  '$.properties.price',
  '$.properties.quantity',
  '$.properties.currency',
  '$.properties.order_id',
  '$.properties.total',
  '$.properties.revenue',
  '$.properties.products',
];

const text = (v) => (typeof v === 'string' ? v || undefined : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined);
const number = (v) => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : NaN;
};
const CART = new Set(['Product Added', 'Product Removed']);

/**
 * Fills the engine's FactRecord from such a row ([rowid, ...FIELDS]) as readStoredEvent reads a
 * parsed event: a sketch of the reading side of a column delivery, for its cost (the bench checks
 * that it answers the same funnel).
 */
function fillRecord(r, row, parseTime) {
  const [seq, type, event, anonymousId, userId, timestamp, receivedAt, sessionId, path, url, referrer, device, browser, os, userAgent, source, medium, campaign] = row;
  r.reset(seq);
  const ts = parseTime(timestamp);
  r.ts = Number.isFinite(ts) ? ts : parseTime(receivedAt);
  r.type = type;
  const name = type === 'track' && event ? event : undefined;
  r.name = name;
  if (anonymousId) r.anonymousId = anonymousId;
  if (userId) r.userId = userId;
  r.sessionId = text(sessionId);
  const page = type === 'page';
  if (page) r.path = text(path) ?? text(row[18]);
  r.url = text(url) ?? (page ? text(row[19]) : undefined);
  r.referrer = text(referrer) ?? (page ? text(row[20]) : undefined);
  r.device = text(device);
  r.browser = text(browser);
  r.os = text(os);
  const ua = text(userAgent);
  if (ua && !r.device && !r.browser && !r.os) r.userAgent = ua;
  r.source = text(source);
  r.medium = text(medium);
  r.campaign = text(campaign);
  if (name === undefined) return;
  if (CART.has(name) || name === 'Product Viewed') r.productId = text(row[21]);
  if (CART.has(name)) {
    r.cart = true;
    const l = r.line;
    [l.productId, l.variant, l.name] = [text(row[21]), text(row[22]), text(row[23])];
    [l.price, l.quantity, l.currency] = [number(row[24]), number(row[25]), text(row[26])];
  } else if (name === 'Order Completed') {
    r.cart = r.order = true;
    [r.orderId, r.total, r.revenue, r.line.currency] = [text(row[27]), number(row[28]), number(row[29]), text(row[26])];
    const products = typeof row[30] === 'string' && row[30].startsWith('[') ? JSON.parse(row[30]) : undefined;
    if (!products) return;
    r.startLines();
    for (const p of products) {
      if (!p || typeof p !== 'object' || Array.isArray(p) || text(p.product_id) === undefined) continue;
      const l = r.addLine();
      [l.productId, l.variant, l.name, l.price, l.quantity, l.currency] = [text(p.product_id), text(p.variant), text(p.name), number(p.price), number(p.quantity), text(p.currency)];
    }
  }
}

const since = (t) => Number(process.hrtime.bigint() - t) / 1e6;
const label = (n) => (n % 1e6 === 0 ? `${n / 1e6}m` : `${n}`);

/** Builds bench/out/analytics-<N>.db once (into a .building file, renamed when complete). */
async function shopDatabase(collector, size, log) {
  const file = path.join(OUT, `analytics-${label(size)}.db`);
  if (fs.existsSync(file)) return file;
  const { openSqliteStorage } = require(collector);
  fs.mkdirSync(OUT, { recursive: true });
  const building = `${file}.building`;
  for (const f of [building, `${building}-wal`, `${building}-shm`]) fs.rmSync(f, { force: true });
  const storage = await openSqliteStorage(building);
  try {
    await appendShop(storage, size, { log, label: `bench/catch-up: building ${path.basename(file)}` });
  } finally {
    await storage.close();
  }
  fs.renameSync(building, file);
  return file;
}

async function measure(file, collector) {
  const Database = require('better-sqlite3');
  const { openSqliteStorage } = require(collector);
  const engine = require(path.join(collector, 'analytics'));
  const { createAnalytics } = engine;
  // The engine's reusable record (not part of its index): absent in builds before it.
  let FactRecord;
  try {
    ({ FactRecord } = require(path.join(collector, 'analytics/fact-record')));
  } catch {
    FactRecord = undefined;
  }
  const db = new Database(file, { readonly: true });
  const bodies = db.prepare('SELECT rowid, body FROM events WHERE rowid > ? ORDER BY rowid LIMIT ?').raw();
  const columns = db
    .prepare(`SELECT rowid, ${FIELDS.map((f) => `json_extract(body, '${f}')`).join(', ')} FROM events WHERE rowid > ? ORDER BY rowid LIMIT ?`)
    .raw();
  const pages = (statement, each) => {
    let after = 0;
    for (;;) {
      const rows = statement.all(after, PAGE);
      for (const row of rows) each(row);
      if (rows.length < PAGE) return;
      after = rows[rows.length - 1][0];
    }
  };
  let events = 0;
  let bytes = 0;
  pages(bodies, (row) => {
    events++;
    bytes += row[1].length;
  });
  let t = process.hrtime.bigint();
  pages(bodies, () => {});
  const sqlMs = since(t);
  t = process.hrtime.bigint();
  pages(bodies, (row) => JSON.parse(row[1]));
  const parseMs = since(t);
  t = process.hrtime.bigint();
  pages(columns, () => {});
  const extractMs = since(t);
  // The same rows into the engine, through its record: a column delivery's catch-up, sketched.
  let columnsMs = NaN;
  let columnUnits = [];
  if (FactRecord) {
    t = process.hrtime.bigint();
    const sketch = createAnalytics();
    const record = new FactRecord();
    pages(columns, (row) => {
      fillRecord(record, row, engine.parseTime);
      sketch.table.appendRecord(record);
    });
    columnUnits = sketch.funnel({ steps: STEPS }).steps.map((s) => s.units);
    columnsMs = since(t);
  }
  db.close();

  // As the collector catches up (analytics-service.ts), timing storage and engine apart.
  const storage = await openSqliteStorage(file, { mustExist: true });
  try {
    const analytics = createAnalytics();
    let readMs = 0;
    let appendMs = 0;
    let seq = 0;
    const start = process.hrtime.bigint();
    for (;;) {
      t = process.hrtime.bigint();
      const rows = await storage.eventsAfter(seq, PAGE);
      readMs += since(t);
      t = process.hrtime.bigint();
      for (const row of rows) {
        analytics.appendEvent(row.event, row.seq);
        seq = row.seq;
      }
      appendMs += since(t);
      if (rows.length < PAGE) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    t = process.hrtime.bigint();
    analytics.setIdentity(await storage.identityGraph());
    const graphMs = since(t);
    t = process.hrtime.bigint();
    const funnel = analytics.funnel({ steps: STEPS });
    const funnelMs = since(t);
    const totalMs = since(start);
    return {
      events,
      bodyBytes: bytes / events,
      sqlMs,
      parseMs,
      extractMs,
      columnsMs,
      columnUnits,
      readMs,
      appendMs,
      graphMs,
      funnelMs,
      totalMs,
      units: funnel.steps.map((s) => s.units),
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
    };
  } finally {
    await storage.close();
  }
}

/** Builds (once) and measures each size in a child process; resolves to { markdown, data }. */
async function catchUpBench({ sizes, collector, log = console.error }) {
  const results = [];
  for (const size of sizes) {
    const file = await shopDatabase(collector, size, log);
    log(`bench/catch-up: ${num(size)} events from ${path.basename(file)}...`);
    const out = execFileSync(process.execPath, ['--max-old-space-size=8192', __filename, '--child', file, collector], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 20,
    });
    results.push({ size, file: path.basename(file), mib: fs.statSync(file).size / 2 ** 20, ...JSON.parse(out.trim().split('\n').pop()) });
  }
  const us = (ms, n) => `${num((ms * 1000) / n, 2)} µs`;
  const s = (ms) => `${num(ms / 1000, 1)} s`;
  const markdown = [
    table(
      ['Events (file)', 'SQL only', '+ JSON.parse', 'SQL with json_extract of the fields', '+ engine, to the first funnel', 'Catch-up: eventsAfter', '+ appendEvent', 'Identity graph', 'First funnel', 'Start to first funnel', 'Peak RSS'],
      results.map((r) => [
        `${num(r.events)} (${num(r.mib)} MiB, ${num(r.bodyBytes)} B a body)`,
        `${s(r.sqlMs)} (${us(r.sqlMs, r.events)})`,
        `${s(r.parseMs)} (${us(r.parseMs, r.events)})`,
        `${s(r.extractMs)} (${us(r.extractMs, r.events)})`,
        Number.isNaN(r.columnsMs) ? '–' : `${s(r.columnsMs)} (${us(r.columnsMs, r.events)})`,
        `${s(r.readMs)} (${us(r.readMs, r.events)})`,
        `${s(r.appendMs)} (${us(r.appendMs, r.events)})`,
        `${num(r.graphMs)} ms`,
        `${num(r.funnelMs)} ms`,
        `**${s(r.totalMs)}** (${us(r.totalMs, r.events)})`,
        `${num(r.maxRssMiB)} MiB`,
      ]),
    ),
    '',
    'Sessions per funnel step: ' +
      results.map((r) => `${num(r.events)}: ${r.units.map((u) => num(u)).join(' → ')}`).join('; ') +
      '. From the extracted fields: ' +
      results.map((r) => (r.columnUnits.length ? (r.columnUnits.join() === r.units.join() ? 'the same' : `different (${r.columnUnits.map((u) => num(u)).join(' → ')})`) : 'not measured')).join('; ') +
      '.',
  ].join('\n');
  return { markdown, data: results };
}

module.exports = { catchUpBench, shopDatabase, FIELDS };

if (require.main === module) {
  const i = process.argv.indexOf('--child');
  measure(process.argv[i + 1], process.argv[i + 2]).then(
    (r) => process.stdout.write(JSON.stringify(r) + '\n'),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
