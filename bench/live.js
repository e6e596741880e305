// Live stream and webhook latency (issue 17, point 3): how long after its commit an event is on
// GET /v1/live (target: within 1 s), and how long after it a webhook for it reaches a receiver.
//
//   npm run build && node bench/live.js     # ~1 min
//   node bench/live.js --quick              # fewer events
//
// Two collectors on one SQLite file, in this process (built dist), each listening on 127.0.0.1:
// events are posted to A one at a time, at random gaps of 50 to 400 ms; the clock starts when A
// answers the post (the answer comes after the commit) and stops when the event arrives:
//  - on A's stream (the collector that committed it sends it at once),
//  - on B's stream (another collector: it finds it by reading every half second),
//  - at a webhook receiver (A's dispatcher, woken by the commit; Order Completed events).
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { num, mark, table, printSection } = require('./lib/format');
const { quantile, median } = require('./lib/stats');

const DIST = path.join(__dirname, '../packages/collector/dist');
const TOKEN = 'bench-live-admin-token-0123456789';
const KEY = 'benchlive';

function load() {
  try {
    return require(DIST);
  } catch (err) {
    if (err.code === 'MODULE_NOT_FOUND') {
      console.error('bench/live: build first (npm run build)');
      process.exit(2);
    }
    throw err;
  }
}

async function collector(c, db) {
  const storage = await c.openSqliteStorage(db);
  const app = c.createCollector({ storage, writeKeys: { [KEY]: [] }, adminToken: TOKEN, webhooksAllowPrivate: true, rateLimit: 0, eventRateLimit: 0 });
  const server = await c.startServer(app, { port: 0, host: '127.0.0.1', storage });
  return server;
}

/** Opens GET /v1/live and calls `seen(messageId, at)` for each event that arrives. */
function watch(url, seen) {
  return new Promise((resolve, reject) => {
    const req = http.get(`${url}/v1/live`, { headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        const at = performance.now();
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.includes('event: ready')) resolve(req);
          const data = /^data: (.*)$/m.exec(block);
          if (block.includes('event: events') && data) for (const e of JSON.parse(data[1])) seen(e.messageId, at);
        }
      });
    });
    req.on('error', reject);
  });
}

module.exports = async function run({ quick = false, log = () => undefined } = {}) {
  const c = load();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spur-bench-live-'));
  const db = path.join(dir, 'spur.db');
  const a = await collector(c, db);
  const b = await collector(c, db);
  const arrivals = { a: new Map(), b: new Map(), hook: new Map() };
  const receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      arrivals.hook.set(JSON.parse(body).data.event_id, performance.now());
      res.writeHead(204).end();
    });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${receiver.address().port}/hook`;
  await fetch(`${a.url}/v1/webhooks`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ url: hookUrl, events: ['order.completed'] }) });
  // A first event, so that both streams start from a position in the file.
  const post = (event) =>
    fetch(`${a.url}/v1/batch`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${KEY}:`).toString('base64')}`, 'content-type': 'application/json' }, body: JSON.stringify({ batch: [event] }) });
  await post({ type: 'track', event: 'Warm Up', messageId: 'warm-up', anonymousId: 'bench', timestamp: new Date().toISOString() });
  const streams = [await watch(a.url, (id, at) => arrivals.a.set(id, at)), await watch(b.url, (id, at) => arrivals.b.set(id, at))];

  const count = quick ? 40 : 200;
  const committed = new Map();
  log(`bench/live: ${count} events, one at a time`);
  for (let i = 0; i < count; i++) {
    const messageId = `live-bench-${i}`;
    const res = await post({ type: 'track', event: 'Order Completed', messageId, userId: `c-${i}`, timestamp: new Date().toISOString(), properties: { order_id: `o-${i}`, total: 10, currency: 'EUR' } });
    committed.set(messageId, performance.now());
    if (res.status !== 200) throw new Error(`post answered ${res.status}`);
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 350));
  }
  await new Promise((r) => setTimeout(r, 2000));
  for (const s of streams) s.destroy();
  await Promise.all([a.close(), b.close()]);
  receiver.close();
  fs.rmSync(dir, { recursive: true, force: true });

  const latencies = (seen) => [...committed].map(([id, at]) => (seen.has(id) ? seen.get(id) - at : Infinity));
  const rows = [
    ['on the stream of the collector that committed it', latencies(arrivals.a)],
    ['on the stream of another collector on the same file', latencies(arrivals.b)],
    ['webhook at the receiver (Order Completed)', latencies(arrivals.hook)],
  ];
  const missing = rows.map(([, l]) => l.filter((x) => x === Infinity).length);
  const targets = [
    { name: 'Live stream: median time from commit to the event on the stream ≤ 1 s (this collector)', ok: median(rows[0][1]) <= 1000 },
    { name: 'Live stream: median time from commit to the event on the stream ≤ 1 s (another collector)', ok: median(rows[1][1]) <= 1000 },
  ];
  const markdown = table(
    ['Event after its commit', 'Events', 'Missing', 'Median', 'p95', 'Max'],
    rows.map(([what, l], i) => [what, num(l.length), num(missing[i]), `${num(median(l), 1)} ms`, `${num(quantile(l, 0.95), 1)} ms`, `${num(Math.max(...l), 1)} ms`]),
  );
  return { markdown: [markdown, '', ...targets.map((t) => `${mark(t.ok)} ${t.name}`)].join('\n'), targets, data: rows.map(([what, l]) => ({ what, median: median(l), p95: quantile(l, 0.95) })) };
};

if (require.main === module) printSection(module.exports({ quick: process.argv.includes('--quick'), log: (l) => console.error(l) }));
