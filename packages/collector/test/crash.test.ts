// Crash safety of the real collector process: SIGKILL at random moments under load loses no
// acknowledged event, and clients' retries after a crash store nothing twice. Runs the built CLI
// (`npx tsc -b` first; `npm test` does). Set SPUR_TEST_REPORT=1 to print the run's figures.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { useFixtures } from './helpers';

const fx = useFixtures();
const ROOT = resolve(__dirname, '../../..');
const BIN = join(ROOT, 'packages/cli/bin/spur.js');
const KEY = 'crashkey';
const CLIENTS = 8;
const KILLS = 5;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A port that was free a moment ago; the collector is restarted on it after every kill. */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolvePort(port));
    });
    probe.on('error', reject);
  });
}

/** Starts `spur serve` and resolves once it listens. */
function startCollector(port: number, db: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port), '--host', '127.0.0.1', '--db', db], {
    // Rate limits off: the load comes from one address, far faster than a shop's visitors.
    env: { ...process.env, SPUR_WRITE_KEYS: KEY, SPUR_ADMIN_TOKEN: 'crash-admin', SPUR_RATE_LIMIT: '0', SPUR_EVENT_RATE_LIMIT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolveChild, reject) => {
    child.stderr!.on('data', (d) => (output += d));
    child.stdout!.on('data', (d) => {
      output += d;
      if (output.includes('listening on')) resolveChild(child);
    });
    child.once('exit', (code, signal) => reject(new Error(`spur serve exited (${code ?? signal}) before listening: ${output}`)));
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.once('exit', (code) => r(code)));
}

type Answer = { status: number; body: { accepted?: number; duplicates?: number; rejected?: unknown[] } } | { error: string };

/** POSTs over a keep-alive agent; network failures resolve as { error }. */
function post(agent: Agent, port: number, body: string): Promise<Answer> {
  return new Promise((resolveAnswer) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path: '/v1/batch', method: 'POST', agent, headers: { 'content-type': 'text/plain', 'x-spur-write-key': KEY } },
      (res) => {
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
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => resolveAnswer({ error: err.code ?? err.message }));
    req.end(body);
  });
}

describe('crash safety (real collector process)', () => {
  it(`loses no acknowledged event and stores none twice across ${KILLS} SIGKILLs under load`, async () => {
    expect(existsSync(join(ROOT, 'packages/cli/dist/index.js'))).toBe(true); // run `npx tsc -b` first
    const db = join(fx.tempDir(), 'spur.db');
    const port = await freePort();
    let collector = await startCollector(port, db);
    fx.cleanup(() => {
      if (collector.exitCode === null && collector.signalCode === null) collector.kill('SIGKILL');
    });

    const sent = new Set<string>();
    const acked = new Set<string>();
    const stats = { requests: 0, retries: 0, duplicatesOnRetry: 0, inFlight: 0, inFlightAtKills: [] as number[], errors: {} as Record<string, number> };
    let stop = false;
    const deadline = Date.now() + 30_000;

    // One client: batches of unique events; on a network error or 5xx it sends the same events
    // again (as the SDK does from its outbox) until a 2xx, then moves on to the next batch.
    async function client(n: number): Promise<void> {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        for (let b = 0; !stop; b++) {
          const ids = Array.from({ length: 5 + Math.floor(Math.random() * 16) }, (_, i) => `c${n}-b${b}-e${i}`);
          const batch = ids.map((messageId, i) => ({
            type: i % 7 === 3 ? 'identify' : 'track',
            event: 'Product Viewed',
            messageId,
            anonymousId: `anon-${n}`,
            ...(i % 7 === 3 && { userId: `cus-${n}` }),
            timestamp: new Date().toISOString(),
            properties: { product_id: `p${i}`, price: i },
          }));
          ids.forEach((id) => sent.add(id));
          for (let attempt = 0; ; attempt++) {
            if (Date.now() > deadline) throw new Error(`client ${n} still retrying at the deadline`);
            stats.requests += 1;
            stats.inFlight += 1;
            const answer = await post(agent, port, JSON.stringify({ sentAt: new Date().toISOString(), batch }));
            stats.inFlight -= 1;
            if ('status' in answer && answer.status === 200) {
              expect(answer.body.rejected).toEqual([]);
              expect((answer.body.accepted ?? 0) + (answer.body.duplicates ?? 0)).toBe(ids.length);
              // Committed before the kill, answer lost: the retry finds them stored.
              if (attempt > 0 && answer.body.duplicates) stats.duplicatesOnRetry += 1;
              ids.forEach((id) => acked.add(id));
              break;
            }
            const why = 'status' in answer ? `HTTP ${answer.status}` : answer.error;
            if ('status' in answer && answer.status < 500) throw new Error(`client ${n}: unexpected ${why}`);
            stats.errors[why] = (stats.errors[why] ?? 0) + 1;
            stats.retries += 1;
            await sleep(10 + Math.random() * 40);
          }
        }
      } finally {
        agent.destroy();
      }
    }

    const started = Date.now();
    const clients = Array.from({ length: CLIENTS }, (_, n) => client(n));
    const failed = Promise.race(clients.map((c) => c.then(() => new Promise<never>(() => {})))); // rejects on a client error
    const run = async () => {
      for (let k = 0; k < KILLS; k++) {
        await sleep(200 + Math.random() * 600);
        stats.inFlightAtKills.push(stats.inFlight);
        collector.kill('SIGKILL');
        await exited(collector);
        await sleep(Math.random() * 100);
        collector = await startCollector(port, db);
      }
      await sleep(500);
      stop = true;
      await Promise.all(clients); // every client finishes its retries
    };
    await Promise.race([run(), failed]);
    collector.kill('SIGTERM');
    expect(await exited(collector)).toBe(0);

    const file = new Database(db, { readonly: true });
    fx.cleanup(() => file.close());
    const rows = file.prepare('SELECT message_id AS id, count(*) AS n FROM events GROUP BY message_id').all() as { id: string; n: number }[];
    const stored = new Set(rows.map((r) => r.id));
    if (process.env.SPUR_TEST_REPORT) {
      process.stdout.write(
        `crash test: ${((Date.now() - started) / 1000).toFixed(1)} s, ${sent.size} events in ${stats.requests} requests, ` +
          `${stats.retries} retries (${JSON.stringify(stats.errors)}), ${stats.duplicatesOnRetry} retries answered as duplicates, ` +
          `requests in flight at the kills: ${stats.inFlightAtKills.join(', ')}\n`,
      );
    }

    expect(acked.size).toBeGreaterThan(500); // the load was real
    expect(stats.retries).toBeGreaterThanOrEqual(KILLS); // the kills hit it
    expect([...acked].filter((id) => !stored.has(id))).toEqual([]); // no acknowledged event lost
    expect(rows.filter((r) => r.n !== 1)).toEqual([]); // none stored twice
    expect([...stored].filter((id) => !sent.has(id))).toEqual([]);
    expect(acked.size).toBe(sent.size); // every client got through in the end
    expect(stored.size).toBe(sent.size);
    // Retries carried new sentAt values and arrived later: still no conflict recorded.
    expect(file.prepare('SELECT count(*) FROM rejected_events').pluck().get()).toBe(0);
    expect(file.pragma('integrity_check', { simple: true })).toBe('ok');
  }, 60_000);
});
