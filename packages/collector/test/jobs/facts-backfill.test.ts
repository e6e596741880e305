// The facts backfill (jobs/facts-backfill.ts) over a store an older build left: rows without facts
// (stored before the column) and rows with facts of version 1, written by raw SQL as that build
// would have, among rows of this build and one row of a newer build. The job rewrites the stale
// ones to exactly what ingest writes now, never touches the newer row, and the catch-up then
// answers as it did before the rows were made stale; on SQLite and PostgreSQL.
import Database from 'better-sqlite3';
import { Client, Pool } from 'pg';
import type { StoredEvent } from '@spur/sdk';
import type { Analytics } from '../../src/analytics';
import { readFactsPage } from '../../src/analytics/fact-page-encoder';
import { encodeFacts, FACTS_PREFIX, FACTS_VERSION } from '../../src/analytics/stored-facts';
import { startJobs } from '../../src/jobs';
import { createAnalyticsService } from '../../src/jobs/catch-up';
import { createFactsBackfill } from '../../src/jobs/facts-backfill';
import { createMetrics } from '../../src/metrics/collector-metrics';
import { createStore, openSqliteStorage, type Store } from '../../src';
import { openPostgresStorage } from '../../src/storage/postgres/storage';
import { describePostgres } from '../postgres/server';
import { captureLogs } from '../log-capture';
import { useFixtures } from '../helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { shopBatches } = require('../../../../bench/lib/shop-events') as {
  shopBatches(total: number, options?: { seed?: number; size?: number }): Iterable<StoredEvent[]>;
};

const fx = useFixtures();
const STEPS = ['Product Viewed', 'Product Added', 'Checkout Started', 'Order Completed'];
const NEWER = '[99,"a layout of a later build"]';

/** Facts of version 1, as the build before the sales channel wrote them: version 2 without position 20. */
function versionOne(current: string): string {
  const cells = (JSON.parse(current) as unknown[]).slice(0, 20);
  cells[0] = 1;
  while (cells.length > 0 && cells[cells.length - 1] == null) cells.pop();
  return JSON.stringify(cells);
}

/** A database's rows by their number, and raw SQL on it, as an older build would write. */
interface Raw {
  facts(): Promise<Map<number, string | null>>;
  setFacts(rows: [number, string | null][]): Promise<void>;
  count(): Promise<number>;
}

interface Backend {
  storage: Store;
  raw: Raw;
  /** Another store on the same database (a restart, or a second collector). */
  another(): Promise<Store>;
  /** Runs `run` on a store while another connection deletes `rows`, committed between a step's read and its write. */
  deleteDuring<T>(rows: number[], run: (storage: Store) => Promise<T>): Promise<T>;
}

async function fill(storage: Store, total: number): Promise<number> {
  let n = 0;
  for (const events of shopBatches(total, { seed: 5, size: 1000 })) {
    await storage.append({ writeKey: 'wk', events, rejected: [] });
    n += events.length;
  }
  return n;
}

/** Makes two thirds of the rows stale (none, version 1) and one row newer; answers the current facts of every row. */
async function age(raw: Raw): Promise<{ current: Map<number, string | null>; stale: number; newer: number }> {
  const current = await raw.facts();
  const rows: [number, string | null][] = [];
  const seqs = [...current.keys()];
  seqs.forEach((seq, i) => {
    if (i % 3 === 0) rows.push([seq, null]);
    else if (i % 3 === 1) rows.push([seq, versionOne(current.get(seq)!)]);
  });
  const newer = seqs[2];
  rows.push([newer, NEWER]);
  await raw.setFacts(rows);
  return { current, stale: rows.length - 1, newer };
}

function answers(a: Analytics) {
  const asOf = Date.parse('2030-01-01T00:00:00.000Z');
  return {
    rows: a.table.length,
    funnel: a.funnel({ steps: STEPS }),
    byChannel: a.funnel({ steps: STEPS, by: 'channel' }),
    customers: a.funnel({ steps: STEPS, unit: 'customer', window: '7d' }),
    carts: a.abandonedCarts({ asOf }),
    products: a.products({ asOf }),
  };
}

/** A cold catch-up's answers (a restart's). */
async function caughtUp(storage: Store) {
  const service = createAnalyticsService(storage);
  fx.cleanup(() => service.stop());
  return answers(await service.refresh());
}

/** How many rows a catch-up reads as facts of this version (the rest it parses from bodies). */
async function readAsFacts(storage: Store): Promise<number> {
  const rows = readFactsPage((await storage.factsAfter(null, 1_000_000, FACTS_PREFIX)).page);
  return rows.filter((row) => Array.isArray(row) && row[0] === FACTS_VERSION).length;
}

function runBackfill(name: string, open: () => Promise<Backend>) {
  describe(`facts backfill: ${name}`, () => {
    it('rewrites rows without facts and with version 1 facts into what ingest writes now, and the catch-up answers as before', async () => {
      const { storage, raw, another } = await open();
      const total = await fill(storage, 6000);
      const before = await caughtUp(storage);
      const { current, stale, newer } = await age(raw);
      expect(await readAsFacts(storage)).toBe(total - stale - 1);

      const report = await createFactsBackfill({ storage, stepRows: 500, pauseMs: 0 }).run();
      expect(report).toMatchObject({ looked: total, written: stale, failed: 0, complete: true });
      const after = await raw.facts();
      for (const [seq, facts] of after) expect(facts).toBe(seq === newer ? NEWER : current.get(seq));
      expect(await readAsFacts(storage)).toBe(total - 1);
      expect(await caughtUp(storage)).toEqual(before);

      // Nothing is left to write: neither now nor after a restart, which goes on from where it stood.
      expect(await createFactsBackfill({ storage, stepRows: 500, pauseMs: 0 }).run()).toMatchObject({ written: 0, complete: true });
      const restarted = await createFactsBackfill({ storage: await another(), stepRows: 500, pauseMs: 0 }).run();
      expect(restarted.written).toBe(0);
      expect(restarted.looked).toBeLessThan(total / 2);
    }, 60_000);

    it('leaves the catch-up of a running collector as it was: catch up, backfill, catch up again', async () => {
      const { storage, raw } = await open();
      await fill(storage, 4000);
      await age(raw);
      const service = createAnalyticsService(storage);
      fx.cleanup(() => service.stop());
      const first = answers(await service.refresh());
      expect((await createFactsBackfill({ storage, stepRows: 300, pauseMs: 0 }).run()).written).toBeGreaterThan(2000);
      // A rewritten row read again would count twice: the same rows, the same funnels.
      expect(answers(await service.refresh())).toEqual(first);
      expect(service.cursor()).not.toBeNull();
    }, 60_000);

    it('stops mid-way and goes on where it stood, looking at no row twice', async () => {
      const { storage, raw, another } = await open();
      const total = await fill(storage, 3000);
      const { stale } = await age(raw);
      let steps = 0;
      const job = createFactsBackfill({
        storage: { ...storage, backfillFacts: async (task) => ((steps += 1) === 3 && void job.stop(), storage.backfillFacts(task)) },
        stepRows: 250,
        pauseMs: 0,
      });
      const first = await job.run();
      expect(first).toMatchObject({ complete: false, looked: 750 });
      expect(first.written).toBeLessThan(stale);
      const second = await createFactsBackfill({ storage: await another(), stepRows: 250, pauseMs: 0 }).run();
      expect(second.complete).toBe(true);
      expect(first.looked + second.looked).toBe(total);
      expect(first.written + second.written).toBe(stale);
    }, 60_000);

    it('writes nothing into rows deleted meanwhile (an erasure, a purge), and stores no row again', async () => {
      const { storage, raw, deleteDuring } = await open();
      const total = await fill(storage, 1000);
      const { stale } = await age(raw);
      const withoutFacts = [...(await raw.facts())].filter(([, facts]) => facts === null).map(([seq]) => seq);
      const report = await deleteDuring(withoutFacts, (s) => createFactsBackfill({ storage: s, stepRows: 5000, pauseMs: 0 }).run());
      expect(report.written).toBe(stale - withoutFacts.length);
      expect(await raw.count()).toBe(total - withoutFacts.length);
      const left = await raw.facts();
      for (const seq of withoutFacts) expect(left.has(seq)).toBe(false);
      expect([...left.values()].filter((facts) => facts === null)).toEqual([]);
    }, 60_000);

    it('two collectors at once share the work: every stale row written once', async () => {
      const { storage, raw, another } = await open();
      await fill(storage, 4000);
      const { stale } = await age(raw);
      const other = await another();
      const reports = await Promise.all(
        [storage, other].map((s) => createFactsBackfill({ storage: s, stepRows: 200, pauseMs: 0, busyMs: 5 }).run()),
      );
      expect(reports.map((r) => r.complete)).toEqual([true, true]);
      expect(reports[0].written + reports[1].written).toBe(stale);
      expect(await readAsFacts(storage)).toBe((await raw.count()) - 1);
    }, 60_000);
  });
}

runBackfill('sqlite', async () => {
  const file = fx.dbFile();
  const storage = await fx.storage(file);
  const side = new Database(file);
  fx.cleanup(() => side.close());
  const raw: Raw = {
    facts: async () => new Map(side.prepare('SELECT rowid, facts FROM events ORDER BY rowid').raw().all() as [number, string | null][]),
    async setFacts(rows) {
      const update = side.prepare('UPDATE events SET facts = ? WHERE rowid = ?');
      side.transaction(() => rows.forEach(([seq, facts]) => update.run(facts, seq)))();
    },
    count: async () => side.prepare('SELECT count(*) FROM events').pluck().get() as number,
  };
  return {
    storage,
    raw,
    another: () => fx.storage(file),
    async deleteDuring(rows, run) {
      // Committed by another connection between the step's read and its write: the moment the
      // step encodes its first row, on this thread.
      let deleted = false;
      const remove = side.prepare('DELETE FROM events WHERE rowid = ?');
      const backfillFacts: Store['backfillFacts'] = (task) =>
        storage.backfillFacts({
          ...task,
          encode(body) {
            if (!deleted) side.transaction(() => rows.forEach((seq) => remove.run(seq)))();
            deleted = true;
            return task.encode(body);
          },
        });
      return run({ ...storage, backfillFacts });
    },
  };
});

describePostgres('PostgreSQL', (db) => {
  runBackfill('postgres', async () => {
    const url = await db.fresh();
    const open = async () => {
      const store = createStore(await openPostgresStorage(url));
      fx.cleanup(() => store.close());
      return store;
    };
    const storage = await open();
    const pool = new Pool({ connectionString: url, max: 2 });
    fx.cleanup(() => pool.end());
    const raw: Raw = {
      facts: async () => new Map((await pool.query<{ id: string; facts: string | null }>('SELECT id, facts FROM events ORDER BY id')).rows.map((r) => [Number(r.id), r.facts])),
      async setFacts(rows) {
        await pool.query('UPDATE events e SET facts = v.facts FROM unnest($1::bigint[], $2::text[]) AS v(id, facts) WHERE e.id = v.id', [
          rows.map(([id]) => id),
          rows.map(([, facts]) => facts),
        ]);
      },
      count: async () => Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM events')).rows[0].n),
    };
    return {
      storage,
      raw,
      another: open,
      async deleteDuring(rows, run) {
        // Another session deletes the rows and holds its transaction open until the step's UPDATE
        // waits for those rows, then commits: the step must find them gone.
        const side = new Client({ connectionString: url });
        await side.connect();
        try {
          await side.query('BEGIN');
          await side.query('DELETE FROM events WHERE id = ANY($1::bigint[])', [rows]);
          const running = run(storage);
          for (let i = 0; ; i++) {
            const waiting = await pool.query<{ n: string }>(
              "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%UPDATE events e SET facts%'",
            );
            if (Number(waiting.rows[0].n) > 0) break;
            if (i > 500) throw new Error('the step never waited for the deleted rows');
            await new Promise((r) => setTimeout(r, 20));
          }
          await side.query('COMMIT');
          return await running;
        } finally {
          await side.end();
        }
      },
    };
  });
});

describe('the facts backfill among the jobs', () => {
  async function agedStore(): Promise<{ storage: Store; stale: number }> {
    const file = fx.dbFile();
    const storage = await fx.storage(file);
    await fill(storage, 2000);
    const side = new Database(file);
    try {
      const { changes } = side.prepare('UPDATE events SET facts = NULL WHERE rowid % 2 = 0').run();
      return { storage, stale: changes };
    } finally {
      side.close();
    }
  }

  /** Resolves with the fields of the first line with this message (the job logs it when a run is over). */
  function lineOf(capture: ReturnType<typeof captureLogs>, prefix: string): Promise<Record<string, unknown>> {
    return new Promise((resolve) => {
      const look = () => {
        const line = capture.lines().find((l) => l.msg.startsWith(prefix));
        if (line) resolve(line);
        else setTimeout(look, 10);
      };
      look();
    });
  }

  it.each(['on', 'off'] as const)('runs by itself in a collector with analytics %s, logs its start and end, and /metrics tells', async (analytics) => {
    const { storage, stale } = await agedStore();
    const capture = captureLogs('info');
    const jobs = startJobs(storage, { analytics }, capture.logger);
    fx.cleanup(() => jobs.stop());
    const done = await lineOf(capture, 'facts backfill done');
    expect(done).toMatchObject({ level: 'info', written: stale, complete: true });
    const started = capture.lines().find((l) => l.msg.startsWith('facts backfill: rewriting'));
    expect(started).toMatchObject({ level: 'info', version: FACTS_VERSION });
    if (analytics === 'on') {
      // After the first catch-up: the restart it speeds up comes first.
      const order = capture.lines().map((l) => l.msg);
      expect(order.indexOf('analytics ready')).toBeGreaterThanOrEqual(0);
      expect(order.indexOf('analytics ready')).toBeLessThan(order.indexOf(started!.msg));
    }
    const metrics = createMetrics({ analytics: jobs.analytics, factsBackfill: jobs.factsBackfill });
    const { text } = await metrics.scrape();
    expect(text).toContain(`spur_facts_backfill_rows_total ${stale}`);
    expect(text).toContain('spur_facts_backfill_remaining_rows 0');
  }, 60_000);

  it('stops with the other jobs, in the middle of a run', async () => {
    const { storage, stale } = await agedStore();
    let steps = 0;
    const counted: Store = { ...storage, backfillFacts: (task) => ((steps += 1), storage.backfillFacts(task)) };
    const jobs = startJobs(counted, { analytics: 'off' }, captureLogs().logger);
    while (steps === 0) await new Promise((r) => setTimeout(r, 5));
    await jobs.stop();
    const after = steps;
    await new Promise((r) => setTimeout(r, 100));
    expect(steps).toBe(after);
    expect(jobs.factsBackfill.status().written).toBeLessThanOrEqual(stale);
  });
});

describe('the facts backfill on an in-memory store', () => {
  it('writes through the writer of its own thread', async () => {
    const storage = createStore(await openSqliteStorage(':memory:'));
    fx.cleanup(() => storage.close());
    const events = [...shopBatches(100, { seed: 3, size: 100 })][0];
    await storage.append({ writeKey: 'wk', events, rejected: [] });
    const next = FACTS_VERSION + 1;
    const step = await storage.backfillFacts({ version: next, limit: 1000, encode: (body) => encodeFacts(JSON.parse(body) as StoredEvent).replace(FACTS_PREFIX, `[${next},`) });
    expect(step).toMatchObject({ looked: events.length, written: events.length });
    expect(readFactsPage((await storage.factsAfter(null, 1000, `[${next},`)).page).every((row) => Array.isArray(row))).toBe(true);
  });
});
