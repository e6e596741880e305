// The order importer's customer lookup (src/import/customer-lookup.ts): the identify traits of
// every stored customer, read once per import. Before, it read every stored event's body a page at
// a time (StorageReads.eventPage) and parsed those that named identify; now the database hands
// over only identify events with a customer id (StorageReads.identifyPage). A SQLite file of
// `--events` events (2% of them identifies with an email and a phone, the rest page and product
// views with a shop's context), written through storage.append; wall and CPU time of each way,
// medians of `--runs`.
//
//   npm run build && node bench/customer-lookup.js [--events 300k] [--runs 5]
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { machine } = require('./lib/machine');
const { num, table, printSection } = require('./lib/format');
const { median } = require('./lib/stats');
const { flag, parseSize } = require('./lib/scale');

const DIST = path.join(__dirname, '../packages/collector/dist');

// The lookup as it was: every event's body, the identifies parsed.
async function before(storage) {
  const seen = new Map();
  let after = 0;
  for (;;) {
    const page = await storage.eventPage({}, after, 5000);
    if (page.length === 0) break;
    after = page[page.length - 1].seq;
    for (const { body } of page) {
      if (!body.includes('"type":"identify"')) continue;
      const e = JSON.parse(body);
      if (e.type === 'identify' && e.userId && e.traits) seen.set(e.traits.email, e.userId);
    }
  }
  return seen.size;
}

async function timed(fn) {
  const cpu = process.cpuUsage();
  const t = process.hrtime.bigint();
  const result = await fn();
  const used = process.cpuUsage(cpu);
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, cpuMs: (used.user + used.system) / 1000, result };
}

async function customerLookupBench({ events = 300_000, runs = 5, log = console.error } = {}) {
  const { openSqliteStorage, createStore } = require(path.join(DIST, 'index'));
  const { loadCustomerLookup } = require(path.join(DIST, 'import/customer-lookup'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spur-lookup-'));
  const storage = createStore(await openSqliteStorage(path.join(dir, 'spur.db')));
  try {
    const t0 = Date.parse('2024-01-01T00:00:00Z');
    let customers = 0;
    for (let i = 0; i < events; i += 5000) {
      const batch = [];
      for (let k = i; k < Math.min(events, i + 5000); k++) {
        const at = new Date(t0 + k * 1000).toISOString();
        const base = { messageId: `lk-${k}`, anonymousId: `anon-${k % 50000}`, timestamp: at, originalTimestamp: at, receivedAt: at, context: { page: { path: `/products/p-${k % 400}`, url: `https://shop.example/products/p-${k % 400}` }, userAgent: 'Mozilla/5.0', locale: 'de-DE' } };
        if (k % 50 === 0) {
          customers++;
          batch.push({ ...base, type: 'identify', userId: `cus-${customers}`, traits: { email: `c${customers}@example.com`, phone: `+4930${1000000 + customers}`, name: 'A Customer' } });
        } else batch.push({ ...base, type: 'track', event: 'Product Viewed', properties: { product_id: `p-${k % 400}`, name: `Product ${k % 400}`, price: 19.9, currency: 'EUR' } });
      }
      await storage.append({ writeKey: 'bench', events: batch, rejected: [] });
    }
    log(`bench/customer-lookup: ${num(events)} events stored, ${num(customers)} identifies`);
    const samples = { before: [], after: [] };
    for (let r = 0; r < runs; r++) {
      const b = await timed(() => before(storage));
      const a = await timed(async () => (await loadCustomerLookup(storage)).size);
      if (b.result !== customers || a.result !== 2 * customers) throw new Error(`bench/customer-lookup: found ${b.result} / ${a.result}`);
      samples.before.push(b);
      samples.after.push(a);
    }
    const m = machine();
    const f = (xs, key) => `${num(median(xs.map((x) => x[key])), 0)} ms`;
    const markdown = [
      `Machine: ${m.cpu}, ${m.cores} cores, Node ${m.node}, load ${m.load}. SQLite, ${num(events)} stored events, ${num(customers)} identifies; medians of ${runs} runs.`,
      '',
      table(
        ['Lookup', 'Wall', 'CPU'],
        [
          ['before: every event read (eventPage), identifies parsed', f(samples.before, 'ms'), f(samples.before, 'cpuMs')],
          ['after: identify events only (identifyPage)', f(samples.after, 'ms'), f(samples.after, 'cpuMs')],
        ],
      ),
    ].join('\n');
    return { markdown, targets: [], data: samples };
  } finally {
    await storage.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const opt = (name) => flag(argv, name);
  printSection(customerLookupBench({ events: opt('--events') ? parseSize(opt('--events')) : undefined, runs: opt('--runs') ? Number(opt('--runs')) : undefined }));
}

module.exports = customerLookupBench;
