// PostgreSQL for a test file: the run's server (global-setup.js starts one per `npm test`) and a
// database of the file's own on it, created from a template before its tests and dropped after
// them, so that files running in parallel share nothing. Without PostgreSQL binaries the tests
// are skipped with the reason in the log; with CI=true that is a failure instead, so that a CI
// machine cannot pass by testing nothing.
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { startCluster, type Cluster } from './cluster';

/** CI=true (or 1, yes): a missing PostgreSQL fails the run rather than skipping its tests. */
export const inCI = () => /^(true|1|yes)$/i.test(process.env.CI ?? '');

/** What this run has: a server's URL, a reason to skip, or a reason to fail. */
export type PostgresState = { url: string } | { skip: string } | { fail: string };

export function testPostgres(): PostgresState {
  const url = process.env.SPUR_TEST_DATABASE_URL;
  if (url) return { url };
  if (process.env.SPUR_TEST_POSTGRES_ERROR) return { fail: process.env.SPUR_TEST_POSTGRES_ERROR };
  const reason = process.env.SPUR_TEST_POSTGRES_SKIP ?? 'jest ran without its global setup (packages/collector/test/postgres/global-setup.js)';
  return inCI() ? { fail: `CI=true, and PostgreSQL cannot be tested: ${reason}` } : { skip: reason };
}

/** The URL of database `name` on the server of `url`. */
export function databaseUrl(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: databaseUrl(url, 'postgres') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty database (from template0) on the server of `url`; resolves to its URL. */
export async function createDatabase(url: string, prefix = 'spur_test'): Promise<string> {
  // A generated name (letters, digits, underscores), so it can stand in the statement as is.
  const name = `${prefix}_${process.env.JEST_WORKER_ID ?? '0'}_${randomBytes(6).toString('hex')}`;
  await admin(url, (c) => c.query(`CREATE DATABASE ${name} TEMPLATE template0`));
  return databaseUrl(url, name);
}

/** Drops the database of `url`, ending its sessions first. */
export async function dropDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  if (!/^\w+$/.test(name)) throw new Error(`not a test database: ${name}`);
  await admin(url, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

export interface TestDatabase {
  /** The file's database (available in beforeAll and tests). */
  readonly url: string;
  /** Another empty database, dropped after the file's tests. */
  fresh(): Promise<string>;
}

/** Registers beforeAll/afterAll that create the file's database and drop it (and fresh ones). */
export function usePostgres(): TestDatabase {
  const state = testPostgres();
  const made: string[] = [];
  let url: string | undefined;
  const server = () => {
    if (!('url' in state)) throw new Error('no PostgreSQL server in this run');
    return state.url;
  };
  // A file may make dozens of databases (a fresh one per contract test); dropping them all on a
  // loaded machine takes longer than jest's default 5 s for a hook.
  beforeAll(async () => {
    url = await createDatabase(server());
    made.push(url);
  }, 60_000);
  afterAll(async () => {
    for (const db of made.splice(0)) await dropDatabase(db);
  }, 120_000);
  return {
    get url() {
      if (!url) throw new Error('the test database exists from beforeAll on');
      return url;
    },
    async fresh() {
      const db = await createDatabase(server());
      made.push(db);
      return db;
    },
  };
}

/**
 * describe() for tests that need PostgreSQL, handing them the file's database. Without a server
 * it logs why and skips them, or, under CI=true or when the server would not start, fails.
 */
export function describePostgres(name: string, body: (db: TestDatabase) => void): void {
  const state = testPostgres();
  if ('url' in state) {
    describe(name, () => body(usePostgres()));
    return;
  }
  if ('skip' in state) {
    console.warn(`${name}: skipped: ${state.skip}`);
    describe.skip(name, () => body({ url: '', fresh: async () => '' }));
    return;
  }
  describe(name, () => {
    it('has a PostgreSQL server to test against', () => {
      throw new Error(state.fail);
    });
  });
}

/**
 * A server of the test's own, for tests that stop and start it: started in beforeAll (fsync
 * off, like the run's), removed in afterAll. Its folder carries this worker's pid, so that a
 * killed run's is stopped and removed by the next run's global setup.
 */
export function useOwnServer(settings: Record<string, string | number> = {}): { readonly cluster: Cluster } {
  let cluster: Cluster | undefined;
  beforeAll(async () => {
    cluster = await startCluster({ prefix: 'spur-pg-test', settings });
  }, 60_000);
  afterAll(async () => {
    await cluster?.destroy();
  }, 60_000);
  return {
    get cluster() {
      if (!cluster) throw new Error('the server exists from beforeAll on');
      return cluster;
    },
  };
}
