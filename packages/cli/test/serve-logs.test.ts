// The logs of the real `spur serve` process: JSON lines on stdout saying where it listens (the
// port chosen for --port 0), what it warns about, request ids, and how it stops; a port in use
// is one line naming the setting, not a stack trace. Needs the built CLI (`npm test` builds).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main } from '@spur/cli';
import type { Io } from '@spur/cli';

const BIN = resolve(__dirname, '../bin/spur.js');

interface Line {
  level: string;
  time: string;
  msg: string;
  [field: string]: unknown;
}

let dir: string;
let child: ChildProcessWithoutNullStreams | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'spur-logs-'));
});
afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** Starts `spur serve` with `args`; its stdout as parsed lines, its stderr as text, its exit. */
function spawnServe(args: string[], env: NodeJS.ProcessEnv) {
  expect(existsSync(resolve(__dirname, '../dist/index.js'))).toBe(true);
  const proc = spawn(process.execPath, [BIN, 'serve', ...args], { env: { ...process.env, ...env } });
  child = proc;
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d) => (stdout += d));
  proc.stderr.on('data', (d) => (stderr += d));
  const lines = (): Line[] =>
    stdout
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Line);
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const waitFor = async (msg: RegExp): Promise<Line> => {
    for (;;) {
      const line = lines().find((l) => msg.test(l.msg));
      if (line) return line;
      if (proc.exitCode !== null) throw new Error(`spur serve exited (${proc.exitCode}): ${stdout}${stderr}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { proc, lines, stderr: () => stderr, exited, waitFor };
}

describe('spur serve: logs', () => {
  it('writes JSON lines: start-up warnings, where it really listens, request ids, draining and stopped', async () => {
    const db = join(dir, 'spur.db');
    const serve = spawnServe(['--port', '0', '--host', '127.0.0.1', '--db', db], {
      SPUR_WRITE_KEYS: 'backend=;shop=https://shop.example',
      SPUR_ADMIN_TOKEN: 'too-short',
      SPUR_LOG_LEVEL: 'info',
    });
    const listening = await serve.waitFor(/^listening on /);
    expect(listening).toMatchObject({ level: 'info', address: '127.0.0.1', db, startupMs: expect.any(Number) });
    // The database opens while it listens; the line says how long that took.
    expect(await serve.waitFor(/^database open/)).toMatchObject({ level: 'info', db, ms: expect.any(Number) });
    const port = listening.port as number;
    expect(port).toBeGreaterThan(0);
    expect(listening.url).toBe(`http://127.0.0.1:${port}`);
    expect(listening.msg).toBe(`listening on http://127.0.0.1:${port} (database ${db})`);
    expect(serve.lines().filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([
      expect.stringMatching(/^write key "backend" lists no origins/),
      expect.stringMatching(/^the admin token .* is 9 characters long/),
    ]);

    // A rejected request: its id comes back in the header and is on its log line.
    const res = await fetch(`http://127.0.0.1:${port}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'x-spur-write-key': 'shop', origin: 'https://elsewhere.example', 'x-request-id': 'client-42' },
      body: JSON.stringify({ batch: [{ type: 'track', event: 'Order Completed', userId: 'u', messageId: 'm-1' }] }),
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('x-request-id')).toBe('client-42');
    expect(await serve.waitFor(/^ingest rejected$/)).toMatchObject({
      level: 'warn',
      reason: 'origin_not_allowed',
      writeKey: 'shop',
      origin: 'https://elsewhere.example',
      requestId: 'client-42',
      count: 1,
    });

    serve.proc.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
    const lines = serve.lines();
    expect(lines.find((l) => /draining/.test(l.msg))).toMatchObject({ level: 'info', signal: 'SIGTERM' });
    expect(lines[lines.length - 1]).toMatchObject({ level: 'info', msg: 'stopped', signal: 'SIGTERM', ms: expect.any(Number) });
    // Every line is JSON with a level name and an ISO time; nothing went to stderr.
    for (const line of lines) {
      expect(['info', 'warn']).toContain(line.level);
      expect(new Date(line.time).toISOString()).toBe(line.time);
    }
    expect(serve.stderr()).toBe('');
  }, 15_000);

  it('exits 1 with one line naming SPUR_PORT / --port when the port is in use, not a stack trace', async () => {
    const taken: Server = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    try {
      const port = (taken.address() as { port: number }).port;
      const serve = spawnServe(['--port', String(port), '--host', '127.0.0.1', '--db', join(dir, 'spur.db')], {
        SPUR_WRITE_KEYS: 'shop=https://shop.example',
        SPUR_ADMIN_TOKEN: 'x'.repeat(32),
      });
      expect(await serve.exited).toBe(1);
      const fatal = serve.lines().filter((l) => l.level === 'fatal');
      expect(fatal).toEqual([
        expect.objectContaining({
          code: 'EADDRINUSE',
          port,
          msg: `cannot listen on 127.0.0.1:${port}: the port is already in use: choose another port with SPUR_PORT / --port (0 = any free port)`,
        }),
      ]);
      expect(`${serve.lines().map((l) => JSON.stringify(l)).join('\n')}${serve.stderr()}`).not.toMatch(/\n\s+at /);
      expect(serve.stderr()).toBe('');
    } finally {
      await new Promise((r) => taken.close(r));
    }
  }, 15_000);
  it('purges rejected events by --rejected-days at start, without a retention period for events', async () => {
    const serve = spawnServe(['--port', '0', '--host', '127.0.0.1', '--db', join(dir, 'spur.db'), '--rejected-days', '7'], {
      SPUR_WRITE_KEYS: 'shop=https://shop.example',
      SPUR_ADMIN_TOKEN: 'x'.repeat(32),
      SPUR_LOG_LEVEL: 'debug', // a run that purged nothing is a debug line
    });
    const purge = await serve.waitFor(/^retention purge/);
    expect(purge).toMatchObject({ level: 'debug', rejectedDays: 7, before: null, events: 0, rejectedEvents: 0 });
    expect(Date.now() - Date.parse(purge.rejectedBefore as string)).toBeGreaterThanOrEqual(7 * 86_400_000);
    expect(purge.msg).toMatch(/^retention purge: events kept, 0 rejected events received before /);
    serve.proc.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
  }, 15_000);
});

describe('spur serve: starting', () => {
  it('listens, then exits 1 with one line naming SPUR_DB / --db when the database cannot be opened', async () => {
    // A folder where the file should be: SQLite cannot open it.
    const db = join(dir, 'a-folder');
    mkdirSync(db);
    const serve = spawnServe(['--port', '0', '--host', '127.0.0.1', '--db', db], { SPUR_WRITE_KEYS: 'shop=https://shop.example', SPUR_ADMIN_TOKEN: 'x'.repeat(32) });
    expect(await serve.exited).toBe(1);
    const lines = serve.lines();
    expect(lines.map((l) => l.level)).toEqual(['info', 'fatal']);
    expect(lines[0].msg).toMatch(/^listening on /);
    expect(lines[1]).toMatchObject({ db, msg: expect.stringMatching(new RegExp(`^cannot open the database ${db}: .* \\(SPUR_DB / --db\\)$`)) });
    expect(serve.stderr()).toBe('');
  }, 15_000);

  it('stops cleanly on a SIGTERM that comes the moment it listens: the database is closed, exit 0', async () => {
    const db = join(dir, 'spur.db');
    const serve = spawnServe(['--port', '0', '--host', '127.0.0.1', '--db', db], { SPUR_WRITE_KEYS: 'shop=https://shop.example', SPUR_ADMIN_TOKEN: 'x'.repeat(32) });
    await serve.waitFor(/^listening on /);
    serve.proc.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
    expect(serve.lines().map((l) => l.msg)).toContain('stopped');
    // A clean close checkpoints the WAL into the file and removes it.
    expect(existsSync(`${db}-wal`)).toBe(false);
    expect(existsSync(db)).toBe(true);
  }, 15_000);
});

describe('spur serve on a wildcard address (in-process)', () => {
  it('logs the bound address and the loopback URL to try, and stops on the signal it is given', async () => {
    let stop: ((signal: string) => void) | undefined;
    let out = '';
    const io: Io = {
      out: (text) => void (out += text),
      err: (text) => void (out += text),
      env: { SPUR_WRITE_KEYS: 'shop=https://shop.example', SPUR_ADMIN_TOKEN: 'x'.repeat(32) },
      onShutdown: (handler) => {
        stop = handler;
        return () => (stop = undefined);
      },
    };
    const running = main(['serve', '--port', '0', '--host', '0.0.0.0', '--db', join(dir, 'spur.db')], io);
    while (!stop) await new Promise((r) => setTimeout(r, 10));
    const lines = () => out.trim().split('\n').map((l) => JSON.parse(l) as Line);
    const listening = lines().find((l) => l.msg.startsWith('listening on'))!;
    const port = listening.port as number;
    expect(listening).toMatchObject({ address: '0.0.0.0', url: `http://127.0.0.1:${port}` });
    expect(listening.msg).toBe(`listening on http://127.0.0.1:${port} (database ${join(dir, 'spur.db')}; bound to 0.0.0.0:${port}, every interface)`);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    stop('SIGINT');
    expect(await running).toBe(0);
    expect(lines().map((l) => l.msg)).toContain('stopped');
  });

  it('at warn level writes nothing for a sound configuration', async () => {
    let stop: ((signal: string) => void) | undefined;
    let out = '';
    const io: Io = {
      out: (text) => void (out += text),
      err: (text) => void (out += text),
      env: { SPUR_WRITE_KEYS: 'shop=https://shop.example', SPUR_ADMIN_TOKEN: 'x'.repeat(32) },
      onShutdown: (handler) => {
        stop = handler;
        return () => (stop = undefined);
      },
    };
    const running = main(['serve', '--port', '0', '--host', '127.0.0.1', '--db', join(dir, 'spur.db'), '--log-level', 'warn'], io);
    while (!stop) await new Promise((r) => setTimeout(r, 10));
    stop('SIGTERM');
    expect(await running).toBe(0);
    expect(out).toBe('');
  });
});
