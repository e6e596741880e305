// Ingest on PostgreSQL next to SQLite, in one run on this machine: `spur serve` processes as a
// shop runs them, closed-loop load of SDK-shaped batches (20 events a request, fresh messageIds)
// over keep-alive connections on loopback. Three setups: one collector on a fresh SQLite file;
// one collector on a fresh PostgreSQL database; three collectors on one PostgreSQL database, each
// with its own connections (the load balancer's share). PostgreSQL is a durable server of its own
// (bench/lib/postgres.js: fsync on, synchronous_commit = on) on the same cores as the collectors
// and the load generator. Every run is checked: events stored = events acknowledged.
'use strict';
const autocannon = require('autocannon');
const { Client } = require('pg');
const { startCollector, spawnListening, countStored, cleanup, ROOT } = require('./lib/collector');
const { batchFactory } = require('./lib/events');
const { startDurablePostgres } = require('./lib/postgres');
const { median } = require('./lib/stats');
const { num, mark, table } = require('./lib/format');
const path = require('node:path');

const CONNECTIONS = 16;
const BATCH = 20;
const TARGET = 15_000;
const WRITE_KEY = 'bench';
const HEADERS = { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}` };
const CLI = path.join(ROOT, 'packages', 'cli', 'bin', 'spur.js');

/** `spur serve` on a PostgreSQL database; resolves once it listens. */
function startPgCollector(url) {
  return spawnListening(CLI, ['serve', '--port', '0', '--host', '127.0.0.1', '--database-url', url], {
    env: { SPUR_RATE_LIMIT: '0', SPUR_EVENT_RATE_LIMIT: '0', SPUR_WRITE_KEYS: WRITE_KEY, SPUR_ADMIN_TOKEN: 'bench-admin' },
  });
}

/**
 * Closed-loop load of `amount` requests per target URL, all targets at once; resolves to the
 * events acknowledged, events/s over the wall time, and latency percentiles of every request.
 */
async function load(urls, amount, factory) {
  const started = process.hrtime.bigint();
  let accepted = 0;
  let failed = 0;
  const runs = await Promise.all(
    urls.map(
      (url) =>
        new Promise((resolve, reject) => {
          autocannon(
            {
              url,
              connections: CONNECTIONS,
              amount,
              timeout: 30,
              requests: [
                {
                  method: 'POST',
                  path: '/v1/batch',
                  headers: HEADERS,
                  setupRequest: (req) => ({ ...req, body: factory.next() }),
                  onResponse: (status, body) => {
                    if (status !== 200) return void failed++;
                    accepted += JSON.parse(body).accepted;
                  },
                },
              ],
            },
            (err, result) => (err ? reject(err) : resolve(result)),
          );
        }),
    ),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  // Percentiles of all targets' requests: autocannon's histograms are per instance, so the worst.
  return {
    accepted,
    failed: failed + runs.reduce((n, r) => n + r.errors + r.timeouts, 0),
    eventsPerSec: accepted / seconds,
    p50: Math.max(...runs.map((r) => r.latency.p50)),
    p99: Math.max(...runs.map((r) => r.latency.p99)),
  };
}

async function pgCount(url) {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return Number((await client.query('SELECT count(*) AS n FROM events')).rows[0].n);
  } finally {
    await client.end();
  }
}

/** One setup: start, warm up, measure, stop, count. */
async function run(setup, { cluster, seconds, warmup }) {
  const factory = batchFactory(BATCH);
  let servers;
  let count;
  let done = async () => undefined;
  if (setup === 'sqlite') {
    const c = await startCollector({ writeKeys: WRITE_KEY });
    servers = [c];
    count = async () => countStored(c.db).events;
    done = async () => cleanup(c.dir);
  } else {
    const name = `bench_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
    const admin = new Client({ connectionString: cluster.url() });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = cluster.url(name);
    // One starts first and migrates; the others find the schema in place.
    servers = [await startPgCollector(url)];
    if (setup === 'postgres ×3') servers.push(...(await Promise.all([startPgCollector(url), startPgCollector(url)])));
    count = () => pgCount(url);
  }
  try {
    const urls = servers.map((s) => s.url);
    const warm = await load(urls, Math.round(400 * warmup), factory);
    // Sized by the warm-up's rate to last about `seconds`.
    const perTarget = Math.max(50, Math.round(((warm.eventsPerSec / BATCH) * seconds) / urls.length));
    const measured = await load(urls, perTarget, factory);
    for (const s of servers) await s.stop();
    const stored = await count();
    return { ...measured, honest: stored === warm.accepted + measured.accepted && warm.failed + measured.failed === 0, stored, acknowledged: warm.accepted + measured.accepted };
  } finally {
    for (const s of servers) await s.stop();
    await done();
  }
}

const SETUPS = ['sqlite', 'postgres', 'postgres ×3'];
const LABELS = { sqlite: '1 collector, SQLite', postgres: '1 collector, PostgreSQL', 'postgres ×3': '3 collectors, one PostgreSQL database' };

/** The section: resolves to { markdown, targets, data }. */
module.exports = async function postgresIngest({ quick = false, log = console.error } = {}) {
  const reps = quick ? 1 : 3;
  const seconds = quick ? 4 : 10;
  const warmup = quick ? 1 : 2;
  const cluster = await startDurablePostgres();
  log(`postgres: ${reps} × (${SETUPS.join(', ')}), ${seconds} s each after ${warmup} s warm-up; PostgreSQL ${cluster.version}, durable`);
  const results = Object.fromEntries(SETUPS.map((s) => [s, []]));
  try {
    for (let i = 0; i < reps; i++) {
      for (const setup of SETUPS) {
        const r = await run(setup, { cluster, seconds, warmup });
        log(`  ${setup} ${i + 1}: ${num(r.eventsPerSec)} events/s, p50 ${r.p50} ms, p99 ${r.p99} ms; stored ${r.stored} / acknowledged ${r.acknowledged}${r.honest ? '' : ' MISMATCH'}`);
        results[setup].push(r);
      }
    }
  } finally {
    await cluster.destroy();
  }
  const eps = (s) => median(results[s].map((r) => r.eventsPerSec));
  const honest = SETUPS.every((s) => results[s].every((r) => r.honest));
  const rows = SETUPS.map((s) => [
    `${LABELS[s]} (${CONNECTIONS}${s === 'postgres ×3' ? ' connections each' : ' connections'})`,
    `${num(eps(s))} events/s`,
    results[s].map((r) => num(r.eventsPerSec)).join(', '),
    `p50 ${num(median(results[s].map((r) => r.p50)), 1)} ms, p99 ${num(median(results[s].map((r) => r.p99)), 1)} ms`,
    s === 'postgres' ? `≥ ${num(TARGET)} events/s` : '',
    s === 'postgres' ? mark(eps(s) >= TARGET) : '',
  ]);
  rows.push(['stored rows = acknowledged events (every run)', honest ? 'yes' : 'NO', '', '', 'yes', mark(honest)]);
  const markdown = table(['setup', 'median', 'runs', 'latency (median of runs)', 'target', ''], rows);
  return {
    markdown,
    targets: [{ name: 'one collector on PostgreSQL', ok: eps('postgres') >= TARGET }, { name: 'stored = acknowledged', ok: honest }],
    data: results,
  };
};

if (require.main === module) {
  module.exports({ quick: process.argv.includes('--quick') }).then((r) => console.log(r.markdown));
}
