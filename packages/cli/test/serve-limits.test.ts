// The limits' settings reach the real `spur serve` process: flags and variables for the event rate
// limit, the rejected-event cap, the headers timeout and the per-address connection cap, each seen
// at work over raw sockets, and logged. Needs the built CLI (`npm test` builds).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const BIN = resolve(__dirname, '../bin/spur.js');

let dir: string;
let child: ChildProcessWithoutNullStreams | undefined;
const sockets: Socket[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'spur-limits-'));
});
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** `spur serve` on a free port; resolves to the port and its log lines. */
function serve(args: string[], env: NodeJS.ProcessEnv): Promise<{ port: number; lines: () => { msg: string; [field: string]: unknown }[] }> {
  expect(existsSync(resolve(__dirname, '../dist/index.js'))).toBe(true);
  const proc = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--host', '127.0.0.1', '--db', join(dir, 'spur.db'), ...args], {
    env: { ...process.env, SPUR_WRITE_KEYS: 'backend=', SPUR_ADMIN_TOKEN: 'admin-secret-token-of-24-chars', ...env },
  });
  child = proc;
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  const lines = () =>
    out
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l));
  return new Promise((resolveServe, reject) => {
    proc.stdout.on('data', () => {
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolveServe({ port: Number(m[1]), lines });
    });
    proc.once('exit', (code) => reject(new Error(`spur serve exited with ${code}: ${out}`)));
  });
}

/** Sends `text` on a new connection and resolves to the status of the answer, or 'closed'. */
function exchange(port: number, text: string, keepOpen = false): Promise<number | 'closed'> {
  return new Promise((resolveExchange) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    sockets.push(socket);
    let data = '';
    socket.on('error', () => {});
    socket.on('data', (d) => {
      data += d;
      const end = data.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(data)?.[1];
      if (end !== -1 && (length === undefined || data.length >= end + 4 + Number(length))) {
        resolveExchange(Number(data.split(' ')[1]));
        if (!keepOpen) socket.destroy();
      }
    });
    socket.on('close', () => resolveExchange('closed'));
  });
}

const post = (body: string) =>
  `POST /v1/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Spur-Write-Key: backend\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const invalid = (n: number) => JSON.stringify({ batch: Array.from({ length: n }, () => ({ type: 'track', event: 'No Id' })) });
const waitForLine = async (lines: () => { msg: string }[], msg: string) => {
  for (let i = 0; i < 300 && !lines().some((l) => l.msg === msg); i++) await new Promise((r) => setTimeout(r, 10));
  return lines().find((l) => l.msg === msg);
};

describe('spur serve: limits', () => {
  it('takes the event rate limit and the rejected-event cap from flags and variables', async () => {
    const { port, lines } = await serve(['--event-rate-limit', '10'], { SPUR_REJECTED_CAP: '3' });
    const first = await exchange(port, post(invalid(25)));
    expect(first).toBe(200);
    expect(await waitForLine(lines, 'rejected events not stored (over the cap)')).toMatchObject({ by: 'ip', capPerHour: 3, count: 22 });
    expect(await exchange(port, post(invalid(1)))).toBe(429); // 5 events in debt
    expect(await waitForLine(lines, 'ingest rate limited')).toMatchObject({ limit: 'events', by: 'ip', address: '127.0.0.0' });
  }, 15_000);

  it('takes the headers timeout and the per-address connection cap', async () => {
    const { port, lines } = await serve(['--headers-timeout', '1', '--request-timeout', '2'], { SPUR_MAX_CONNECTIONS_PER_IP: '2' });
    const slow = exchange(port, 'POST /v1/batch HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const started = Date.now();
    expect(await exchange(port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', true)).toBe(200); // two open now
    expect(await exchange(port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')).toBe('closed');
    expect(await waitForLine(lines, 'connection refused')).toMatchObject({ cap: 'perIp', maxConnectionsPerIp: 2 });
    expect(await slow).toBe(408);
    expect(Date.now() - started).toBeLessThan(3000);
  }, 15_000);
});
