// `npm start`'s demo (demo.js) as a real process: a port that is taken says which setting moves
// it, for the collector's port and for the shop's, and the demo exits 1 without a stack trace.
// (Other lines the demo may print at start, such as warnings, are not this test's business.)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

jest.setTimeout(120_000);

const DEMO = resolve(__dirname, '../demo.js');

/** A port something else listens on (127.0.0.1, where the demo listens), until close(). */
async function takenPort(): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((done) => server.close(() => done())) };
}

async function freePort(): Promise<number> {
  const { port, close } = await takenPort();
  await close();
  return port;
}

/** Runs the demo until it exits (or stops it after 20 s); its exit code and output. */
function runDemo(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [DEMO], { env: { ...process.env, SPUR_ADMIN_TOKEN: 'a-long-enough-admin-token-for-the-demo-test', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    // A demo that started after all is stopped: the test then fails on its exit code.
    const timer = setTimeout(() => child.kill('SIGTERM'), 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'spur-demo-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('demo.js when a port is taken', () => {
  it('names SPUR_PORT when the collector’s port is in use', async () => {
    const taken = await takenPort();
    try {
      const { code, stderr, stdout } = await runDemo({ SPUR_PORT: String(taken.port), SPUR_SHOP_PORT: String(await freePort()), SPUR_DB: join(dir, 'spur.db') });
      expect(code).toBe(1);
      expect(stderr).toContain(
        `spur demo: port ${taken.port} (the collector) is already in use on 127.0.0.1: another program listens there, perhaps another spur demo. ` +
          `Stop it, or set SPUR_PORT to a free port: SPUR_PORT=${taken.port + 1} npm start\n`,
      );
      expect(stderr).not.toMatch(/EADDRINUSE|^\s+at /m);
      expect(stdout).not.toContain('spur demo\n');
    } finally {
      await taken.close();
    }
  });

  it('names SPUR_SHOP_PORT when the shop’s port is in use, and stops the collector it had started', async () => {
    const taken = await takenPort();
    const collectorPort = await freePort();
    try {
      const { code, stderr } = await runDemo({ SPUR_PORT: String(collectorPort), SPUR_SHOP_PORT: String(taken.port), SPUR_DB: join(dir, 'spur.db') });
      expect(code).toBe(1);
      expect(stderr).toContain(
        `spur demo: port ${taken.port} (the shop) is already in use on 127.0.0.1: another program listens there, perhaps another spur demo. ` +
          `Stop it, or set SPUR_SHOP_PORT to a free port: SPUR_SHOP_PORT=${taken.port + 1} npm start\n`,
      );
      expect(stderr).not.toMatch(/EADDRINUSE|^\s+at /m);
      // The collector's port is free again: the demo closed what it had opened.
      const again = net.createServer();
      await new Promise<void>((done, fail) => again.once('error', fail).listen(collectorPort, '127.0.0.1', done));
      await new Promise((done) => again.close(done));
    } finally {
      await taken.close();
    }
  });
});

/** Starts the demo and resolves once it printed its banner; `stop()` ends it. */
function startDemo(env: Record<string, string>): Promise<{ stdout: string; stop(): Promise<void> }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [DEMO], { env: { ...process.env, SPUR_ADMIN_TOKEN: 'a-long-enough-admin-token-for-the-demo-test', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (stdout.includes('Ctrl-C stops both.')) {
        done({ stdout, stop: () => new Promise<void>((stopped) => (child.once('exit', () => stopped()), child.kill('SIGTERM'))) });
      }
    });
    child.on('exit', (code) => fail(new Error(`the demo exited (${code}) before it started: ${stderr}`)));
  });
}

/** Signs in to the dashboard over HTTP; the session cookie, or undefined when refused. */
async function signIn(url: string, name: string, password: string): Promise<string | undefined> {
  const res = await fetch(`${url}/dashboard/login`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ username: name, password }) });
  return res.status === 303 ? res.headers.get('set-cookie')!.split(';')[0] : undefined;
}

/** Order Completed per sales channel of the offline orders (the funnel's channel breakdown). */
async function offlineOrdersByChannel(url: string, cookie: string): Promise<Record<string, number>> {
  const funnel = await (await fetch(`${url}/v1/exports/funnel?steps=Order%20Completed&by=channel&unit=session&from=2026-01-01`, { headers: { cookie } })).json();
  const byChannel: Record<string, number> = {};
  for (const segment of funnel.segments as { value: string; steps: { units: number }[] }[]) {
    if (['phone', 'fax', 'store', 'marketplace'].includes(segment.value)) byChannel[segment.value] = segment.steps[0].units;
  }
  return byChannel;
}

/** How many events of each name the store holds (the steps export counts them). */
async function eventCounts(url: string, cookie: string): Promise<Record<string, number>> {
  const steps = await (await fetch(`${url}/v1/exports/steps?from=2026-01-01`, { headers: { cookie } })).json();
  return Object.fromEntries((steps as { step: string; kind: string; events: number }[]).filter((s) => s.kind === 'event').map((s) => [s.step, s.events]));
}

describe('demo.js and the dashboard', () => {
  it('prints the dashboard and a demo account, and fills a new database with history the dashboard shows', async () => {
    const port = await freePort();
    const env = { SPUR_PORT: String(port), SPUR_SHOP_PORT: String(await freePort()), SPUR_DB: join(dir, 'spur.db'), SPUR_TIME_ZONE: 'Europe/Berlin' };
    const first = await startDemo(env);
    let password: string;
    let byChannel: Record<string, number>;
    let counts: Record<string, number>;
    try {
      const line = /\n {2}dashboard {3}(http:\/\/localhost:\d+\/dashboard) {3}sign in as demo \/ (\S+) {3}\(an admin; a new password each start\)\n {14}generated 45 days of history for 400 visitors and sent it through POST \/v1\/batch: ([\d,]+) events stored; days in Europe\/Berlin \(SPUR_TIME_ZONE\)\n/.exec(first.stdout);
      expect(line).not.toBeNull();
      expect(line![1]).toBe(`http://localhost:${port}/dashboard`);
      password = line![2];
      expect(Number(line![3].replace(/,/g, ''))).toBeGreaterThan(1000);
      const cookie = await signIn(`http://127.0.0.1:${port}`, 'demo', password);
      expect(cookie).toBeDefined();
      const overview = await (await fetch(`http://127.0.0.1:${port}/v1/exports/overview`, { headers: { cookie: cookie! } })).json();
      expect(overview.timeZone).toBe('Europe/Berlin');
      expect(overview.totals.visitors).toBeGreaterThan(100);
      expect(overview.totals.orders).toBeGreaterThan(10);
      // The offline orders, imported through the order import, some of web customers, some new,
      // and in the funnel's channel breakdown.
      const imported = new RegExp(
        `\\n {14}imported (\\d+) phone/fax/store/marketplace orders from ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/offline-orders\\.csv \\(spur import orders\\): (\\d+) by web customers \\(matched by email\\), (\\d+) by new customers\\n`,
      ).exec(first.stdout);
      expect(imported).not.toBeNull();
      const [orders, known, fresh] = imported!.slice(1).map(Number);
      expect(orders).toBe(120);
      expect(known).toBeGreaterThan(10);
      expect(fresh).toBe(orders - known);
      byChannel = await offlineOrdersByChannel(`http://127.0.0.1:${port}`, cookie!);
      expect(Object.keys(byChannel).sort()).toEqual(['fax', 'marketplace', 'phone', 'store']);
      expect(Object.values(byChannel).reduce((a, b) => a + b, 0)).toBe(120);
      counts = await eventCounts(`http://127.0.0.1:${port}`, cookie!);
      expect(counts['Order Completed']).toBeGreaterThan(120);
    } finally {
      await first.stop();
    }
    // Started again: the history is there already, and the account has a new password.
    const second = await startDemo(env);
    try {
      expect(second.stdout).toMatch(/the database holds [\d,]+ events already: no history generated/);
      const again = /sign in as demo \/ (\S+) /.exec(second.stdout)![1];
      expect(again).not.toBe(password);
      expect(await signIn(`http://127.0.0.1:${port}`, 'demo', password)).toBeUndefined();
      const cookie = await signIn(`http://127.0.0.1:${port}`, 'demo', again);
      expect(cookie).toBeDefined();
      // The same file imported again: counted as stored already, nothing stored twice.
      expect(second.stdout).toContain(`\n              the 120 phone/fax/store/marketplace orders of ${dir}/offline-orders.csv are stored already: none imported again\n`);
      expect(await offlineOrdersByChannel(`http://127.0.0.1:${port}`, cookie!)).toEqual(byChannel);
      expect(await eventCounts(`http://127.0.0.1:${port}`, cookie!)).toEqual(counts);
    } finally {
      await second.stop();
    }
  });
});
