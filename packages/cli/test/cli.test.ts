import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main } from '@spur/cli';
import { captureIo } from './io';

const BIN = resolve(__dirname, '../bin/spur.js');


describe('spur (command line)', () => {
  it('explains every command and variable in --help', async () => {
    const io = captureIo();
    expect(await main(['--help'], io)).toBe(0);
    expect(io.stdout).toContain('spur serve');
    for (const v of [
      'SPUR_PORT',
      'SPUR_DB',
      'SPUR_WRITE_KEYS',
      'SPUR_ADMIN_TOKEN',
      'SPUR_CLIENT_CLOCK',
      'SPUR_TRUST_PROXY',
      'SPUR_COOKIE_DOMAIN',
      'SPUR_EVENT_RATE_LIMIT',
      'SPUR_REJECTED_CAP',
      'SPUR_BODY_TIMEOUT',
      'SPUR_HEADERS_TIMEOUT',
      'SPUR_REQUEST_TIMEOUT',
      'SPUR_MAX_CONNECTIONS',
      'SPUR_MAX_CONNECTIONS_PER_IP',
    ]) {
      expect(io.stdout).toContain(v);
    }
  });

  it('prints the options of serve for `spur serve --help` and `spur help serve`', async () => {
    for (const argv of [['serve', '--help'], ['help', 'serve']]) {
      const io = captureIo();
      expect(await main(argv, io)).toBe(0);
      const limits = ['--event-rate-limit', '--rejected-cap', '--body-timeout', '--headers-timeout', '--request-timeout', '--max-connections', '--max-connections-per-ip'];
      for (const flag of ['--port', '--db', '--write-keys', '--admin-token', '--client-clock', '--trust-proxy', '--cookie-domain', ...limits]) {
        expect(io.stdout).toContain(flag);
      }
    }
  });

  it('exits 2 with the help for an unknown command', async () => {
    const io = captureIo();
    expect(await main(['frobnicate'], io)).toBe(2);
    expect(io.stderr).toContain("unknown command 'frobnicate'");
  });

  it('exits 2 naming the problem for an unknown flag or a bad value', async () => {
    const io = captureIo();
    expect(await main(['serve', '--prot', '1'], io)).toBe(2);
    expect(io.stderr).toMatch(/--prot/);
    const io2 = captureIo();
    expect(await main(['serve', '--client-clock', 'sometimes'], io2)).toBe(2);
    expect(io2.stderr).toMatch(/client.clock/i);
    const io3 = captureIo();
    expect(await main(['serve', '--trust-proxy', 'my-nginx'], io3)).toBe(2);
    expect(io3.stderr).toMatch(/SPUR_TRUST_PROXY/);
  });
});

describe('spur serve (real process)', () => {
  let dir: string;
  let child: ChildProcessWithoutNullStreams | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'spur-cli-'));
  });
  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  function startServe(db: string): Promise<{ url: string; output: () => string }> {
    expect(existsSync(resolve(__dirname, '../dist/index.js'))).toBe(true); // `npm test` builds first
    child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--host', '127.0.0.1', '--db', db], {
      env: { ...process.env, SPUR_WRITE_KEYS: 'backend=', SPUR_ADMIN_TOKEN: 'admin-secret' },
    });
    let out = '';
    child.stderr.on('data', (d) => (out += d));
    return new Promise((resolveUrl, reject) => {
      child!.stdout.on('data', (d) => {
        out += d;
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) resolveUrl({ url: m[1], output: () => out });
      });
      child!.on('exit', (code) => reject(new Error(`spur serve exited with ${code}: ${out}`)));
    });
  }

  it('stores events, stops on SIGTERM with exit code 0, and keeps them for the next start', async () => {
    const db = join(dir, 'nested', 'spur.db');
    const first = await startServe(db);
    const res = await fetch(`${first.url}/v1/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-spur-write-key': 'backend' },
      body: JSON.stringify({ messageId: 'cli-1', userId: 'cus_1', event: 'Order Completed', timestamp: new Date().toISOString() }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, accepted: 1 });

    const exited = new Promise<number | null>((r) => child!.on('exit', (code) => r(code)));
    child!.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(first.output()).toContain('stopped');

    const second = await startServe(db);
    const profile = await fetch(`${second.url}/v1/profiles/cus_1`, { headers: { authorization: 'Bearer admin-secret' } });
    expect(profile.status).toBe(200);
    expect(await profile.json()).toMatchObject({ customerId: 'cus_1', eventCount: 1 });
    child!.kill('SIGTERM');
  });
});
