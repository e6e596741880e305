// The command loads the modules of the command it runs and no others: `spur serve` (and export,
// privacy, purge, the help) never loads Playwright or the journeys, which cost every start about
// 0.3 s and 57 MB. The real, built command runs in a child process under a --require hook that
// lists every module it loaded (fixtures/record-modules.js).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openSqliteStorage } from '@spur/collector';

const BIN = resolve(__dirname, '../bin/spur.js');
const HOOK = resolve(__dirname, 'fixtures/record-modules.js');
/** Module paths that belong to the browser tooling. */
const HEAVY = [/[\\/]node_modules[\\/]playwright(-core)?[\\/]/, /[\\/]packages[\\/]journeys[\\/]/, /[\\/]node_modules[\\/]@spur[\\/]journeys[\\/]/];

let dir: string;
const db = () => join(dir, 'spur.db');
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spur-cli-modules-'));
  await (await openSqliteStorage(db())).close(); // what export, privacy and purge read
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let runs = 0;
/**
 * Runs `spur ...args` with the hook; `untilListening` sends SIGTERM once it listens. Resolves to
 * its exit code, output and the modules it loaded.
 */
function run(args: string[], untilListening = false): Promise<{ code: number | null; output: string; modules: string[] }> {
  const out = join(dir, `modules-${++runs}.txt`);
  const child = spawn(process.execPath, ['--require', HOOK, BIN, ...args], {
    env: { ...process.env, SPUR_TEST_MODULES_OUT: out, SPUR_WRITE_KEYS: 'k=', SPUR_ADMIN_TOKEN: 'a-token-of-more-than-24-characters' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let stopping = false;
  child.stderr.on('data', (d) => (output += d));
  child.stdout.on('data', (d) => {
    output += d;
    if (untilListening && !stopping && /listening on/.test(output)) stopping = child.kill('SIGTERM');
  });
  return new Promise((resolveRun) =>
    child.once('exit', (code) => resolveRun({ code, output, modules: readFileSync(out, 'utf8').split('\n') })),
  );
}

const heavy = (modules: string[]) => modules.filter((m) => HEAVY.some((re) => re.test(m)));

describe('which modules a command loads', () => {

  it('spur serve loads the collector and neither Playwright nor the journeys', async () => {
    expect(existsSync(resolve(__dirname, '../dist/index.js'))).toBe(true); // `npm test` builds first
    const serve = await run(['serve', '--port', '0', '--host', '127.0.0.1', '--db', db()], true);
    expect(serve.code).toBe(0);
    // The hook sees what serve needs (so an empty list cannot pass)...
    expect(serve.modules.some((m) => /[\\/]packages[\\/]collector[\\/]dist[\\/]app\.js$/.test(m))).toBe(true);
    expect(serve.modules.some((m) => /[\\/]node_modules[\\/]express[\\/]/.test(m))).toBe(true);
    // ...and nothing of the browser tooling.
    expect(heavy(serve.modules)).toEqual([]);
  });

  it.each([
    ['export', ['export', 'events']],
    ['privacy', ['privacy', 'export', 'nobody']],
    ['purge', ['purge', '--retention-days', '30', '--dry-run']],
    ['insights', ['insights', 'purchase-model', '--calibration-end', '2024-01-01']],
  ])('spur %s neither', async (_name, args) => {
    const result = await run([...args, '--db', db()]);
    expect(result.output).not.toMatch(/no database at/);
    expect(result.modules.some((m) => /[\\/]packages[\\/]collector[\\/]dist[\\/]/.test(m))).toBe(true);
    expect(heavy(result.modules)).toEqual([]);
  });

  it('spur --help and spur serve --help load no collector either (its settings table alone); spur export --help only the collector', async () => {
    // The table the help is made of, and what it imports: three small files (the database URL's
    // checker imports nothing).
    const settings = /[\\/]packages[\\/]collector[\\/]dist[\\/](settings|setting-values|storage[\\/]postgres[\\/]database-url)\.js$/;
    for (const args of [['--help'], ['serve', '--help'], ['help', 'purge']]) {
      const result = await run(args);
      expect(result.code).toBe(0);
      expect(result.output).toContain('Usage: spur');
      const loaded = result.modules.filter((m) => /[\\/](collector|journeys|playwright(-core)?|express)[\\/]/.test(m));
      expect(loaded.filter((m) => !settings.test(m))).toEqual([]);
      expect(loaded.filter((m) => settings.test(m))).toHaveLength(3);
    }
    const exportHelp = await run(['export', '--help']);
    expect(exportHelp.code).toBe(0);
    expect(exportHelp.output).toContain('--steps');
    expect(heavy(exportHelp.modules)).toEqual([]);
  });

  it('spur simulate --help loads the journeys (its help names their default funnel)', async () => {
    const result = await run(['simulate', '--help']);
    expect(result.code).toBe(0);
    expect(result.output).toContain('Product Viewed');
    expect(heavy(result.modules).length).toBeGreaterThan(0);
  });
});
