// The backends the privacy tests run on, with what the tests read of a database behind the
// collector's back: the rows of a table, and a way to make the erasure's audit write fail.
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { openSqliteStorage, type Storage } from '../../src';
import { openPostgresStorage } from '../../src/storage/postgres/storage';
import type { TestDatabase } from '../postgres/server';

export interface PrivacyBackend {
  name: string;
  /** Opens the database `file` names (the same name, the same database). */
  open(file: string): Promise<Storage>;
  /** Every table that may hold a subject's data. */
  tables: readonly string[];
  /** The rows of `table` (one of `tables`, or erasures) as stored. */
  rows(file: string, table: string): Promise<unknown[]>;
  /** Makes writing an erasure's audit row fail (on), or work again (off). */
  refuseAudit(file: string, on: boolean): Promise<void>;
}

const COMMON = ['events', 'identity_links', 'aliases', 'rejected_events', 'erasures', 'suppressions'];

export const sqliteBackend: PrivacyBackend = {
  name: 'SQLite',
  open: (file) => openSqliteStorage(file),
  tables: [...COMMON, 'anonymous_runs'],
  async rows(file, table) {
    const db = new Database(file, { readonly: true });
    try {
      return db.prepare(`SELECT * FROM ${table}`).all();
    } finally {
      db.close();
    }
  },
  async refuseAudit(file, on) {
    const db = new Database(file);
    try {
      db.exec(on ? "CREATE TRIGGER no_audit BEFORE INSERT ON erasures BEGIN SELECT RAISE(ABORT, 'audit refused'); END" : 'DROP TRIGGER no_audit');
    } finally {
      db.close();
    }
  },
};

/** PostgreSQL: each file name a database of its own on the run's server, made on first use. */
export function postgresBackend(db: TestDatabase): PrivacyBackend {
  const databases = new Map<string, Promise<string>>();
  const urlOf = (file: string) => {
    if (!databases.has(file)) databases.set(file, db.fresh());
    return databases.get(file)!;
  };
  const withClient = async <T>(file: string, fn: (c: Client) => Promise<T>): Promise<T> => {
    const client = new Client({ connectionString: await urlOf(file) });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };
  return {
    name: 'PostgreSQL',
    open: async (file) => openPostgresStorage(await urlOf(file)),
    tables: [...COMMON, 'rejected_terms'],
    rows: (file, table) => withClient(file, async (c) => (await c.query(`SELECT * FROM ${table}`)).rows),
    refuseAudit: (file, on) =>
      withClient(file, async (c) => {
        // As the server would fail it when its disk is full (53100): a storage failure, 503.
        if (!on) return void (await c.query('DROP TRIGGER no_audit ON erasures'));
        await c.query(`CREATE OR REPLACE FUNCTION no_audit() RETURNS trigger LANGUAGE plpgsql AS
          $$ BEGIN RAISE EXCEPTION 'audit refused' USING ERRCODE = '53100'; END $$`);
        await c.query('CREATE TRIGGER no_audit BEFORE INSERT ON erasures FOR EACH ROW EXECUTE FUNCTION no_audit()');
      }),
  };
}
