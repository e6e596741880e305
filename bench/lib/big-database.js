// A large database for the restart benchmark, built once into bench/out/ and reused: events as
// the collector stores them from spur's SDK (page views, product views, adds, checkouts, orders,
// identifies at checkout; minimised context), written through storage.append, so every table
// (events, anonymous_runs, identity_links) looks as it would after months of a real shop.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { random } = require('./scale');

const DIST = path.join(__dirname, '../../packages/collector/dist');
const BATCH = 5000;

const PRODUCTS = Array.from({ length: 400 }, (_, i) => ({
  product_id: `p-${1000 + i}`,
  sku: `SKU-${1000 + i}`,
  name: `Product ${i}`,
  category: ['Tops', 'Kitchen', 'Bags', 'Shoes'][i % 4],
  price: 5 + (i % 60),
  currency: 'EUR',
}));
const FAMILIES = [
  { device: { type: 'desktop' }, browser: { name: 'Chrome' }, os: { name: 'Windows' } },
  { device: { type: 'mobile' }, browser: { name: 'Safari' }, os: { name: 'iOS' } },
  { device: { type: 'mobile' }, browser: { name: 'Chrome' }, os: { name: 'Android' } },
  { device: { type: 'desktop' }, browser: { name: 'Firefox' }, os: { name: 'Linux' } },
];

/** Batches of stored events over the last 90 days: sessions of 1–20 events, 40% returning visitors. */
function* batches(seed = 13) {
  const rnd = random(seed);
  const span = 90 * 86400e3;
  const start = Date.now() - span - 86400e3;
  let made = 0;
  let visitor = 0;
  let batch = [];
  for (;;) {
    const a = visitor > 0 && rnd() < 0.4 ? `v-${Math.floor(rnd() * visitor)}` : `v-${visitor++}`;
    const sessionId = `s-${made}`;
    const family = FAMILIES[Math.floor(rnd() * FAMILIES.length)];
    // Time runs forward through the span as events are made (about 1.5M for 1 GB).
    let t = start + Math.floor((made / 1.5e6) * span) % span;
    const n = 1 + Math.floor(rnd() * 19);
    let added = false;
    for (let i = 0; i < n; i++) {
      const p = PRODUCTS[Math.floor(rnd() * PRODUCTS.length)];
      t += 1000 + Math.floor(rnd() * 90_000);
      const path = `/products/${p.product_id}`;
      const context = {
        page: { url: `https://shop.example${path}`, path, title: p.name, referrer: i === 0 ? 'https://www.google.com/' : '' },
        locale: 'de-DE',
        screen: { width: 1512, height: 982 },
        timezone: 'Europe/Berlin',
        sessionId,
        channel: 'web',
        library: { name: 'spur', version: '0.1.0' },
        ip: '203.0.0.0',
        ...family,
      };
      const r = rnd();
      let e;
      if (i === 0 || r < 0.35) e = { type: 'page', name: p.name, properties: { path, url: context.page.url, title: p.name } };
      else if (r < 0.8) e = { type: 'track', event: 'Product Viewed', properties: p };
      else if (r < 0.92 || !added) {
        e = { type: 'track', event: 'Product Added', properties: { ...p, quantity: 1 } };
        added = true;
      } else {
        e = { type: 'track', event: 'Order Completed', properties: { order_id: `o-${made}`, total: p.price, currency: 'EUR', products: [{ ...p, quantity: 1 }] } };
        added = false;
        if (rnd() < 0.5) {
          const iso = new Date(t).toISOString();
          batch.push({ messageId: `i-${made}`, type: 'identify', anonymousId: a, userId: `c-${a}`, traits: { email: `${a}@example.com` }, context, timestamp: iso, originalTimestamp: iso, receivedAt: iso, sentAt: iso });
        }
      }
      const iso = new Date(t).toISOString();
      batch.push({ messageId: `m-${made}`, anonymousId: a, ...e, context, timestamp: iso, originalTimestamp: iso, receivedAt: iso, sentAt: iso });
      made++;
      if (batch.length >= BATCH) {
        yield batch;
        batch = [];
      }
    }
  }
}

/**
 * Makes sure `file` holds a database of at least `bytes`, or of `options.events` events when
 * given (built into `file`.building and renamed, so an interrupted build is never reused).
 * Resolves to { events, bytes, built, ms }.
 */
async function bigDatabase(file, bytes, log = console.error, options = {}) {
  const wanted = options.events;
  if (fs.existsSync(file) && (wanted === undefined ? fs.statSync(file).size >= bytes : true)) {
    const Database = require('better-sqlite3');
    const db = new Database(file, { readonly: true });
    const events = db.prepare('SELECT max(rowid) FROM events').pluck().get();
    db.close();
    if (wanted === undefined || events >= wanted) return { events, bytes: fs.statSync(file).size, built: false, ms: 0 };
  }
  const { createStore, openSqliteStorage } = require(DIST);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const building = `${file}.building`;
  for (const f of [building, `${building}-wal`, `${building}-shm`]) fs.rmSync(f, { force: true });
  const started = Date.now();
  // Through the rules (createStore), as the collector appends: links and runs as they would be.
  const storage = createStore(await openSqliteStorage(building));
  let events = 0;
  try {
    for (const batch of batches()) {
      await storage.append({ writeKey: 'bench', events: batch, rejected: [] });
      events += batch.length;
      if (wanted !== undefined && events >= wanted) break;
      if (events % 100_000 < BATCH) {
        const size = fs.statSync(building).size + (fs.existsSync(`${building}-wal`) ? fs.statSync(`${building}-wal`).size : 0);
        log(`bench/restart: building ${path.basename(file)}: ${events.toLocaleString('en-US')} events, ${(size / 2 ** 20).toFixed(0)} MiB`);
        if (wanted === undefined && fs.statSync(building).size >= bytes) break;
      }
    }
  } finally {
    await storage.close(); // checkpoints the WAL into the file and removes it
  }
  fs.renameSync(building, file);
  return { events, bytes: fs.statSync(file).size, built: true, ms: Date.now() - started };
}

module.exports = { bigDatabase };
