// How long `npm start` takes until the demo listens: from spawning it to the line the demo prints
// once the collector and the shop both listen. Cases: nothing changed since the last build (the
// usual one); an SDK source changed (rollup runs; the source is only touched, its mtime moves);
// and, for comparison, a full build before the demo (`npm run build && node examples/shop/demo.js`,
// what `npm start` ran before it built only what changed). Each start runs on free ports with a
// throwaway database and is stopped with SIGTERM; the cases take turns, so that a machine whose
// load changes meanwhile weighs on each alike. Run on its own: `node bench/start.js [--quick]`.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { summary } = require('./lib/stats');
const { num, table, printSection } = require('./lib/format');

const ROOT = path.join(__dirname, '..');
const RUNS = 5;
const QUICK_RUNS = 3;
const TIMEOUT_MS = 180_000;
// What the demo prints once both servers listen (examples/shop/demo.js).
const READY = /^ {2}shop {8}http/m;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** One start (a shell command): milliseconds until the demo says it listens. Stops it before resolving. */
async function startOnce(command = 'npm start') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spur-bench-start-'));
  const env = { ...process.env, SPUR_PORT: String(await freePort()), SPUR_SHOP_PORT: String(await freePort()), SPUR_DB: path.join(dir, 'spur.db'), SPUR_ADMIN_TOKEN: 'bench-start' };
  const t0 = process.hrtime.bigint();
  // Its own process group, so that npm, the build and the demo all get the signal.
  const child = spawn('sh', ['-c', command], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${command} did not listen within ${TIMEOUT_MS / 1000} s:\n${out}`)), TIMEOUT_MS);
      const onData = (chunk) => {
        out += chunk;
        if (READY.test(out)) {
          clearTimeout(timer);
          resolve(Number(process.hrtime.bigint() - t0) / 1e6);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      exited.then((code) => reject(new Error(`${command} exited (${code}) before listening:\n${out}`)));
    });
  } finally {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    await exited;
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Moves a file's mtime to now, as an editor's save would. */
function touch(file) {
  const now = new Date();
  fs.utimesSync(path.join(ROOT, file), now, now);
}

const CASES = [
  { name: '`npm start`, nothing changed since the last build', command: 'npm start', before: () => undefined },
  { name: '`npm start`, an SDK source changed (packages/sdk/src/track.ts)', command: 'npm start', before: () => touch('packages/sdk/src/track.ts') },
  { name: '`npm run build && node examples/shop/demo.js` (a full build first)', command: 'npm run build && node examples/shop/demo.js', before: () => undefined },
];

module.exports = async function startBench({ quick = false, log = () => undefined } = {}) {
  const runs = quick ? QUICK_RUNS : RUNS;
  // A first start brings the build up to date, so that every case starts from the same state.
  log('start: a first npm start to bring the build up to date');
  await startOnce();
  const times = CASES.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (const [k, c] of CASES.entries()) {
      c.before();
      times[k].push(await startOnce(c.command));
      log(`start: ${c.name}: ${num(times[k].at(-1))} ms`);
    }
  }
  const rows = [];
  const data = {};
  for (const [k, c] of CASES.entries()) {
    const s = summary(times[k]);
    data[c.name] = s;
    rows.push([c.name, `${num(s.median / 1000, 2)} s`, `${num(s.min / 1000, 2)}–${num(s.max / 1000, 2)} s`, s.n]);
  }
  return {
    markdown: [
      'From the command to the demo listening (collector and shop), on free ports with a fresh database:',
      '',
      table(['Case', 'Median', 'Range', 'Runs'], rows),
    ].join('\n'),
    data,
  };
};

if (require.main === module) printSection(module.exports({ quick: process.argv.includes('--quick'), log: (line) => console.error(line) }));
