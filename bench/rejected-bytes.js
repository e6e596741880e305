// What rejected events cost on disk: `node bench/rejected-bytes.js [--events N] [--only NAME]`
// (needs `npm run build`). For each kind of flood it starts `spur serve` on a fresh database,
// posts N invalid events through the real ingest route (`/v1/batch`, rate limits off), stops the
// collector (SIGTERM: the WAL is checkpointed into the file and removed), and compares the
// database file with the same collector started and stopped without traffic. Reported: bytes
// on disk per rejected event, and per byte sent (request bodies; HTTP headers not counted).
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const { startCollector, cleanup, sqlite } = require('./lib/collector');
const { event } = require('./lib/events');

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : args[at + 1];
};
const TOTAL = Number(flag('events', 50_000));
const ONLY = flag('only', null);

// A bad event as spur's SDK would send it, broken the way a buggy integration breaks it: a
// client time without a zone (which the collector refuses: it would be read in its own zone).
function sdkShaped(i) {
  const visitor = { anonymousId: `7d3f0c2e-5b1a-4f7e-9c44-${String(100000000000 + (i % 997))}`, sessionId: `s-${i % 997}` };
  return { messageId: `bad-${i}`, ...event(visitor, i, '2026-11-22T10:00:00') };
}

const FLOODS = [
  { name: 'empty objects {}, 5,000 per request', perRequest: 5000, make: () => ({}) },
  { name: '{"type":"track"}, 5,000 per request', perRequest: 5000, make: () => ({ type: 'track' }) },
  { name: 'SDK-shaped, 500 per request', perRequest: 500, make: sdkShaped },
  { name: 'SDK-shaped, 20 per request (an SDK batch)', perRequest: 20, make: sdkShaped },
  { name: 'SDK-shaped, 1 per request', perRequest: 1, make: sdkShaped, total: Math.min(TOTAL, 5000) },
];

function post(url, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Basic ${Buffer.from('bench:').toString('base64')}` },
      agent: false,
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(text)) : reject(new Error(`${res.statusCode}: ${text}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

// The database file (and WAL, if any is left) of a stopped collector.
function fileBytes(db) {
  let bytes = 0;
  for (const suffix of ['', '-wal', '-shm']) if (fs.existsSync(db + suffix)) bytes += fs.statSync(db + suffix).size;
  return bytes;
}

// Bytes of the pages of each table and index holding rejected events (SQLite's dbstat).
function tableBytes(db) {
  const Database = sqlite();
  const file = new Database(db, { readonly: true, fileMustExist: true });
  try {
    const rows = file.prepare("SELECT name, sum(pgsize) AS bytes FROM dbstat WHERE name LIKE 'rejected%' GROUP BY name ORDER BY name").all();
    // Before this version a row per event held the raw text, with no blob to measure.
    const blobs = file.prepare("SELECT count(*) FROM pragma_table_info('rejected_events') WHERE name = 'body'").pluck().get()
      ? file.prepare('SELECT coalesce(sum(length(body)), 0) FROM rejected_events').pluck().get()
      : null;
    return { pages: rows.map((r) => `${r.name} ${r.bytes}`).join(', '), blobs };
  } finally {
    file.close();
  }
}

// A clean stop (exit 0) checkpoints the WAL into the file and removes it.
async function stop(collector) {
  const code = await collector.stop();
  if (code !== 0) throw new Error(`the collector did not stop cleanly (${code})`);
}

async function baseline() {
  const collector = await startCollector();
  // Let it finish starting: a SIGTERM the very moment it listens may beat its signal handler.
  await new Promise((resolve) => setTimeout(resolve, 500));
  await stop(collector);
  const bytes = fileBytes(collector.db);
  cleanup(collector.dir);
  return bytes;
}

async function run(flood, empty) {
  const total = flood.total ?? TOTAL;
  const collector = await startCollector();
  let sent = 0;
  let made = 0;
  try {
    // Four requests in flight, as a few scripted clients would send.
    async function lane() {
      while (made < total) {
        const n = Math.min(flood.perRequest, total - made);
        const start = made;
        made += n;
        const body = JSON.stringify({ batch: Array.from({ length: n }, (_, i) => flood.make(start + i)) });
        sent += Buffer.byteLength(body);
        const answer = await post(collector.url, body);
        if (answer.rejected.length !== n) throw new Error(`expected ${n} rejected, got ${answer.rejected.length}`);
      }
    }
    await Promise.all(Array.from({ length: 4 }, lane));
  } finally {
    await stop(collector);
  }
  const stored = fileBytes(collector.db) - empty;
  const tables = tableBytes(collector.db);
  cleanup(collector.dir);
  return { name: flood.name, events: total, sent, stored, tables };
}

(async () => {
  const empty = await baseline();
  console.log(`| Flood | Events | Bytes sent per event | Bytes on disk per event | On disk / sent | Blob bytes per event | Pages of the rejected tables (bytes) |`);
  console.log(`| --- | --- | --- | --- | --- | --- | --- |`);
  for (const flood of FLOODS) {
    if (ONLY && !flood.name.includes(ONLY)) continue;
    const r = await run(flood, empty);
    const perEvent = r.stored / r.events;
    console.log(`| ${r.name} | ${r.events} | ${(r.sent / r.events).toFixed(1)} | ${perEvent.toFixed(perEvent < 1 ? 2 : 1)} | ${(r.stored / r.sent).toFixed(3)} | ${r.tables.blobs === null ? '-' : (r.tables.blobs / r.events).toFixed(2)} | ${r.tables.pages} |`);
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
