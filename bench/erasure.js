// How long an erasure takes, until it answers: `node bench/erasure.js [--events N] [--subjects K]`
// (needs `npm run build`). Builds a database of N events (default 1,000,000, shaped like the
// SDK's) in which K customers (default 5) have 10,000 events each, spread evenly through the
// file (every 100th event is one customer's: a long-time customer, whose events sit on 10,000
// different pages), plus 100,000 rejected events of others and a few of each customer. Then it
// reopens the file as a collector would and erases the customers one by one through
// storage.eraseSubject, which answers after its transaction committed and, from schema version 5
// on, after the WAL was checkpointed into the file and truncated. Prints each run and the median.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const { tempDir, cleanup } = require('./lib/collector');
const { event } = require('./lib/events');
const { median } = require('./lib/stats');

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(args[at + 1]);
};
const TOTAL = flag('events', 1_000_000);
const SUBJECTS = flag('subjects', 5);
const PER_SUBJECT = 10_000;
const BATCH = 5000;
const EVERY = Math.floor(TOTAL / (SUBJECTS * PER_SUBJECT)); // one subject event every EVERY events
const RECEIVED = '2026-11-22T10:00:00.000Z';

function stored(e, messageId) {
  const { userAgent: _ua, ...context } = e.context;
  return {
    ...e,
    messageId,
    context: { ...context, device: { type: 'desktop' }, browser: { name: 'Chrome' }, os: { name: 'macOS' }, ip: '203.0.0.0' },
    originalTimestamp: e.timestamp,
    receivedAt: RECEIVED,
    sentAt: RECEIVED,
  };
}

function nthEvent(g) {
  const time = new Date(Date.parse('2026-01-01T00:00:00.000Z') + g * 1000).toISOString();
  if (g % EVERY === 0 && g / EVERY < SUBJECTS * PER_SUBJECT) {
    const k = (g / EVERY) % SUBJECTS;
    const visitor = { anonymousId: `dev-${k}-${g % 2}`, sessionId: `s-${k}` };
    const first = g / EVERY < SUBJECTS * 2;
    if (first) {
      return stored({ type: 'identify', anonymousId: visitor.anonymousId, userId: `cus-${k}`, timestamp: time, traits: { email: `customer${k}@example.com`, name: `Customer ${k}` }, context: event(visitor, 0, time).context }, `m-${g}`);
    }
    return stored({ ...event(visitor, g, time), userId: `cus-${k}` }, `m-${g}`);
  }
  const visitor = { anonymousId: `visitor-${g % 50_000}`, sessionId: `s-${g % 50_000}` };
  return stored(event(visitor, g, time), `m-${g}`);
}

function rejectedFlood(r) {
  return Array.from({ length: 500 }, (_, i) => {
    const visitor = { anonymousId: `visitor-${(r * 500 + i) % 50_000}`, sessionId: 'x' };
    return { raw: JSON.stringify({ ...event(visitor, i, '2026-11-22T10:00:00'), messageId: `bad-${r}-${i}` }), reason: 'timestamp must be an ISO 8601 date', writeKey: 'bench', receivedAt: RECEIVED };
  });
}

function subjectRejected(k) {
  const odd = [{ userId: [`cus-${k}`] }, { properties: { customer: `cus-${k}` } }, { context: { traits: { email: `CUSTOMER${k}@example.com` } } }];
  return odd.map((fields, i) => ({ raw: JSON.stringify({ type: 'track', event: 5, messageId: `bad-cus-${k}-${i}`, ...fields }), reason: 'event must be a non-empty string', writeKey: 'bench', receivedAt: RECEIVED }));
}

async function build(file, openStorage, createStore) {
  const storage = createStore(await openStorage({ db: file }));
  const started = performance.now();
  for (let at = 0; at < TOTAL; at += BATCH) {
    const events = Array.from({ length: Math.min(BATCH, TOTAL - at) }, (_, i) => nthEvent(at + i));
    await storage.append({ writeKey: 'bench', events, rejected: at % 25_000 === 0 ? rejectedFlood(at / 25_000) : [] });
  }
  for (let r = 0; r < 100_000 / 500 - Math.ceil(TOTAL / 25_000); r++) await storage.append({ writeKey: 'bench', events: [], rejected: rejectedFlood(1000 + r) });
  for (let k = 0; k < SUBJECTS; k++) await storage.append({ writeKey: 'bench', events: [], rejected: subjectRejected(k) });
  await storage.close();
  return (performance.now() - started) / 1000;
}

(async () => {
  const { openStorage, createStore } = require('@spur/collector');
  const dir = tempDir('erasure');
  const file = path.join(dir, 'spur.db');
  try {
    const seconds = await build(file, openStorage, createStore);
    const size = fs.statSync(file).size;
    console.log(`built ${TOTAL} events (${SUBJECTS} customers of ${PER_SUBJECT}) in ${seconds.toFixed(1)} s; file ${(size / 2 ** 20).toFixed(0)} MiB`);
    const storage = createStore(await openStorage({ db: file }));
    const runs = [];
    for (let k = 0; k < SUBJECTS; k++) {
      const start = performance.now();
      const outcome = await storage.eraseSubject(`cus-${k}`, { at: new Date().toISOString(), suppressUntil: null });
      const ms = performance.now() - start;
      runs.push(ms);
      const wal = fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0;
      console.log(`erased cus-${k}: ${outcome.counts.events} events, ${outcome.counts.rejectedEvents} rejected, in ${ms.toFixed(0)} ms (scrubbed: ${outcome.scrubbed ?? 'n/a'}; WAL now ${wal} bytes)`);
    }
    await storage.close();
    console.log(`median ${median(runs).toFixed(0)} ms (${Math.min(...runs).toFixed(0)}–${Math.max(...runs).toFixed(0)}) over ${runs.length} erasures`);
  } finally {
    cleanup(dir);
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
