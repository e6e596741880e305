// SIGTERM on the real `spur serve` process: stop accepting, finish what is in flight, close the
// database, exit 0, all within 10 s. Needs the built CLI (`npm test` builds first).
// Set SPUR_TEST_REPORT=1 to print the measured times.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';

const BIN = resolve(__dirname, '../bin/spur.js');
const KEY = 'backend';

describe('spur serve: SIGTERM', () => {
  let dir: string;
  let child: ChildProcessWithoutNullStreams | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'spur-shutdown-'));
  });
  afterEach(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  function serve(db: string): Promise<{ port: number; output: () => string; exited: Promise<{ code: number | null; at: number }> }> {
    expect(existsSync(resolve(__dirname, '../dist/index.js'))).toBe(true);
    const proc = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--host', '127.0.0.1', '--db', db], {
      env: { ...process.env, SPUR_WRITE_KEYS: `${KEY}=`, SPUR_ADMIN_TOKEN: 'admin-secret' },
    });
    child = proc;
    let out = '';
    proc.stderr.on('data', (d) => (out += d));
    const exited = new Promise<{ code: number | null; at: number }>((r) => proc.once('exit', (code) => r({ code, at: Date.now() })));
    return new Promise((resolveServer, reject) => {
      proc.stdout.on('data', (d) => {
        out += d;
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (m) resolveServer({ port: Number(m[1]), output: () => out, exited });
      });
      proc.once('exit', (code) => reject(new Error(`spur serve exited with ${code}: ${out}`)));
    });
  }

  /**
   * Starts a POST whose body arrives in two parts; `started` resolves once the server is handling
   * it (it answered `Expect: 100-continue`), `finish()` sends the rest.
   */
  function slowUpload(port: number, messageId: string) {
    const body = Buffer.from(
      JSON.stringify({ batch: [{ type: 'track', event: 'Order Completed', userId: 'cus_1', messageId, timestamp: new Date().toISOString() }] }),
    );
    let req!: ClientRequest;
    const answer = new Promise<{ status: number; body: string; at: number }>((resolveAnswer, reject) => {
      req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/v1/batch',
          method: 'POST',
          headers: { 'content-type': 'text/plain', 'content-length': body.length, 'x-spur-write-key': KEY, expect: '100-continue' },
        },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolveAnswer({ status: res.statusCode ?? 0, body: text, at: Date.now() }));
        },
      );
      req.on('error', reject);
    });
    const started = new Promise<void>((resolveStarted) =>
      req.once('continue', () => {
        req.write(body.subarray(0, 20));
        resolveStarted();
      }),
    );
    req.flushHeaders();
    return { answer, started, finish: () => req.end(body.subarray(20)) };
  }

  /** Resolves with the error code of a fresh TCP connection attempt, or 'connected'. */
  function tryConnect(port: number): Promise<string> {
    return new Promise((r) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        r('connected');
      });
      socket.once('error', (err: NodeJS.ErrnoException) => r(err.code ?? err.message));
    });
  }

  const waitFor = async (check: () => boolean) => {
    while (!check()) await new Promise((r) => setTimeout(r, 10));
  };

  it('finishes an upload in flight with 200, refuses new connections, closes the database and exits 0 within 10 s', async () => {
    const db = join(dir, 'spur.db');
    const server = await serve(db);
    const upload = slowUpload(server.port, 'in-flight-1');
    await upload.started; // the server is reading the body

    const signalled = Date.now();
    child!.kill('SIGTERM');
    await waitFor(() => server.output().includes('draining'));
    expect(await tryConnect(server.port)).toBe('ECONNREFUSED');
    await new Promise((r) => setTimeout(r, 500)); // the upload is still in progress
    upload.finish();

    const answer = await upload.answer;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ ok: true, accepted: 1 });
    const { code, at } = await server.exited;
    expect(code).toBe(0);
    expect(at - signalled).toBeLessThan(10_000);
    if (process.env.SPUR_TEST_REPORT) {
      process.stdout.write(`SIGTERM with a slow upload: answered ${answer.at - signalled} ms, exited ${at - signalled} ms after the signal\n`);
    }
    expect(server.output()).toContain('stopped');
    // Closed cleanly: the last connection checkpointed and removed the WAL; the event is there.
    expect(existsSync(`${db}-wal`)).toBe(false);
    const file = new Database(db, { readonly: true });
    expect(file.prepare("SELECT count(*) FROM events WHERE message_id = 'in-flight-1'").pluck().get()).toBe(1);
    file.close();
  }, 15_000);

  it('cuts an upload that stalls past the drain window, unanswered (so the client retries), and still exits 0 within 10 s', async () => {
    const db = join(dir, 'spur.db');
    const server = await serve(db);
    const upload = slowUpload(server.port, 'stalled-1');
    await upload.started;
    const signalled = Date.now();
    child!.kill('SIGTERM');
    await expect(upload.answer).rejects.toThrow(/socket hang up|ECONNRESET/);
    const { code, at } = await server.exited;
    expect(code).toBe(0);
    expect(at - signalled).toBeLessThan(10_000);
    if (process.env.SPUR_TEST_REPORT) {
      process.stdout.write(`SIGTERM with a stalled upload: exited ${at - signalled} ms after the signal\n`);
    }
    const file = new Database(db, { readonly: true });
    expect(file.prepare("SELECT count(*) FROM events WHERE message_id = 'stalled-1'").pluck().get()).toBe(0);
    file.close();
  }, 15_000);
});
