// Issue 14: "a collector restarted on 5M stored events answers its first funnel within 15 s".
// Per size (1M and 5M events), a SQLite file is built once per build through that build's
// storage.append (the rules, the real ingest path after validation: bench/lib/shop-events.js's
// shop, the same for every build), kept in bench/out/. Then `spur serve` is started on it,
// without load, and a funnel export is asked for the moment it listens; timed from spawning the
// process: to its `listening on` line, and to the funnel's whole answer; then its RSS and its CPU
// time (user + system from /proc, which a neighbour's load inflates far less than wall time), per
// stored event. A build's file has its own schema: main's (before) cannot open a newer file, and
// the new build reads facts only where ingest wrote them, so each build gets the file it wrote.
//
//   npm run build && node bench/first-funnel.js                      # 1M and 5M, after and before
//   node bench/first-funnel.js --sizes 1M --runs 3
//   node bench/first-funnel.js --before bench/out/before-tree        # main's build (see bench/README.md 11)
//   node bench/first-funnel.js --builds after                        # this build only
//
// The first start on a file records the shop's Cart Abandoned events (the abandonment job, after
// the catch-up and the answer); later starts find them stored (duplicates).
'use strict';
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const http = require('node:http');
const { spawn } = require('node:child_process');
const { num, table } = require('./lib/format');
const { appendShop } = require('./lib/shop-events');

const ROOT = path.join(__dirname, '..');
const OUT = path.join(__dirname, 'out');
const TOKEN = 'bench-admin-token-0123456789abcdef';
const FUNNEL = '/v1/exports/funnel?steps=Product%20Viewed,Product%20Added,Checkout%20Started,Order%20Completed';
/** Issue 14: the first funnel within 15 s of the start, on 5M stored events. */
const TARGET_MS = 15_000;
const TICKS = 100; // clock ticks per second of /proc/<pid>/stat (USER_HZ)

function args(argv) {
  const get = (name, fallback) => {
    const i = argv.indexOf(name);
    return i === -1 ? fallback : argv[i + 1];
  };
  const { parseSize } = require('./lib/scale');
  const quick = argv.includes('--quick');
  return {
    sizes: get('--sizes', quick ? '1M' : '1M,5M').split(',').map(parseSize),
    runs: Number(get('--runs', quick ? 1 : 3)),
    before: path.resolve(get('--before', path.join(OUT, 'before-tree'))),
    builds: get('--builds', 'before,after').split(','),
  };
}

const label = (n) => (n % 1e6 === 0 ? `${n / 1e6}m` : `${n}`);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The shop's file for a build (`tree`: a checkout with built packages), built once. */
async function shopFile(tree, name, size, log) {
  const file = path.join(OUT, `first-funnel-${name}-${label(size)}.db`);
  if (fs.existsSync(file)) return file;
  const { openSqliteStorage, createStore } = require(path.join(tree, 'packages/collector/dist'));
  fs.mkdirSync(OUT, { recursive: true });
  const building = `${file}.building`;
  for (const f of [building, `${building}-wal`, `${building}-shm`]) fs.rmSync(f, { force: true });
  const storage = createStore(await openSqliteStorage(building));
  try {
    await appendShop(storage, size, { log, label: `bench/first-funnel: building ${path.basename(file)}` });
  } finally {
    await storage.close();
  }
  fs.renameSync(building, file);
  for (const f of ['-wal', '-shm']) fs.rmSync(building + f, { force: true });
  return file;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function get(port, pathname) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathname, headers: { Authorization: `Bearer ${TOKEN}` }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
  });
}

/** user + system CPU seconds of a /proc stat file. */
function cpuOf(file) {
  const stat = fs.readFileSync(file, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

/**
 * CPU seconds of a process (all its threads, also those that ended) and of its main thread, and
 * its RSS (bytes), from /proc. On an idle machine with C cores the time to the answer is at least
 * the main thread's CPU time and the process's divided by C.
 */
function usage(pid) {
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
  return { cpu: cpuOf(`/proc/${pid}/stat`), mainCpu: cpuOf(`/proc/${pid}/task/${pid}/stat`), rss };
}

/**
 * One start of `spur serve` (of `tree`) on `file` (or on the database of the flags `database`,
 * e.g. `['--database-url', url]`): times to listening and to the funnel, RSS and CPU after.
 */
async function oneStart(tree, file, database = ['--db', file]) {
  const port = await freePort();
  const started = process.hrtime.bigint();
  const ms = () => Number(process.hrtime.bigint() - started) / 1e6;
  const child = spawn(process.execPath, [path.join(tree, 'packages/cli/bin/spur.js'), 'serve', ...database, '--port', String(port), '--host', '127.0.0.1'], {
    env: { ...process.env, SPUR_ADMIN_TOKEN: TOKEN, SPUR_WRITE_KEYS: 'bench=', SPUR_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  try {
    const listening = await new Promise((resolve, reject) => {
      let out = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (d) => {
        out += d;
        if (/listening on/.test(out)) resolve(ms());
      });
      child.on('exit', (code) => reject(new Error(`spur serve exited (${code}) before listening: ${out.slice(-500)}`)));
    });
    const answer = await get(port, FUNNEL);
    const funnelMs = ms();
    if (answer.status !== 200) throw new Error(`funnel export answered ${answer.status}: ${answer.body.slice(0, 300)}`);
    const { cpu, mainCpu, rss } = usage(child.pid);
    const units = JSON.parse(answer.body).steps.map((s) => s.units);
    return { listening, funnelMs, cpu, mainCpu, rss, units };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

async function firstFunnelBench({ quick = false, log = console.error, argv = [] } = {}) {
  const o = args(quick ? ['--quick', ...argv] : argv);
  const builds = o.builds.includes('after') ? [{ name: 'after', tree: ROOT }] : [];
  const haveBefore = o.builds.includes('before') && fs.existsSync(path.join(o.before, 'packages/cli/bin/spur.js'));
  if (haveBefore) builds.unshift({ name: 'before', tree: o.before });
  const rows = [];
  for (const size of o.sizes) {
    for (const build of builds) {
      const file = await shopFile(build.tree, build.name, size, log);
      const runs = [];
      for (let i = 0; i < o.runs; i++) {
        const r = await oneStart(build.tree, file);
        log(`bench/first-funnel: ${build.name} ${num(size)}: listening ${Math.round(r.listening)} ms, funnel ${Math.round(r.funnelMs)} ms, CPU ${r.cpu.toFixed(1)} s (main thread ${r.mainCpu.toFixed(1)} s), RSS ${Math.round(r.rss / 2 ** 20)} MiB`);
        runs.push(r);
      }
      rows.push({ size, build: build.name, runs, file: path.basename(file), fileMiB: fs.statSync(file).size / 2 ** 20 });
    }
  }
  const fmtMs = (xs) => `${num(Math.round(median(xs)))} ms (${num(Math.round(Math.min(...xs)))}–${num(Math.round(Math.max(...xs)))})`;
  const markdown = [
    table(
      ['Events', 'Build', 'File', 'Listening', 'First funnel answered', 'CPU to the answer, per event', 'of it the main thread', 'RSS after', 'Funnel units'],
      rows.map((r) => {
        const funnel = r.runs.map((x) => x.funnelMs);
        const ok = r.size === 5e6 ? (median(funnel) <= TARGET_MS ? ' ✅' : ' ❌') : '';
        return [
          num(r.size),
          r.build,
          `${num(Math.round(r.fileMiB))} MiB`,
          fmtMs(r.runs.map((x) => x.listening)),
          fmtMs(funnel) + ok,
          `${((median(r.runs.map((x) => x.cpu)) / r.size) * 1e6).toFixed(2)} µs (${median(r.runs.map((x) => x.cpu)).toFixed(1)} s)`,
          `${((median(r.runs.map((x) => x.mainCpu)) / r.size) * 1e6).toFixed(2)} µs (${median(r.runs.map((x) => x.mainCpu)).toFixed(1)} s)`,
          `${num(Math.round(median(r.runs.map((x) => x.rss)) / 2 ** 20))} MiB`,
          r.runs[0].units.map((u) => num(u)).join(' → '),
        ];
      }),
    ),
    '',
    `Medians of ${o.runs} start(s) per build and size (range in brackets); times from spawning \`spur serve\`. ` +
      (haveBefore ? `Before: \`${path.relative(ROOT, o.before)}\`.` : 'No before build found (--before): after only.'),
  ].join('\n');
  const big = rows.find((r) => r.size === 5e6 && r.build === 'after');
  const targets = big ? [{ name: 'first funnel within 15 s of a restart on 5M stored events', ok: median(big.runs.map((x) => x.funnelMs)) <= TARGET_MS }] : [];
  return { markdown, targets, data: rows };
}

module.exports = { firstFunnelBench, oneStart, median, label };

if (require.main === module) {
  firstFunnelBench({ argv: process.argv.slice(2) }).then(
    (r) => console.log(r.markdown),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
