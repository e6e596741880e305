// A flood from one address next to a good client. The collector runs as `spur serve` with its
// default limits (a fresh SQLite file, loopback). A good client sends paced SDK-like batches (20
// events, 20 requests/s) from 127.0.0.1 throughout; a flooder process (lib/flooder.js) posts
// 5,000-event batches of invalid events as fast as the collector answers, over 16 keep-alive
// connections bound to 127.0.0.2, so that the collector sees two addresses. Quiet and flooded
// windows alternate, so that what other jobs of a shared machine do falls on both alike.
// Reported: the good client's p50/p99 quiet and flooded, what the flooder was answered, and what
// the flood added to the database.
'use strict';
const { fork } = require('node:child_process');
const path = require('node:path');
const { startCollector, cleanup } = require('./lib/collector');
const { batchFactory } = require('./lib/events');
const { pacedLoad } = require('./lib/paced-load');
const { median, quantile } = require('./lib/stats');
const { num, mark, table, printSection } = require('./lib/format');

const GOOD_RATE = 20; // requests/s of 20 events: 400 events/s
const FLOOD_CONNECTIONS = 16;
const FLOOD_ADDRESS = '127.0.0.2';
const P99_FACTOR_TARGET = 5;
const HEADERS = { 'content-type': 'text/plain', authorization: `Basic ${Buffer.from('bench:').toString('base64')}` };

// The collector's own SQLite driver (as lib/collector.js does).
function sqlite() {
  const collectorDir = path.dirname(require.resolve('@spur/collector/package.json'));
  return require(require.resolve('better-sqlite3', { paths: [collectorDir] }));
}

/**
 * What the database holds now, read on a connection of its own while the collector runs: its
 * logical size (pages × page size, committed WAL frames included), and the bytes and rows of the
 * tables of rejected events with their indexes (only the flood sends invalid events).
 */
function measureDb(file) {
  const Database = sqlite();
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const size = db.pragma('page_count', { simple: true }) * db.pragma('page_size', { simple: true });
    const rejectedBytes =
      db.prepare("SELECT coalesce(sum(pgsize), 0) AS n FROM dbstat WHERE name IN (SELECT name FROM sqlite_schema WHERE tbl_name LIKE '%reject%')").get().n;
    let rejectedRows = NaN;
    try {
      rejectedRows = db.prepare('SELECT count(*) AS n FROM rejected_events').get().n;
    } catch {
      // another schema: the bytes above still count
    }
    return { size, rejectedBytes, rejectedRows };
  } finally {
    db.close();
  }
}

/** Starts the flooder process against `url`, paused; resolves to { pause(), resume(), stop() -> its counts }. */
function startFlooder(url) {
  const child = fork(path.join(__dirname, 'lib', 'flooder.js'), [
    JSON.stringify({ url, localAddress: FLOOD_ADDRESS, connections: FLOOD_CONNECTIONS, writeKey: 'flood', paused: true }),
  ]);
  const ask = (message) =>
    new Promise((resolve) => {
      child.once('message', resolve);
      child.send(message);
    });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('message', (first) => {
      if (first !== 'started') return reject(new Error(`flooder: ${JSON.stringify(first)}`));
      resolve({ pause: () => ask('pause'), resume: () => ask('resume'), stop: () => ask('stop') });
    });
  });
}

/** The good client: `seconds` of paced batches; its latencies and refusals. */
async function good(url, factory, seconds) {
  const r = await pacedLoad(url, { rate: GOOD_RATE, amount: GOOD_RATE * seconds, connections: 8, headers: HEADERS, body: () => factory.next() });
  return { latencies: r.latencies, refused: r.non2xx, errors: r.errors };
}

/** Latencies of several windows as one: p50, p99, refusals. */
function pooled(windows) {
  const latencies = windows.flatMap((w) => w.latencies);
  return { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), samples: latencies.length, refused: windows.reduce((n, w) => n + w.refused + w.errors, 0) };
}

/** One run: `cycles` × (a quiet window, then a flooded one), `window` seconds each. */
async function run({ cycles, window }) {
  // Empty values: the collector's defaults, as a shop runs it (lib/collector.js turns the rate
  // limits off for throughput runs).
  const collector = await startCollector({ writeKeys: 'bench;flood', env: { SPUR_RATE_LIMIT: '', SPUR_EVENT_RATE_LIMIT: '' } });
  const factory = batchFactory(20);
  try {
    await good(collector.url, factory, 2); // warm-up
    const flooder = await startFlooder(collector.url);
    const before = measureDb(collector.db);
    const quiet = [];
    const flooded = [];
    let floodMs = 0;
    for (let c = 0; c < cycles; c++) {
      quiet.push(await good(collector.url, factory, window));
      const started = Date.now();
      await flooder.resume();
      await new Promise((resolve) => setTimeout(resolve, 1000)); // let it reach full speed
      flooded.push(await good(collector.url, factory, window));
      await flooder.pause();
      floodMs += Date.now() - started;
    }
    const flood = await flooder.stop();
    const after = measureDb(collector.db);
    return {
      quiet: pooled(quiet),
      flooded: pooled(flooded),
      flood,
      floodSeconds: floodMs / 1000,
      dbGrowth: after.size - before.size,
      rejectedBytes: after.rejectedBytes - before.rejectedBytes,
      rejectedRows: after.rejectedRows - before.rejectedRows,
    };
  } finally {
    await collector.stop();
    cleanup(collector.dir);
  }
}

const statusText = (byStatus) =>
  Object.entries(byStatus)
    .map(([status, n]) => `${num(n)} × ${status}`)
    .join(', ') || 'none';

/** Runs the flood section. Resolves to { markdown, targets, data }. */
/** Runs the flood section. Resolves to { markdown, targets, data }. */
module.exports = async function flood({ quick = false, log = console.error } = {}) {
  const reps = quick ? 1 : 2;
  const cycles = quick ? 2 : 4;
  const window = 5;
  log(`flood: ${reps} × ${cycles} × (${window} s quiet, ${window} s flooded from ${FLOOD_ADDRESS}); good client ${GOOD_RATE} req/s of 20 events`);
  const runs = [];
  for (let i = 0; i < reps; i++) {
    const r = await run({ cycles, window });
    log(
      `  run ${i + 1}: good p50/p99 quiet ${num(r.quiet.p50, 1)}/${num(r.quiet.p99, 1)} ms, flooded ${num(r.flooded.p50, 1)}/${num(r.flooded.p99, 1)} ms ` +
        `(${r.quiet.samples}/${r.flooded.samples} samples, refused ${r.quiet.refused + r.flooded.refused}); flooder over ${num(r.floodSeconds, 1)} s: ` +
        `${statusText(r.flood.byStatus)}, ${r.flood.errors} without answer, ${num(r.flood.eventsAnswered)} events answered; ` +
        `rejected rows +${num(r.rejectedRows)}, ${num(r.rejectedBytes)} B; db +${num(r.dbGrowth)} B`,
    );
    runs.push(r);
  }
  const m = (f) => median(runs.map(f));
  const ratio = m((r) => r.flooded.p99 / r.quiet.p99);
  const ok = ratio <= P99_FACTOR_TARGET && runs.every((r) => r.quiet.refused + r.flooded.refused === 0);
  const perRun = (f) => runs.map(f).join(' / ');
  const rows = [
    ['good client p50, quiet → flooded', perRun((r) => `${num(r.quiet.p50, 1)} → ${num(r.flooded.p50, 1)} ms`), ''],
    ['good client p99, quiet → flooded', perRun((r) => `${num(r.quiet.p99, 1)} → ${num(r.flooded.p99, 1)} ms`), ''],
    [`flooded p99 ÷ quiet p99, median (target ≤ ${P99_FACTOR_TARGET}, good client never refused)`, num(ratio, 2), mark(ok)],
    ['good client requests refused or failed', perRun((r) => num(r.quiet.refused + r.flooded.refused)), ''],
    ['flooder answers', perRun((r) => `${statusText(r.flood.byStatus)} in ${num(r.floodSeconds, 1)} s`), ''],
    ['flooder requests without an answer (connection closed)', perRun((r) => num(r.flood.errors)), ''],
    ['flood events the collector took in (answered 200)', perRun((r) => num(r.flood.eventsAnswered)), ''],
    ['rejected-event rows added / their bytes in the database', perRun((r) => `${num(r.rejectedRows)} / ${num(r.rejectedBytes)} B`), ''],
    ['database growth over the run (good client included)', perRun((r) => `${num(r.dbGrowth)} B`), ''],
  ];
  const markdown = [
    `${reps} run(s) of ${cycles} × (${window} s quiet, ${window} s flooded); figures per run. Good client: ${GOOD_RATE} requests/s of 20 events from 127.0.0.1; ` +
      `flooder: 5,000 invalid events per request (${FLOOD_CONNECTIONS} connections from ${FLOOD_ADDRESS}), as fast as answered.`,
    '',
    table(['Figure', 'Value', 'Target'], rows),
  ].join('\n');
  return {
    markdown,
    targets: [{ name: `flood: good client's p99 within ${P99_FACTOR_TARGET}× of quiet while one address floods`, ok }],
    data: runs,
  };
};

if (require.main === module) printSection(module.exports({ quick: process.argv.includes('--quick') }));
