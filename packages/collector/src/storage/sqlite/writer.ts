// The write side of the SQLite backend: runs the rules' write programs in IMMEDIATE transactions
// (one per group of appends and readiness probes, one per erasure), and purge chunks. It runs on
// the writer thread (writer-thread.ts), or on the caller's thread for an in-memory database.
// Programs are loaded by module path (WriteProgram), so that they run where the transaction is:
// the rules decide, this file only begins, commits and hands them the connection's primitives.
import type { Database } from 'better-sqlite3';
import { createProgramLoader, type ProgramName } from '../programs';
import { createAccountWrites, type AccountWrite } from './accounts';
import { createFactsWriter, type FactsWrite } from './facts-backfill';
import { createPurger, type PurgeChunk, type PurgeTask } from './privacy';
import { createTransaction } from './transaction';

/** A write program as it crosses threads: where it lives, and whether it is grouped. */
export interface ProgramRef extends ProgramName {
  grouped: boolean;
}

/** One input of a program. */
export interface ProgramItem {
  program: ProgramRef;
  input: unknown;
}

/** A readiness probe: rewrites the health row, in the group of the moment. */
export const PROBE = 'probe';

export type WriteItem = ProgramItem | typeof PROBE;
/** Per item: the program's output; null for a probe. */
export type WriteResult = unknown;

export interface Writer {
  /** Writes `items` in one transaction; rejects (nothing written) when the database refuses. */
  commit(items: WriteItem[]): Promise<WriteResult[]>;
  /** Runs one input of an ungrouped program in a transaction of its own (its failure fails only itself). */
  alone(item: ProgramItem): Promise<unknown>;
  /** One purge chunk, in a transaction of its own; throws (nothing written) when the database refuses. */
  purge(task: PurgeTask): PurgeChunk;
  /** One write of the dashboard's accounts (accounts.ts), in a transaction of its own. */
  accounts(write: AccountWrite): unknown;
  /** One step of the facts backfill (facts-backfill.ts), in a transaction of its own; answers the rows written. */
  facts(write: FactsWrite): number;
  /** Characters of event bodies committed since the last call (what the checkpointer is asked by). */
  takeInsertedChars(): number;
}

/**
 * One thing at a time on a connection: a transaction is awaited (its program's steps are
 * promises), and another must not begin on the connection meanwhile.
 */
export function createLock(): <T>(work: () => T | Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (work) => {
    const run = tail.then(work);
    tail = run.catch(() => undefined);
    return run;
  };
}

export function createWriter(db: Database): Writer {
  const { tx, takeInsertedChars } = createTransaction(db);
  const programOf = createProgramLoader();
  const purge = createPurger(db);
  const accounts = createAccountWrites(db);
  const facts = createFactsWriter(db);
  const s = {
    // IMMEDIATE takes the write lock up front, so a busy database fails fast at BEGIN instead of
    // deadlocking when a read transaction tries to upgrade.
    begin: db.prepare('BEGIN IMMEDIATE'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
    touchHealth: db.prepare('INSERT INTO health (id, checked_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at'),
  };

  // The COMMIT is the fsync (synchronous=FULL): where a commit's time goes, under its own name.
  function commitTransaction(): void {
    s.commit.run();
  }

  async function transaction<T>(work: () => Promise<T>): Promise<T> {
    s.begin.run();
    try {
      const result = await work();
      commitTransaction();
      return result;
    } catch (err) {
      if (db.inTransaction) s.rollback.run();
      throw err;
    }
  }

  return {
    commit: (items) =>
      transaction(async () => {
        const results: WriteResult[] = new Array(items.length).fill(null);
        // Each program's inputs of the group in one call, in the order they were submitted.
        const byProgram = new Map<string, { ref: ProgramRef; at: number[] }>();
        let probed = false;
        items.forEach((item, at) => {
          if (item === PROBE) {
            if (!probed) s.touchHealth.run(new Date().toISOString());
            probed = true;
            return;
          }
          const key = `${item.program.module}#${item.program.factory}`;
          const entry = byProgram.get(key) ?? byProgram.set(key, { ref: item.program, at: [] }).get(key)!;
          entry.at.push(at);
        });
        for (const { ref, at } of byProgram.values()) {
          const outputs = await programOf(ref)(tx, at.map((i) => (items[i] as ProgramItem).input));
          at.forEach((i, k) => (results[i] = outputs[k]));
        }
        return results;
      }),
    alone: (item) => transaction(async () => (await programOf(item.program)(tx, [item.input]))[0]),
    purge: (task) => db.transaction(() => purge(task)).immediate(),
    accounts: ({ op, args }) => db.transaction(() => (accounts[op] as (...a: unknown[]) => unknown)(...args)).immediate(),
    facts: (write) => db.transaction(() => facts(write)).immediate(),
    takeInsertedChars,
  };
}
