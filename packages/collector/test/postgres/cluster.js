// A private PostgreSQL server for tests and benchmarks, run with the system's own binaries: a data
// folder of its own under the system temp folder, a free port on 127.0.0.1, a unix socket in that
// folder, a superuser `spur` with a random password. Plain JavaScript (CommonJS), so that Jest's
// global setup and the benchmarks (plain node) share it.
//
// PostgreSQL refuses to run as root: as root, initdb and pg_ctl run as the `postgres` user
// (runuser, else su), which then owns the folder. A folder's name carries the pid of the process
// that made it (`<prefix>-<pid>-XXXXXX`), so that a later run can stop and remove the servers of a
// run that was killed midway, and leaves those of a run still going alone.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const { execFile, execFileSync, spawnSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');

const SUPERUSER = 'spur';
const DEBIAN_ROOT = '/usr/lib/postgresql';

const executable = (file) => {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
};
const hasServerBinaries = (dir) => executable(path.join(dir, 'initdb')) && executable(path.join(dir, 'pg_ctl'));

/**
 * Where initdb and pg_ctl are: SPUR_POSTGRES_BIN when set (and only there), else the newest
 * /usr/lib/postgresql/<version>/bin (Debian and Ubuntu keep them off PATH), else PATH, else
 * `pg_config --bindir`.
 * Returns { bindir } or { reason } naming every place looked at.
 */
function findPostgres(env = process.env, debianRoot = DEBIAN_ROOT) {
  // Named explicitly, the folder is the only place looked at: a wrong one is an error, not a
  // silent fall back to another version.
  if (env.SPUR_POSTGRES_BIN) {
    if (hasServerBinaries(env.SPUR_POSTGRES_BIN)) return { bindir: env.SPUR_POSTGRES_BIN };
    return { reason: `SPUR_POSTGRES_BIN=${env.SPUR_POSTGRES_BIN} holds no initdb and pg_ctl` };
  }
  const looked = [];
  const candidates = [];
  let versions = [];
  try {
    versions = fs.readdirSync(debianRoot).filter((v) => /^\d+(\.\d+)?$/.test(v));
  } catch {
    // not Debian's layout
  }
  versions.sort((a, b) => Number(b) - Number(a));
  candidates.push(...versions.map((v) => path.join(debianRoot, v, 'bin')));
  if (!versions.length) looked.push(`${debianRoot}/<version>/bin`);
  for (const dir of (env.PATH || '').split(path.delimiter).filter(Boolean)) {
    // A symlink on PATH (/usr/local/bin/initdb) stands for the folder of the real binaries.
    if (executable(path.join(dir, 'initdb'))) candidates.push(path.dirname(fs.realpathSync(path.join(dir, 'initdb'))));
  }
  looked.push('PATH');
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    looked.push('pg_config --bindir (no pg_config)');
  }
  for (const dir of candidates) {
    if (hasServerBinaries(dir)) return { bindir: dir };
    looked.push(dir);
  }
  return {
    reason:
      `no PostgreSQL server binaries (initdb and pg_ctl) in ${looked.join(', ')}; ` +
      "install Debian's postgresql package (apt-get install postgresql) or set SPUR_POSTGRES_BIN to their folder",
  };
}

/** As root: the postgres user (PostgreSQL will not run as root) and how to run a command as it. */
function serverUser() {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  let uid;
  let gid;
  try {
    uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  } catch {
    throw new Error('running as root, and PostgreSQL refuses to run as root: there is no postgres user to run it as (Debian\'s postgresql package creates one)');
  }
  const runuser = ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser'].find(executable);
  return { uid, gid, runuser };
}

const shellQuote = (arg) => `'${String(arg).replace(/'/g, `'\\''`)}'`;

/** The argv that runs `file args` as the server's user: itself, or through runuser / su as root. */
function asServerUser(user, file, args) {
  if (!user) return [file, args];
  if (user.runuser) return [user.runuser, ['-u', 'postgres', '--', file, ...args]];
  return ['su', ['postgres', '-s', '/bin/sh', '-c', [file, ...args].map(shellQuote).join(' ')]];
}

/** Environment for the server's tools: no PG* variables of the caller steer them elsewhere. */
function toolEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PG')) env[k] = v;
  env.LC_ALL = 'C';
  return env;
}

function run(user, cwd, file, args, timeoutMs = 60_000) {
  const [cmd, argv] = asServerUser(user, file, args);
  return new Promise((resolve, reject) => {
    execFile(cmd, argv, { cwd, env: toolEnv(), timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) {
        err.message = `${path.basename(file)} ${args.join(' ')} failed: ${(stderr || stdout || err.message).trim()}`;
        reject(err);
      } else resolve(stdout);
    });
  });
}

function runSync(user, cwd, file, args) {
  const [cmd, argv] = asServerUser(user, file, args);
  return spawnSync(cmd, argv, { cwd, env: toolEnv(), timeout: 30_000, stdio: 'ignore' });
}

/** A port nothing listens on right now (the server binds it a moment later; a clash is retried). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const FOLDER = (prefix) => new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d+)-[A-Za-z0-9]+$`);

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/**
 * Stops (immediate mode) and removes the servers under the temp folder whose maker is gone: a test
 * run or bench killed midway. Those of a process still running are left alone. Returns their folders.
 */
function cleanStale(prefix, bindir) {
  const user = serverUser();
  const removed = [];
  const pattern = FOLDER(prefix);
  for (const name of fs.readdirSync(os.tmpdir())) {
    const match = pattern.exec(name);
    if (!match || Number(match[1]) === process.pid || alive(Number(match[1]))) continue;
    const dir = path.join(os.tmpdir(), name);
    const data = path.join(dir, 'data');
    if (bindir && fs.existsSync(path.join(data, 'postmaster.pid'))) {
      runSync(user, dir, path.join(bindir, 'pg_ctl'), ['stop', '-D', data, '-m', 'immediate', '-w', '-t', '20']);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

/**
 * Creates and starts a server. `durable: false` (tests) runs it with fsync=off and
 * full_page_writes=off: a crash of the machine may lose what it stored, which tests never need;
 * `durable: true` (benchmarks) keeps PostgreSQL's durable defaults, fsync on and
 * synchronous_commit=on. `settings` adds postgresql.conf lines.
 */
async function startCluster({ prefix = 'spur-pg', durable = false, settings = {}, bindir } = {}) {
  if (!bindir) {
    const found = findPostgres();
    if (!found.bindir) throw new Error(found.reason);
    bindir = found.bindir;
  }
  const user = serverUser();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-${process.pid}-`));
  const data = path.join(dir, 'data');
  const log = path.join(dir, 'postgres.log');
  const password = randomBytes(18).toString('base64url');
  let cluster;
  try {
    if (user) fs.chownSync(dir, user.uid, user.gid);
    const pwfile = path.join(dir, 'pwfile');
    fs.writeFileSync(pwfile, password + '\n', { mode: 0o600 });
    if (user) fs.chownSync(pwfile, user.uid, user.gid);
    await run(user, dir, path.join(bindir, 'initdb'), [
      '-D', data, '-U', SUPERUSER, '--pwfile', pwfile, '--auth-local=trust', '--auth-host=scram-sha-256',
      '-E', 'UTF8', '--no-locale', ...(durable ? [] : ['--no-sync']),
    ]);
    fs.rmSync(pwfile);
    const version = (await run(user, dir, path.join(bindir, 'pg_ctl'), ['--version'])).trim().replace(/^pg_ctl \(PostgreSQL\) /, '');
    cluster = makeCluster({ bindir, user, dir, data, log, password, version, durable });
    cluster.configure(settings);
    await cluster.start();
    return cluster;
  } catch (err) {
    if (cluster) cluster.destroySync();
    else fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

function makeCluster({ bindir, user, dir, data, log, password, version, durable }) {
  const pgCtl = path.join(bindir, 'pg_ctl');
  let port = 0;
  let running = false;
  let extra = {};

  function writeConfig() {
    const lines = {
      listen_addresses: "'127.0.0.1'",
      port: String(port),
      unix_socket_directories: `'${dir}'`,
      max_connections: '200',
      synchronous_commit: 'on',
      ...(durable ? { fsync: 'on', full_page_writes: 'on' } : { fsync: 'off', full_page_writes: 'off' }),
      ...extra,
    };
    // postgresql.auto.conf is read last and rewritten whole here: later starts keep the port.
    const text = Object.entries(lines).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n';
    fs.writeFileSync(path.join(data, 'postgresql.auto.conf'), text);
    if (user) fs.chownSync(path.join(data, 'postgresql.auto.conf'), user.uid, user.gid);
  }

  const cluster = {
    version,
    dir,
    bindir,
    user: SUPERUSER,
    password,
    durable,
    get port() {
      return port;
    },
    get running() {
      return running;
    },
    /** A postgres:// URL of database `name` on this server (the superuser, over TCP). */
    url(name = 'postgres') {
      return `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(name)}`;
    },
    configure(settings) {
      extra = { ...extra, ...Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, String(v)])) };
    },
    /** Starts it (again), on a free port the first time and on the same one later. */
    async start() {
      for (let attempt = 1; ; attempt++) {
        if (!port) port = await freePort();
        writeConfig();
        try {
          await run(user, dir, pgCtl, ['start', '-D', data, '-l', log, '-w', '-t', '60']);
          running = true;
          return;
        } catch (err) {
          const tail = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').slice(-8).join('\n') : '';
          // Another process took the port between freePort() and the server's bind: another one.
          if (attempt < 4 && /could not (bind|create listen socket)|Address already in use/i.test(tail)) {
            port = 0;
            continue;
          }
          err.message += tail ? `\nserver log (${log}):\n${tail}` : '';
          throw err;
        }
      }
    },
    /** Stops it: `fast` ends sessions and checkpoints; `immediate` is a crash, as after a power cut. */
    async stop(mode = 'fast') {
      if (!running) return;
      await run(user, dir, pgCtl, ['stop', '-D', data, '-m', mode, '-w', '-t', '60']);
      running = false;
    },
    /** The server's log so far. */
    log() {
      return fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
    },
    /** Stops it at once and removes its folder. */
    async destroy() {
      try {
        await cluster.stop('immediate');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
    /** destroy(), synchronously: for process exit handlers. */
    destroySync() {
      if (fs.existsSync(path.join(data, 'postmaster.pid'))) runSync(user, dir, pgCtl, ['stop', '-D', data, '-m', 'immediate', '-w']);
      running = false;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}

module.exports = { findPostgres, startCluster, cleanStale, SUPERUSER };
