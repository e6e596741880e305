// Group commit on a real server: callers of one moment share a transaction (their rows carry one
// transaction id), each is answered only after its COMMIT, a failed group fails only its own
// callers, and a messageId is stored once also when two processes insert it at the same moment.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import { connectPostgres, type PostgresConnection } from '../../src/storage/postgres/connection';
import { createEventGroupCommit, createPgGroupCommit, insertEvents } from '../../src/storage/postgres/group-commit';
import { migrate } from '../../src/storage/postgres/migrations';
import { appendAtBarrier, row } from './append-child';
import { describePostgres } from './server';

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
const rows = (messageIds: string[]) => messageIds.map((id) => row(id, 'test'));

describePostgres('PostgreSQL group commit', (db) => {
  let url: string;
  let pool: PostgresConnection;
  beforeEach(async () => {
    url = await db.fresh();
    pool = connectPostgres({ url });
    await migrate(pool);
  });
  afterEach(() => pool.close());

  const xidsOf = async (messageIds: string[]) =>
    (await pool.query('SELECT DISTINCT xid::text AS xid FROM events WHERE message_id = ANY($1)', [messageIds])).rows.map((r) => r.xid as string);

  it('writes the appends of one moment in one transaction, in the order they came', async () => {
    const commits = createEventGroupCommit(pool, { maxInFlight: 1 });
    const appends = Array.from({ length: 12 }, (_, i) => ids(`a${i}`, 5));
    const stored = await Promise.all(appends.map((a) => commits.submit(rows(a))));
    expect(stored).toEqual(appends.map((a) => a.map(() => true)));
    expect(await xidsOf(appends.flat())).toHaveLength(1); // one transaction, one COMMIT
    const order = await pool.query('SELECT message_id FROM events ORDER BY id');
    expect(order.rows.map((r) => r.message_id)).toEqual(appends.flat());
  });

  it('shares what is queued among the transactions it may have in flight, in order within each', async () => {
    const commits = createEventGroupCommit(pool, { maxInFlight: 4 });
    const appends = Array.from({ length: 12 }, (_, i) => ids(`s${i}`, 5));
    await Promise.all(appends.map((a) => commits.submit(rows(a))));
    for (let g = 0; g < 4; g++) {
      const group = appends.slice(g * 3, g * 3 + 3).flat(); // three appends each
      expect(await xidsOf(group)).toHaveLength(1);
      const order = await pool.query('SELECT message_id FROM events WHERE message_id = ANY($1) ORDER BY id', [group]);
      expect(order.rows.map((r) => r.message_id)).toEqual(group);
    }
    expect(await xidsOf(appends.flat())).toHaveLength(4);
  });

  it('groups what arrives while a transaction is in flight into the next one', async () => {
    const commits = createEventGroupCommit(pool, { maxInFlight: 1 });
    const first = commits.submit(rows(['solo']));
    await new Promise((resolve) => setImmediate(resolve)); // the first group has started
    const later = Array.from({ length: 8 }, (_, i) => ids(`b${i}`, 3));
    await Promise.all([first, ...later.map((a) => commits.submit(rows(a)))]);
    const solo = await xidsOf(['solo']);
    const rest = await xidsOf(later.flat());
    expect(rest).toHaveLength(1);
    expect(rest[0]).not.toBe(solo[0]);
  });

  it('keeps a transaction to maxWeight rows; an append over it goes alone', async () => {
    const commits = createEventGroupCommit(pool, { maxInFlight: 1, maxWeight: 5 });
    const appends = [ids('c0', 3), ids('c1', 2), ids('c2', 3), ids('c3', 9)];
    await Promise.all(appends.map((a) => commits.submit(rows(a))));
    expect(await xidsOf([...appends[0], ...appends[1]])).toHaveLength(1);
    const xids = new Set([...(await xidsOf(appends[0])), ...(await xidsOf(appends[2])), ...(await xidsOf(appends[3]))]);
    expect(xids.size).toBe(3);
  });

  it('inserts more rows than one statement holds in order, each once, duplicates across statements answered not stored', async () => {
    // 9,000 rows (81,000 parameters: more than one statement may carry) in VALUES statements of
    // at most 1,000; a messageId of the first statement again in the third is not stored twice,
    // and one of an earlier call is a duplicate too.
    await pool.transaction((tx) => insertEvents(tx, rows(['early'])));
    const many = ids('m', 9000);
    many[2100] = many[10];
    many[2200] = 'early';
    const stored = await pool.transaction((tx) => insertEvents(tx, rows(many)));
    expect(stored.filter((s) => !s)).toHaveLength(2);
    expect(stored[10]).toBe(true);
    expect(stored[2100]).toBe(false);
    expect(stored[2200]).toBe(false);
    const order = await pool.query('SELECT message_id FROM events ORDER BY id');
    expect(order.rows.map((r) => r.message_id)).toEqual(['early', ...many.filter((_, i) => i !== 2100 && i !== 2200)]);
  });

  it('answers a duplicate as not stored: within an append, within a group and later', async () => {
    const commits = createEventGroupCommit(pool, { maxInFlight: 1 });
    const [one, two] = await Promise.all([commits.submit(rows(['d-1', 'd-2', 'd-1'])), commits.submit(rows(['d-2', 'd-3']))]);
    expect(one).toEqual([true, true, false]);
    expect(two).toEqual([false, true]);
    expect(await commits.submit(rows(['d-3', 'd-4']))).toEqual([false, true]);
    const { rows: stored } = await pool.query('SELECT message_id, body FROM events ORDER BY id');
    expect(stored.map((r) => r.message_id)).toEqual(['d-1', 'd-2', 'd-3', 'd-4']);
  });

  it('stores an id that two transactions in flight both carry once, answering one of them stored', async () => {
    const commits = createEventGroupCommit(pool, { maxInFlight: 4 });
    const appends = Array.from({ length: 8 }, () => ['same', 'another']);
    const answers = await Promise.all(appends.map((a) => commits.submit(rows(a))));
    expect(answers.filter(([same]) => same)).toHaveLength(1);
    expect(answers.filter(([, another]) => another)).toHaveLength(1);
    expect((await pool.query('SELECT count(*)::int AS n FROM events')).rows[0].n).toBe(2);
  });

  it('answers each caller only after COMMIT: a COMMIT that fails fails every caller of its group, and stores nothing', async () => {
    // Checked at COMMIT, not at INSERT: an answer given before COMMIT would be a lie here.
    await pool.query(`
      CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.message_id LIKE 'poison%' THEN RAISE EXCEPTION 'poisoned at commit'; END IF;
        RETURN NULL;
      END $$;
      CREATE CONSTRAINT TRIGGER refuse_poison AFTER INSERT ON events DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION refuse_poison();`);
    const commits = createEventGroupCommit(pool, { maxInFlight: 1 });
    const visible = async (messageIds: string[]) => {
      // Another session: sees only what is committed.
      const other = new Client({ connectionString: url });
      await other.connect();
      try {
        return (await other.query('SELECT count(*)::int AS n FROM events WHERE message_id = ANY($1)', [messageIds])).rows[0].n as number;
      } finally {
        await other.end();
      }
    };
    const doomed = [ids('fine', 3), ['poison-1'], ids('also-fine', 2)];
    const outcomes = await Promise.allSettled(doomed.map((a) => commits.submit(rows(a))));
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(String((outcomes[0] as PromiseRejectedResult).reason)).toMatch(/poisoned at commit/);
    expect(await visible(doomed.flat())).toBe(0);

    // The next group is on its own; when its callers hear "stored", the rows are there for all.
    const good = [ids('next', 2), ids('next-2', 2)];
    const heard = await Promise.all(good.map((a) => commits.submit(rows(a)).then(async (stored) => ({ stored, seen: await visible(a) }))));
    expect(heard).toEqual([
      { stored: [true, true], seen: 2 },
      { stored: [true, true], seen: 2 },
    ]);
  });

  it('runs a group again after a deadlock: two sessions crossing on the same ids both succeed, each id stored once', async () => {
    await pool.query(`ALTER DATABASE ${new URL(url).pathname.slice(1)} SET deadlock_timeout = '20ms'`);
    const other = connectPostgres({ url });
    try {
      // Each inserts its first half, waits until the other has too, then inserts the other's:
      // each waits for the other's transaction, a deadlock, and PostgreSQL ends one of them.
      let writes = 0;
      let release!: () => void;
      const bothHalfway = new Promise<void>((resolve) => (release = resolve));
      const crossing = (connection: PostgresConnection, first: string[], second: string[]) =>
        createPgGroupCommit<null, boolean[]>({
          connection,
          write: async (tx, items) => {
            const a = await insertEvents(tx, rows(first));
            if (++writes === 2) release();
            if (writes <= 2) await bothHalfway;
            const b = await insertEvents(tx, rows(second));
            return items.map(() => [...a, ...b]);
          },
        }).submit(null);
      const [x, y] = [ids('x', 50), ids('y', 50)];
      const results = await Promise.all([crossing(pool, x, y), crossing(other, y, x)]);
      expect(writes).toBe(3); // the one PostgreSQL ended ran again, and found everything stored
      expect(results.map((r) => r.every(Boolean) ? 'all' : r.some(Boolean) ? 'some' : 'none').sort()).toEqual(['all', 'none']);
      const { rows: counted } = await pool.query('SELECT count(*)::int AS n, count(DISTINCT message_id)::int AS d FROM events');
      expect(counted[0]).toEqual({ n: 100, d: 100 });
    } finally {
      await other.close();
    }
  });

  it('stores a messageId once when two processes insert it in the same moment', async () => {
    await pool.query(`ALTER DATABASE ${new URL(url).pathname.slice(1)} SET deadlock_timeout = '20ms'`);
    const barrier = 4711;
    const gate = new Client({ connectionString: url });
    await gate.connect();
    try {
      for (let round = 0; round < 3; round++) {
        await gate.query('SELECT pg_advisory_lock($1)', [barrier]);
        // 20 appends of 20 events; the other process has the same events, in another order.
        const mine = Array.from({ length: 20 }, (_, i) => ids(`r${round}-${i}`, 20));
        const theirs = mine.map((a) => [...a].reverse()).reverse();
        const child = spawn(process.execPath, [join(__dirname, 'ts-child.js'), join(__dirname, 'append-child.ts')], {
          env: { ...process.env, SPUR_CHILD_URL: url, SPUR_CHILD_BARRIER: String(barrier), SPUR_CHILD_APPENDS: JSON.stringify(theirs) },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
        const here = appendAtBarrier(url, barrier, mine, 'parent');
        // Both wait at the barrier, then go together.
        for (let waiting = 0; waiting < 2; ) {
          await new Promise((resolve) => setTimeout(resolve, 10));
          const { rows: locks } = await gate.query("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND NOT granted", [barrier]);
          waiting = locks[0].n;
          if ((await Promise.race([exited, Promise.resolve('running')])) !== 'running') throw new Error(`the child ended early: ${err}`);
        }
        await gate.query('SELECT pg_advisory_unlock($1)', [barrier]);
        const [storedHere, code] = await Promise.all([here, exited]);
        expect({ code, err }).toEqual({ code: 0, err: '' });
        const storedThere = JSON.parse(out.trim().split('\n').pop()!) as boolean[][];
        const there = new Map(theirs.flat().map((id, i) => [id, storedThere.flat()[i]]));
        const overlaps = mine.flat().filter((id, i) => storedHere.flat()[i] === there.get(id));
        expect(overlaps).toEqual([]); // every id stored by exactly one of the two
        const { rows: counted } = await pool.query(
          'SELECT count(*)::int AS n, count(DISTINCT message_id)::int AS d FROM events WHERE message_id LIKE $1',
          [`r${round}-%`],
        );
        expect(counted[0]).toEqual({ n: 400, d: 400 });
      }
    } finally {
      await gate.end();
    }
  }, 60_000);

  it('runs any write in the group transaction (createPgGroupCommit), one result per item', async () => {
    const commits = createPgGroupCommit<string[], number>({
      connection: pool,
      maxInFlight: 1,
      write: async (tx, items) => {
        const stored = await insertEvents(tx, rows(items.flat()));
        let at = 0;
        return items.map((item) => stored.slice(at, (at += item.length)).filter(Boolean).length);
      },
    });
    expect(await Promise.all([commits.submit(['e-1', 'e-2']), commits.submit(['e-2', 'e-3'])])).toEqual([2, 1]);
    await commits.drain();
  });
});
