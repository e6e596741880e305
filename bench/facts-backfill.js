// Issue 14, rows an older build stored: a shop that upgrades keeps rows whose facts are of
// version 1 (or none), which a catch-up parses from their bodies at every restart. This bench
// takes a SQLite file of the bench's shop written by this build through storage.append, makes every
// row's facts version 1 (what the build before the sales channel wrote: the same array without
// position 20, version 1), and measures:
//   - the first funnel of a restarted `spur serve` on that file (bench/first-funnel.js's oneStart;
//     a fresh copy per start, since each start's backfill begins once its catch-up is done),
//   - the backfill of every row with the collector's job at its default pace, in this process:
//     wall time, CPU time of the process (all threads), and the latency of small appends made
//     meanwhile (20 events every 50 ms, as before it began),
//   - the first funnel of a restarted `spur serve` on the backfilled file.
//
//   npm run build && node bench/facts-backfill.js                 # 1M events, 3 starts before and after
//   node bench/facts-backfill.js --size 200k --runs 1
//   node bench/facts-backfill.js --backfill-only --step-rows 500   # the backfill alone, another step size
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { num, table } = require('./lib/format');
const { appendShop, shopBatches } = require('./lib/shop-events');
const { parseSize } = require('./lib/scale');
const { quantile } = require('./lib/stats');
const { oneStart, median, label } = require('./first-funnel');

const { BACKFILL_STEP_ROWS } = require('../packages/collector/dist/jobs/facts-backfill');

const ROOT = path.join(__dirname, '..');
const OUT = path.join(__dirname, 'out');
const DIST = path.join(ROOT, 'packages/collector/dist');
const PROBE_EVERY_MS = 50;

function args(argv) {
  const get = (name, fallback) => {
    const i = argv.indexOf(name);
    return i === -1 ? fallback : argv[i + 1];
  };
  const quick = argv.includes('--quick');
  const stepRows = get('--step-rows', undefined);
  return {
    size: parseSize(get('--size', quick ? '200k' : '1M')),
    runs: Number(get('--runs', quick ? 1 : 3)),
    stepRows: stepRows === undefined ? undefined : Number(stepRows),
    starts: !argv.includes('--backfill-only'),
  };
}

const removeDb = (file) => ['', '-wal', '-shm'].forEach((s) => fs.rmSync(file + s, { force: true }));

/** The shop's file as this build writes it (facts of the current version), built once. */
async function currentFile(size, log) {
  const file = path.join(OUT, `facts-backfill-${label(size)}.db`);
  if (fs.existsSync(file)) return file;
  const { openSqliteStorage, createStore } = require(DIST);
  fs.mkdirSync(OUT, { recursive: true });
  const building = `${file}.building`;
  removeDb(building);
  const storage = createStore(await openSqliteStorage(building));
  try {
    await appendShop(storage, size, { log, label: 'bench/facts-backfill: building' });
  } finally {
    await storage.close();
  }
  fs.renameSync(building, file);
  removeDb(building);
  return file;
}

/** A copy of `file` whose facts are all version 1, as an older build stored them; built once. */
function versionOneFile(file) {
  const old = file.replace(/\.db$/, '-v1.db');
  if (fs.existsSync(old)) return old;
  const Database = require(require.resolve('better-sqlite3', { paths: [path.join(ROOT, 'packages/collector')] }));
  fs.copyFileSync(file, `${old}.building`);
  const db = new Database(`${old}.building`);
  try {
    db.exec("UPDATE events SET facts = json_set(json_remove(facts, '$[20]'), '$[0]', 1)");
    const stale = db.prepare("SELECT count(*) FROM events WHERE facts LIKE '[1,%'").pluck().get();
    const all = db.prepare('SELECT count(*) FROM events').pluck().get();
    if (stale !== all) throw new Error(`only ${stale} of ${all} rows have version 1 facts`);
  } finally {
    db.close();
  }
  fs.renameSync(`${old}.building`, old);
  return old;
}

/** A fresh copy of `file` to start on (each start backfills part of it). */
function workCopy(file) {
  const work = path.join(OUT, 'facts-backfill-work.db');
  removeDb(work);
  fs.copyFileSync(file, work);
  return work;
}

/** Appends 20 events every PROBE_EVERY_MS while `busy()` says so; resolves the latencies (ms). */
async function probeAppends(storage, busy, seed) {
  const latencies = [];
  let i = 0;
  for (const batch of shopBatches(2e6, { seed, size: 20 })) {
    if (!busy()) break;
    // Names the funnel never asks for and ids of their own: the funnel units stay comparable.
    const events = batch.map((e) => ({ ...e, type: 'track', event: 'Bench Probe', messageId: `probe-${seed}-${i++}`, anonymousId: `probe-${seed}` }));
    const t = process.hrtime.bigint();
    await storage.append({ writeKey: 'bench', events, rejected: [] });
    latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
    await new Promise((r) => setTimeout(r, PROBE_EVERY_MS));
  }
  return latencies;
}

/** The backfill of `file` by the collector's job at its default pace, with appends meanwhile. */
async function backfill(file, stepRows, log) {
  const { openSqliteStorage, createStore } = require(DIST);
  const { createFactsBackfill } = require(path.join(DIST, 'jobs/facts-backfill'));
  const storage = createStore(await openSqliteStorage(file));
  try {
    // Appends alone first, for as long as it takes: what the same appends take without it.
    const idleUntil = Date.now() + 5000;
    const idle = await probeAppends(storage, () => Date.now() < idleUntil, 1);
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    let running = true;
    const job = createFactsBackfill({ storage, stepRows });
    const during = probeAppends(storage, () => running, 2);
    const report = await job.run();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const cpu = process.cpuUsage(cpu0);
    running = false;
    const busy = await during;
    log(`bench/facts-backfill: ${num(report.written)} rows rewritten of ${num(report.looked)} in ${(ms / 1000).toFixed(1)} s`);
    return { report, ms, cpuS: (cpu.user + cpu.system) / 1e6, idle, busy };
  } finally {
    await storage.close();
  }
}

async function factsBackfillBench({ quick = false, log = console.error, argv = [] } = {}) {
  const o = args(quick ? ['--quick', ...argv] : argv);
  const old = versionOneFile(await currentFile(o.size, log));
  const starts = async (file, name) => {
    const runs = [];
    for (let i = 0; i < o.runs; i++) {
      const r = await oneStart(ROOT, workCopy(file));
      log(`bench/facts-backfill: ${name}: funnel ${Math.round(r.funnelMs)} ms, CPU ${r.cpu.toFixed(1)} s (main thread ${r.mainCpu.toFixed(1)} s)`);
      runs.push(r);
    }
    return runs;
  };
  const before = o.starts ? await starts(old, 'version 1 facts') : [];
  const work = workCopy(old);
  const filled = await backfill(work, o.stepRows, log);
  const backfilled = work.replace(/work\.db$/, 'backfilled.db');
  removeDb(backfilled);
  fs.renameSync(work, backfilled);
  const after = o.starts ? await starts(backfilled, 'backfilled') : [];
  removeDb(path.join(OUT, 'facts-backfill-work.db'));

  const ms = (xs) => `${num(Math.round(median(xs)))} ms (${num(Math.round(Math.min(...xs)))}–${num(Math.round(Math.max(...xs)))})`;
  const startRow = (name, runs) => [
    name,
    ms(runs.map((r) => r.funnelMs)),
    `${median(runs.map((r) => r.cpu)).toFixed(1)} s`,
    `${median(runs.map((r) => r.mainCpu)).toFixed(1)} s`,
    runs[0].units.map((u) => num(u)).join(' → '),
  ];
  const { report } = filled;
  const lat = (xs) => `${quantile(xs, 0.5).toFixed(1)} / ${quantile(xs, 0.99).toFixed(1)} ms (n=${xs.length})`;
  const steps = o.stepRows ?? BACKFILL_STEP_ROWS;
  const markdown = [
    ...(o.starts
      ? [
          table(['Store of ' + num(o.size) + ' events', 'First funnel answered', 'CPU to the answer', 'of it the main thread', 'Funnel units'], [
            startRow('facts of version 1 (an older build)', before),
            startRow('after the backfill', after),
          ]),
          '',
        ]
      : []),
    table(
      ['Backfill', 'Rows rewritten', 'Wall time', 'Rows/s', 'CPU (all threads)', 'Appends of 20 alone: median / p99', 'during the backfill'],
      [[
        `the job, ${num(steps)} rows a step, a rest as long as the step`,
        `${num(report.written)} of ${num(report.looked)}`,
        `${(filled.ms / 1000).toFixed(1)} s`,
        num(Math.round(report.looked / (filled.ms / 1000))),
        `${filled.cpuS.toFixed(1)} s`,
        lat(filled.idle),
        lat(filled.busy),
      ]],
    ),
    '',
    `Medians of ${o.runs} start(s) each (range in brackets), times from spawning \`spur serve\`; each start on a fresh copy of the file. ` +
      `Load average when done: ${os.loadavg().map((x) => x.toFixed(2)).join(', ')} (${os.cpus().length} cores).`,
  ].join('\n');
  const same = !o.starts || JSON.stringify(before[0].units) === JSON.stringify(after[0].units);
  return {
    markdown,
    targets: [{ name: 'the backfill leaves the first funnel’s answer as it was', ok: same }],
    data: { size: o.size, before, after, backfill: { ...report, ms: filled.ms, cpuS: filled.cpuS } },
  };
}

module.exports = factsBackfillBench;

if (require.main === module) {
  factsBackfillBench({ argv: process.argv.slice(2) }).then(
    (r) => console.log(r.markdown),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
