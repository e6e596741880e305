// The collector as a separate process, the way a shop runs it: `spur serve` on a fresh SQLite
// file (WAL, synchronous=FULL, as shipped), on loopback only. Also counts what it stored.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'packages', 'cli', 'bin', 'spur.js');

/** A fresh temporary folder for one run's database (and CPU profiles); removed by cleanup(). */
function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `spur-bench-${prefix}-`));
}

/**
 * Spawns `node [nodeArgs] script args` and resolves once it prints "listening on <url>", to
 * { url, pid, stop() }. stop() sends SIGTERM, waits for the process to exit (SIGKILL after
 * `graceMs`) and resolves to its exit code or signal.
 */
function spawnListening(script, args, { nodeArgs = [], env = {}, timeoutMs = 20000 } = {}) {
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));

  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${path.basename(script)} did not start within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    const early = (code) => {
      clearTimeout(timer);
      reject(new Error(`${path.basename(script)} exited (${code}) before listening: ${stderr}`));
    };
    child.once('exit', early);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.off('exit', early);
      child.stdout.removeAllListeners('data');
      child.stdout.resume();
      resolve({
        url: m[1],
        pid: child.pid,
        async stop(graceMs = 15000) {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
          const code = await exited;
          clearTimeout(kill);
          return code;
        },
      });
    });
  });
}

/**
 * Starts `spur serve --port 0 --host 127.0.0.1 --db <fresh file>` and resolves once it listens,
 * to { url, db, dir, pid, adminToken, stop() }. `writeKeys` is SPUR_WRITE_KEYS
 * (`key=origin1,origin2;key2`); `nodeArgs` go to node itself (e.g. `--cpu-prof`); the rate limits
 * of requests and events are off unless `env` sets SPUR_RATE_LIMIT or SPUR_EVENT_RATE_LIMIT (an
 * empty value: the defaults). stop() drains and closes the database (SIGTERM), so the file can
 * be counted afterwards.
 */
async function startCollector({ writeKeys = 'bench', adminToken = 'bench-admin', nodeArgs = [], env = {} } = {}) {
  const dir = tempDir('collector');
  const db = path.join(dir, 'spur.db');
  const server = await spawnListening(CLI, ['serve', '--port', '0', '--host', '127.0.0.1', '--db', db], {
    nodeArgs,
    // Rate limits off: a bench sends from one address far faster than a shop's visitors would.
    env: { SPUR_RATE_LIMIT: '0', SPUR_EVENT_RATE_LIMIT: '0', ...env, SPUR_WRITE_KEYS: writeKeys, SPUR_ADMIN_TOKEN: adminToken },
  });
  return { ...server, db, dir, adminToken };
}

/** The bare node:http JSON server (lib/bare-server.js), the ceiling for ingest. */
function startBare({ nodeArgs = [] } = {}) {
  return spawnListening(path.join(__dirname, 'bare-server.js'), [], { nodeArgs });
}

// The collector's own SQLite driver, so that the bench needs no dependency of its own for it.
function sqlite() {
  const collectorDir = path.dirname(require.resolve('@spur/collector/package.json'));
  return require(require.resolve('better-sqlite3', { paths: [collectorDir] }));
}

/** Rows in the events and rejected_events tables of a (closed or live) database file. */
function countStored(dbFile) {
  const Database = sqlite();
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    return {
      events: db.prepare('SELECT count(*) AS n FROM events').get().n,
      rejected: db.prepare('SELECT count(*) AS n FROM rejected_events').get().n,
    };
  } finally {
    db.close();
  }
}

/** Removes a run's temporary folder. */
function cleanup(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
}

module.exports = { startCollector, startBare, spawnListening, countStored, cleanup, tempDir, sqlite, ROOT };
