// Crash safety of the real collector process: SIGKILL at random moments under load loses no
// acknowledged event, and clients' retries after a crash store nothing twice. Runs the built CLI
// (`npx tsc -b` first; `npm test` does), on SQLite and on PostgreSQL (the same test, the backend's
// flags and a reader of what it stored). Set SPUR_TEST_REPORT=1 to print the run's figures.
import { existsSync } from 'node:fs';
import { Agent } from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { useFixtures } from './helpers';
import { describePostgres } from './postgres/server';
import { exited, freePort, post as postTo, ROOT, sleep, startCollector as start } from './spur-process';

const fx = useFixtures();
const KEY = 'crashkey';
const CLIENTS = 8;
const KILLS = 5;

// Rate limits off: the load comes from one address, far faster than a shop's visitors.
const ENV = { SPUR_WRITE_KEYS: KEY, SPUR_ADMIN_TOKEN: 'crash-admin', SPUR_RATE_LIMIT: '0', SPUR_EVENT_RATE_LIMIT: '0' };
const post = (agent: Agent, port: number, body: string) => postTo(agent, port, body, { 'x-spur-write-key': KEY });

/** A backend under test: the flags that select its database, and what it stored. */
interface Backend {
  name: string;
  /** Called inside the test: `spur serve`'s database flags. */
  database(): string[];
  /** Per messageId its number of rows, and the number of rejected events. */
  stored(): Promise<{ rows: { id: string; n: number }[]; rejected: number }>;
}

function crashTest(backend: () => Backend): void {
  it(`loses no acknowledged event and stores none twice across ${KILLS} SIGKILLs under load`, async () => {
    expect(existsSync(join(ROOT, 'packages/cli/dist/index.js'))).toBe(true); // run `npx tsc -b` first
    const { database, stored: readStored } = backend();
    const startCollector = (port: number) => start(port, database(), ENV);
    const port = await freePort();
    let collector = await startCollector(port);
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
        collector = await startCollector(port);
      }
      await sleep(500);
      stop = true;
      await Promise.all(clients); // every client finishes its retries
    };
    await Promise.race([run(), failed]);
    collector.kill('SIGTERM');
    expect(await exited(collector)).toBe(0);

    const { rows, rejected } = await readStored();
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
    expect(rejected).toBe(0);
  }, 60_000);
}

describe('crash safety (real collector process, SQLite)', () => {
  crashTest(() => {
    const db = join(fx.tempDir(), 'spur.db');
    return {
      name: 'sqlite',
      database: () => ['--db', db],
      async stored() {
        const file = new Database(db, { readonly: true });
        try {
          expect(file.pragma('integrity_check', { simple: true })).toBe('ok');
          const rows = file.prepare('SELECT message_id AS id, count(*) AS n FROM events GROUP BY message_id').all() as { id: string; n: number }[];
          return { rows, rejected: file.prepare('SELECT count(*) FROM rejected_events').pluck().get() as number };
        } finally {
          file.close();
        }
      },
    };
  });
});

describePostgres('crash safety (real collector process, PostgreSQL)', (db) => {
  crashTest(() => ({
    name: 'postgres',
    database: () => ['--database-url', db.url],
    async stored() {
      const client = new Client({ connectionString: db.url });
      await client.connect();
      try {
        const rows = await client.query<{ id: string; n: string }>('SELECT message_id AS id, count(*) AS n FROM events GROUP BY message_id');
        const rejected = await client.query<{ n: string }>('SELECT count(*) AS n FROM rejected_events');
        return { rows: rows.rows.map((r) => ({ id: r.id, n: Number(r.n) })), rejected: Number(rejected.rows[0].n) };
      } finally {
        await client.end();
      }
    },
  }));
});
