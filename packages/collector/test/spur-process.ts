// The real `spur serve` as a child process, for the tests that kill it (crash.test.ts) or run
// several on one database (postgres/collectors.test.ts): start, wait until it listens, post a
// batch over a keep-alive agent. Runs the built CLI (`npx tsc -b` first; `npm test` does).
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../../..');
export const BIN = join(ROOT, 'packages/cli/bin/spur.js');

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolvePort(port));
    });
    probe.on('error', reject);
  });
}

/**
 * Starts `spur serve` on `port` with the database flags `database` (`--db FILE` or
 * `--database-url URL`) and resolves once it listens. `output()` is what it printed so far.
 */
export function startCollector(
  port: number,
  database: string[],
  env: Record<string, string>,
): Promise<ChildProcess & { output: () => string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port), '--host', '127.0.0.1', ...database], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const withOutput = Object.assign(child, { output: () => output });
  return new Promise((resolveChild, reject) => {
    child.stderr!.on('data', (d) => (output += d));
    child.stdout!.on('data', (d) => {
      output += d;
      if (output.includes('listening on')) resolveChild(withOutput);
    });
    child.once('exit', (code, signal) => reject(new Error(`spur serve exited (${code ?? signal}) before listening: ${output}`)));
  });
}

/** Resolves with the exit code once `child` has exited. */
export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.once('exit', (code) => r(code)));
}

export type Answer = { status: number; body: { accepted?: number; duplicates?: number; rejected?: unknown[] } } | { error: string };

/** POSTs `body` to `path` (with `headers`) over a keep-alive agent; network failures resolve as { error }. */
export function post(agent: Agent, port: number, body: string, headers: Record<string, string>, path = '/v1/batch'): Promise<Answer> {
  return new Promise((resolveAnswer) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'text/plain', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        try {
          resolveAnswer({ status: res.statusCode ?? 0, body: JSON.parse(text) });
        } catch {
          resolveAnswer({ error: `unparsable ${res.statusCode} answer` });
        }
      });
      res.on('error', (err) => resolveAnswer({ error: err.message }));
    });
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => resolveAnswer({ error: err.code ?? err.message }));
    req.end(body);
  });
}
