// Restart time of `spur serve` on a large database (issue 13): from process start to listening,
// to ingest-ready (/readyz 200), to the first stored batch, and to analytics ready (the first
// funnel export answered; also /readyz/analytics once it says ready), after a clean stop and after
// a SIGKILL under load that leaves a large WAL behind.
//
//   npm run build && node bench/restart.js           # 1 GiB database, 5 runs per case
//   node bench/restart.js --runs 3 --size 2g --wal 1g
//   node bench/restart.js --cli /path/to/other/checkout/packages/cli/bin/spur.js   # another build
//   node bench/restart.js --stages     # where the time goes: each stage of a start, in-process
//
// The database is built once into bench/out/restart-<size>.db (about 20 s) and reused; each run
// works on a copy of it in bench/out/, so every run starts from the same file.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { bigDatabase } = require('./lib/big-database');
const { batchFactory } = require('./lib/events');
const { machine } = require('./lib/machine');
const { num, mark, table, printSection } = require('./lib/format');
const { summary } = require('./lib/stats');

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(__dirname, 'out');
const WRITE_KEY = 'bench';
const ADMIN_TOKEN = 'bench-restart-admin-token-0123456789';
const LISTEN_TARGET_MS = 2000;
/** Keep-alive connections of the load: each sends its next batch of 20 when the last is answered. */
const CONNECTIONS = 8;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sizeOf = (file) => (fs.existsSync(file) ? fs.statSync(file).size : 0);

function args(argv) {
  const get = (name, fallback) => {
    const i = argv.indexOf(name);
    return i === -1 ? fallback : argv[i + 1];
  };
  const quick = argv.includes('--quick');
  return {
    runs: Number(get('--runs', quick ? 3 : 5)),
    size: get('--size', '1g'),
    wal: get('--wal', '512m'),
    cli: path.resolve(get('--cli', path.join(ROOT, 'packages/cli/bin/spur.js'))),
    stages: argv.includes('--stages'),
  };
}

/** "1g" -> 2^30, "512m" -> 2^29 bytes. */
function binaryBytes(text) {
  const m = /^(\d+(?:\.\d+)?)([mMgG])$/.exec(text.trim());
  if (!m) throw new Error(`bench/restart: a size is like 512m or 1g; got ${text}`);
  return Math.round(Number(m[1]) * 2 ** (m[2].toLowerCase() === 'g' ? 30 : 20));
}

/** One HTTP request on `agent`; resolves to { status, body } or { error }. */
function request(port, { method = 'GET', path: p, body, headers = {}, agent }) {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, method, agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (err) => resolve({ error: err.message }));
    });
    req.setTimeout(120_000, () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ error: err.code || err.message }));
    req.end(body);
  });
}

/**
 * Starts `spur serve` on `db` and resolves at once to { child, t0, listening, exited }: `t0` is
 * when it was spawned (performance.now()), `listening` resolves to the ms from t0 to the
 * "listening on" line.
 */
function startServe(cli, db, port) {
  const t0 = performance.now();
  const child = spawn(process.execPath, [cli, 'serve', '--port', String(port), '--host', '127.0.0.1', '--db', db], {
    env: { ...process.env, SPUR_WRITE_KEYS: WRITE_KEY, SPUR_ADMIN_TOKEN: ADMIN_TOKEN, SPUR_RATE_LIMIT: '0', SPUR_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const listening = new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      if (/listening on/.test(out)) {
        resolve(performance.now() - t0);
        child.stdout.removeAllListeners('data');
        child.stdout.resume();
      }
    });
    exited.then((code) => reject(new Error(`spur serve exited (${code}) before listening: ${err || out}`)));
  });
  listening.catch(() => undefined);
  return { child, t0, listening, exited };
}

async function stop(server, signal = 'SIGTERM') {
  if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill(signal);
  return server.exited;
}

/**
 * Load of CONNECTIONS closed-loop clients posting batches of 20 events; a refused connection or a
 * 5xx is retried after 20 ms (as the SDK would, sooner). `firstOkAfter(t)` resolves at the first
 * 2xx answered after time t.
 */
function startLoad(port) {
  let running = true;
  const waiters = [];
  async function client() {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const bodies = batchFactory(20, 50);
    let body = bodies.next();
    while (running) {
      const answer = await request(port, {
        method: 'POST',
        path: '/v1/batch',
        body,
        agent,
        headers: { 'content-type': 'text/plain', 'x-spur-write-key': WRITE_KEY },
      });
      if (answer.status === 200) {
        const now = performance.now();
        for (let i = waiters.length - 1; i >= 0; i--) {
          if (waiters[i].after <= now) waiters.splice(i, 1)[0].resolve(now);
        }
        body = bodies.next();
      } else {
        await sleep(20);
      }
    }
    agent.destroy();
  }
  const clients = Array.from({ length: CONNECTIONS }, client);
  return {
    firstOkAfter: (after) => new Promise((resolve) => waiters.push({ after, resolve })),
    async stop() {
      running = false;
      await Promise.all(clients);
    },
  };
}

/**
 * Holds one read transaction open on `db` in a process of its own, as a backup or a long export
 * would: checkpoints cannot reset the WAL meanwhile, so it grows with every commit.
 */
function pinSnapshot(db) {
  const driver = require.resolve('better-sqlite3', { paths: [path.join(ROOT, 'packages/collector')] });
  const code = `const D = require(${JSON.stringify(driver)}); const db = new D(${JSON.stringify(db)});
db.exec('BEGIN'); db.prepare('SELECT count(*) FROM health').get(); process.stdout.write('pinned\\n'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => child.stdout.once('data', () => resolve(child)));
}

/**
 * After spawning: polls /readyz until 200 (ingest-ready) and until it reports analytics ready,
 * and asks for a funnel export at once (answered when the analytics caught up). Resolves to the
 * ms from t0 of each; analytics from /readyz is NaN when this build does not report it.
 */
async function measureStart(server, port, load) {
  const listenMs = await server.listening;
  const exportAnswered = request(port, { path: '/v1/exports/funnel', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }).then((r) => {
    if (r.status !== 200) throw new Error(`funnel export answered ${r.status ?? r.error}: ${String(r.body).slice(0, 200)}`);
    return performance.now() - server.t0;
  });
  // NaN when nothing was stored within 5 minutes (or there is no load).
  const firstStored = load
    ? Promise.race([load.firstOkAfter(server.t0).then((t) => t - server.t0), new Promise((r) => setTimeout(() => r(NaN), 300_000).unref())])
    : Promise.resolve(NaN);
  let readyMs = NaN;
  let analyticsMs = NaN;
  let exportMs = NaN;
  exportAnswered.then(
    (ms) => (exportMs = ms),
    () => undefined, // thrown again where it is awaited below
  );
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  for (const deadline = performance.now() + 300_000; performance.now() < deadline; ) {
    const r = await request(port, { path: '/readyz', agent });
    const at = performance.now() - server.t0;
    if (r.status === 200) {
      if (Number.isNaN(readyMs)) readyMs = at;
      const body = JSON.parse(r.body);
      if (body.analytics?.ready === true && Number.isNaN(analyticsMs)) analyticsMs = at;
      // A build without analytics in /readyz: the export says when they were ready.
      if ((body.analytics === undefined || !Number.isNaN(analyticsMs)) && !Number.isNaN(exportMs)) break;
    }
    await sleep(10);
  }
  agent.destroy();
  await exportAnswered;
  return { listenMs, readyMs, storedMs: await firstStored, analyticsMs, exportMs };
}

/** A fresh working copy of the built database (and no WAL): every run starts from the same file. */
function freshCopy(base, work) {
  for (const f of [work, `${work}-wal`, `${work}-shm`]) fs.rmSync(f, { force: true });
  fs.copyFileSync(base, work);
}

let nextPort = 18700 + (process.pid % 500);

/** Clean stop: start, wait for analytics, SIGTERM; then the measured start. */
async function cleanRun(o, base, work) {
  freshCopy(base, work);
  const port = nextPort++;
  const first = startServe(o.cli, work, port);
  await first.listening;
  await measureStart(first, port, null);
  const code = await stop(first);
  if (code !== 0) throw new Error(`spur serve exited ${code} on SIGTERM`);
  const server = startServe(o.cli, work, port);
  try {
    return { ...(await measureStart(server, port, null)), walMiB: 0 };
  } finally {
    await stop(server);
  }
}

/**
 * A fresh copy of the database, served under load while a snapshot is pinned until the WAL has
 * grown to o.wal, then SIGKILLed (the pinning reader too). Resolves to the load, still running.
 */
async function crashUnderLoad(o, base, work, port) {
  freshCopy(base, work);
  const first = startServe(o.cli, work, port);
  await first.listening;
  const reader = await pinSnapshot(work);
  const load = startLoad(port);
  const walBytes = binaryBytes(o.wal);
  for (const deadline = Date.now() + 300_000; sizeOf(`${work}-wal`) < walBytes && Date.now() < deadline; ) await sleep(50);
  first.child.kill('SIGKILL');
  reader.kill('SIGKILL');
  await first.exited;
  await new Promise((r) => (reader.exitCode !== null || reader.signalCode !== null ? r() : reader.once('exit', r)));
  return load;
}

/** SIGKILL under load with a large WAL: load while a snapshot is pinned, kill both, restart under the same load. */
async function crashRun(o, base, work) {
  const port = nextPort++;
  const load = await crashUnderLoad(o, base, work, port);
  const walMiB = sizeOf(`${work}-wal`) / 2 ** 20;
  const server = startServe(o.cli, work, port);
  try {
    return { ...(await measureStart(server, port, load)), walMiB };
  } finally {
    await load.stop();
    await stop(server);
  }
}

const STAGES = [
  ['processToScript', 'process start to the first line of JavaScript'],
  ['modules', 'loading what `spur serve` loads'],
  ['open', 'opening: writer thread, WAL recovery, migrations, read connection'],
  ['firstWrite', 'the first write (readiness probe)'],
  ['catchUp', 'analytics catch-up of every stored event'],
  ['app', 'building the app'],
  ['listen', 'listening'],
];

/** One in-process start (lib/start-stages.js) on `db`; resolves to its stages in ms. */
function stagesOnce(cli, db) {
  // It ends with SIGKILL on purpose (no checkpoint at close): read what it printed before.
  const r = spawnSync(process.execPath, ['--max-old-space-size=8192', path.join(__dirname, 'lib/start-stages.js'), cli, db], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = r.stdout.trim().split('\n').pop();
  if (!line || !line.startsWith('{')) throw new Error(`bench/restart: a start failed (${r.status ?? r.signal})`);
  return JSON.parse(line);
}

/** Each stage of a start, after a clean stop and after a SIGKILL under load (the same files each run). */
async function stagesBench(o, base, work, log) {
  const clean = [];
  const crashed = [];
  const saved = path.join(OUT, `restart-${o.size}.crashed.db`);
  try {
    const load = await crashUnderLoad(o, base, work, nextPort++);
    await load.stop();
    for (const ext of ['', '-wal']) fs.copyFileSync(`${work}${ext}`, `${saved}${ext}`);
    const walMiB = sizeOf(`${saved}-wal`) / 2 ** 20;
    for (let i = 0; i < o.runs; i++) {
      log(`bench/restart: stages, run ${i + 1} of ${o.runs}...`);
      freshCopy(base, work);
      clean.push(stagesOnce(o.cli, work));
      freshCopy(saved, work);
      fs.copyFileSync(`${saved}-wal`, `${work}-wal`);
      crashed.push(stagesOnce(o.cli, work));
    }
    const cell = (runs, key) => {
      const s = summary(runs.map((r) => r[key]));
      return `${num(s.median)} ms (${num(s.min)}–${num(s.max)})`;
    };
    const rows = STAGES.map(([key, name]) => [name, cell(clean, key), cell(crashed, key)]);
    return { rows, walMiB, data: { clean, crashed } };
  } finally {
    for (const f of [`${saved}`, `${saved}-wal`, `${saved}-shm`]) fs.rmSync(f, { force: true });
  }
}

async function restartBench({ quick = false, log = console.error, argv = [] } = {}) {
  const o = args(quick ? ['--quick', ...argv] : argv);
  const base = path.join(OUT, `restart-${o.size}.db`);
  const work = path.join(OUT, `restart-${o.size}.work.db`);
  const built = await bigDatabase(base, binaryBytes(o.size), log);
  log(`bench/restart: ${path.relative(ROOT, base)}: ${num(built.events)} events, ${num(built.bytes / 2 ** 20)} MiB${built.built ? `, built in ${num(built.ms / 1000, 1)} s` : ''}`);
  const m = machine();
  const about = `Machine: ${m.cpu}, ${m.cores} cores, Node ${m.node}, load ${m.load}. \`${path.relative(ROOT, o.cli) || o.cli}\` on a copy of ${path.relative(ROOT, base)} (${num(built.events)} events, ${num(built.bytes / 2 ** 20)} MiB).`;
  if (o.stages) {
    try {
      const stages = await stagesBench(o, base, work, log);
      const markdown = [
        `${about} Each stage of a start in one process (bench/lib/start-stages.js), in the order run; medians of ${o.runs} runs (range in brackets).`,
        '',
        table(['Stage', 'After a clean stop', `After a SIGKILL under load (WAL ${num(stages.walMiB)} MiB)`], stages.rows),
      ].join('\n');
      return { markdown, targets: [], data: stages.data };
    } finally {
      for (const f of [work, `${work}-wal`, `${work}-shm`]) fs.rmSync(f, { force: true });
    }
  }
  const cases = [
    ['clean stop (SIGTERM), no load', cleanRun],
    [`SIGKILL under load, WAL ≥ ${o.wal} left behind; restarted under the same load`, crashRun],
  ];
  const rows = [];
  const data = {};
  const targets = [];
  try {
    for (const [name, run] of cases) {
      const runs = [];
      for (let i = 0; i < o.runs; i++) {
        log(`bench/restart: ${name}, run ${i + 1} of ${o.runs}...`);
        const r = await run(o, base, work);
        log(`bench/restart:   listening ${num(r.listenMs)} ms, ready ${num(r.readyMs)} ms, first stored ${num(r.storedMs)} ms, analytics ${num(r.analyticsMs)} ms, export ${num(r.exportMs)} ms, WAL ${num(r.walMiB)} MiB`);
        runs.push(r);
      }
      const col = (key) => summary(runs.map((r) => r[key]));
      const cell = (s) => (s.n ? `${num(s.median)} ms (${num(s.min)}–${num(s.max)})` : 'n/a');
      const listen = col('listenMs');
      rows.push([name, `${num(summary(runs.map((r) => r.walMiB)).median)} MiB`, `${cell(listen)} ${mark(listen.median < LISTEN_TARGET_MS)}`, cell(col('readyMs')), cell(col('storedMs')), cell(col('analyticsMs')), cell(col('exportMs'))]);
      targets.push({ name: `listening within 2 s of start on ${o.size.toUpperCase()} after a ${name.split(',')[0]}`, ok: listen.median < LISTEN_TARGET_MS });
      data[name] = runs;
    }
  } finally {
    for (const f of [work, `${work}-wal`, `${work}-shm`]) fs.rmSync(f, { force: true });
  }
  const markdown = [
    `${about} Times from spawning the process; medians of ${o.runs} runs (range in brackets). Load: ${CONNECTIONS} keep-alive connections posting batches of 20 events.`,
    '',
    table(['Restart after', 'WAL at start', 'Listening', '/readyz 200 (ingest)', 'First batch stored', '/readyz analytics ready', 'First funnel export answered'], rows),
  ].join('\n');
  return { markdown, targets, data };
}

module.exports = restartBench;

if (require.main === module) printSection(restartBench({ argv: process.argv.slice(2) }));
