// The test server's own machinery: where the binaries are found, a killed run's server stopped
// and removed by the next run, and a machine without PostgreSQL: skipped, or failed under CI=true.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanStale, findPostgres, startCluster } from './cluster';
import { describePostgres } from './server';

const ROOT = join(__dirname, '../../../..');

/** A folder of fake server binaries (scripts), for the search order alone. */
function fakeBin(dir: string): string {
  mkdirSync(dir, { recursive: true });
  for (const name of ['initdb', 'pg_ctl']) {
    writeFileSync(join(dir, name), '#!/bin/sh\nexit 0\n');
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });

describe('findPostgres', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'spur-find-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("takes the newest of Debian's versions", () => {
    for (const v of ['9.6', '13', '16', '15']) fakeBin(join(dir, v, 'bin'));
    expect(findPostgres({ PATH: '' }, dir)).toEqual({ bindir: join(dir, '16', 'bin') });
  });

  it('falls back to PATH', () => {
    const bin = fakeBin(join(dir, 'usr-local-bin'));
    expect(findPostgres({ PATH: bin }, join(dir, 'none'))).toEqual({ bindir: bin });
  });

  it('takes SPUR_POSTGRES_BIN alone when set, and says so when it holds none', () => {
    const bin = fakeBin(join(dir, 'chosen'));
    fakeBin(join(dir, 'debian', '17', 'bin'));
    expect(findPostgres({ PATH: '', SPUR_POSTGRES_BIN: bin }, join(dir, 'debian'))).toEqual({ bindir: bin });
    expect(findPostgres({ PATH: '', SPUR_POSTGRES_BIN: join(dir, 'nope') }, join(dir, 'debian'))).toEqual({
      reason: `SPUR_POSTGRES_BIN=${join(dir, 'nope')} holds no initdb and pg_ctl`,
    });
  });

  it('names every place it looked and how to install, when there is nothing', () => {
    const found = findPostgres({ PATH: join(dir, 'empty') }, join(dir, 'none'));
    expect(found.bindir).toBeUndefined();
    expect(found.reason).toContain(`${join(dir, 'none')}/<version>/bin, PATH`);
    expect(found.reason).toContain("install Debian's postgresql package (apt-get install postgresql)");
  });
});

describePostgres('a server left by a run killed midway', () => {
  const prefix = 'spur-pg-cleantest';

  it('is stopped and removed by the next run; a running process keeps its own', async () => {
    // A process that starts a server and is killed (SIGKILL) with it running.
    const child = spawn(process.execPath, ['-e', `require(${JSON.stringify(join(__dirname, 'cluster.js'))}).startCluster({ prefix: ${JSON.stringify(prefix)} })
      .then((c) => { console.log(JSON.stringify({ dir: c.dir, port: c.port })); setInterval(() => {}, 1000); })`], { stdio: ['ignore', 'pipe', 'inherit'] });
    const started = await new Promise<{ dir: string; port: number }>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => resolve(JSON.parse(String(d))));
      child.on('exit', (code) => reject(new Error(`the child exited with ${code}`)));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(await refused(started.port)).toBe(false); // still running: the run was killed, not its server

    const mine = await startCluster({ prefix });
    try {
      // An earlier run killed midway on this machine may have left its own: those go too.
      expect(cleanStale(prefix, mine.bindir)).toContain(started.dir);
      expect(await refused(started.port)).toBe(true);
      expect(existsSync(started.dir)).toBe(false);
      // This process is alive: its server stays.
      expect(await refused(mine.port)).toBe(false);
      expect(existsSync(mine.dir)).toBe(true);
    } finally {
      await mine.destroy();
    }
  }, 60_000);
});

describe('a machine without PostgreSQL', () => {
  // A whole jest run of a PostgreSQL test file, with the binaries pointed at a folder without them.
  function jestRun(env: Record<string, string | undefined>) {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, SPUR_POSTGRES_BIN: join(tmpdir(), 'spur-no-postgres-here'), ...env };
    for (const [k, v] of Object.entries(childEnv)) if (v === undefined) delete childEnv[k];
    delete childEnv.JEST_WORKER_ID;
    const r = spawnSync(
      process.execPath,
      [require.resolve('jest/bin/jest'), 'packages/collector/test/postgres/migrations.test.ts', '--reporters=default'],
      { cwd: ROOT, env: childEnv, encoding: 'utf8', timeout: 120_000 },
    );
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
  }

  it('skips the PostgreSQL tests, saying why', () => {
    const { status, output } = jestRun({ CI: undefined });
    expect(output).toContain('postgres: the PostgreSQL tests will be skipped: SPUR_POSTGRES_BIN=');
    expect(output).toMatch(/migrate: skipped: SPUR_POSTGRES_BIN=\S+ holds no initdb and pg_ctl/);
    expect(output).toMatch(/Tests:\s+\d+ skipped, \d+ total/);
    expect(status).toBe(0);
  }, 120_000);

  it('fails the run under CI=true, naming why', () => {
    const { status, output } = jestRun({ CI: 'true' });
    expect(output).toMatch(/CI=true, and PostgreSQL cannot be tested: SPUR_POSTGRES_BIN=\S+ holds no initdb and pg_ctl/);
    expect(output).toMatch(/Tests:\s+1 failed/);
    expect(status).toBe(1);
  }, 120_000);
});
