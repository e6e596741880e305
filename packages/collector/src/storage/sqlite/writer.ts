// The write side of the SQLite backend: one IMMEDIATE transaction per group of appends and
// readiness probes. It runs on the writer thread (writer-thread.ts), or on the caller's
// thread for an in-memory database. Appends reach it as rows: flat arrays of strings, serialized
// once where the events were built, which cross to another thread at the cost of a copy.
import type { Database } from 'better-sqlite3';
import type { StoredEvent } from '@spur/sdk';
import { clientTimestamp, eventFingerprint, isConflict } from '../../rules/conflicts';
import { createPrivacyWriter, hashId, type MaintenanceResult, type MaintenanceTask } from './privacy';
import { IS_CUSTOMER } from './profiles';
import { createRejectedWrites } from './rejected';
import type { AppendInput, RejectedEvent } from '../types';

/** One append, as the writer takes it. */
export interface AppendRows {
  writeKey: string;
  /** FIELDS values per event: see toRows. */
  rows: (string | null)[];
  rejected: RejectedEvent[];
}

/** A readiness probe: rewrites the health row, in the group of the moment. */
export const PROBE = 'probe';

export type WriteItem = AppendRows | typeof PROBE;
/** What an append did: `stored` per event, and how many events were suppressed (not stored). */
export interface AppendOutcome {
  stored: boolean[];
  suppressed: number;
}
/** Per item: the outcome of an append; null for a probe. */
export type WriteResult = AppendOutcome | null;

/** Values per event in AppendRows.rows; the stored body (JSON) is the last. */
export const FIELDS = 8;

/** The rows of an append: per event its lookup columns, previousId, and the stored body (JSON). */
export function toRows(input: AppendInput): AppendRows {
  const rows: (string | null)[] = new Array(input.events.length * FIELDS);
  let at = 0;
  for (const e of input.events) {
    rows[at++] = e.messageId;
    rows[at++] = e.type;
    rows[at++] = e.anonymousId ?? null;
    rows[at++] = e.userId ?? null;
    rows[at++] = e.timestamp;
    rows[at++] = e.receivedAt;
    rows[at++] = e.previousId ?? null;
    // The write key has its own column. Copied only when present: a copy per event is not free.
    rows[at++] = JSON.stringify(e.writeKey === undefined ? e : { ...e, writeKey: undefined });
  }
  return { writeKey: input.writeKey, rows, rejected: input.rejected };
}

export interface Writer {
  /** Writes `items` in one transaction; throws (nothing written) when the database refuses. */
  commit(items: WriteItem[]): WriteResult[];
  /**
   * Runs an erasure or a purge chunk in a transaction of its own (never grouped with appends:
   * its failure fails only itself); throws (nothing written) when the database refuses.
   */
  maintain(task: MaintenanceTask): MaintenanceResult;
}

// The ids an event carries that an erasure suppresses.
const PREVIOUS_ID = 6;
const RECEIVED_AT = 5;

/**
 * The writer's view of the suppressions. The table is the truth, shared by every process on
 * the file; the writer keeps it in memory and reloads it when the generation moved (checked in
 * each write transaction: one row read), so an erasure committed by another process is seen by
 * the next append here. Ids are hashed only while a suppression exists, once per id seen.
 */
export interface Suppressor {
  /** Reloads when the database changed; call inside the write transaction. */
  sync(): void;
  /** Whether any suppression is loaded (nothing to check otherwise). */
  readonly active: boolean;
  /** True when an event carrying `id`, received at `receivedAt` (ISO), must not be stored. */
  suppresses(id: string | null | undefined, receivedAt: string): boolean;
}

export function createSuppressor(db: Database): Suppressor {
  const state = db.prepare('SELECT generation, salt FROM privacy_state WHERE id = 1');
  const all = db.prepare('SELECT id_hash, until FROM suppressions').raw();
  let loaded = -1;
  let salt = '';
  let until = new Map<string, string>();
  let hashes = new Map<string, string>();
  return {
    sync() {
      const row = state.get() as { generation: number; salt: string };
      if (row.generation === loaded) return;
      loaded = row.generation;
      salt = row.salt;
      until = new Map(all.all() as [string, string][]);
      hashes = new Map();
    },
    get active() {
      return until.size > 0;
    },
    suppresses(id, receivedAt) {
      if (!id || until.size === 0) return false;
      let hash = hashes.get(id);
      if (hash === undefined) {
        if (hashes.size >= 100_000) hashes.clear(); // bounded: a cache, not a record of ids
        hashes.set(id, (hash = hashId(salt, id)));
      }
      const end = until.get(hash);
      return end !== undefined && receivedAt < end;
    },
  };
}

export function createWriter(db: Database): Writer {
  const insertEvent = db.prepare(
    `INSERT INTO events (message_id, type, anonymous_id, user_id, timestamp, received_at, write_key, body)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING`,
  );
  // Read on duplicates only. Fingerprints are computed then, from the stored body, rather than
  // stored with every event: duplicates are rare, and hashing every insert cost about 40% of
  // the storage's throughput (bench/README.md).
  const storedVersion = db.prepare('SELECT body FROM events WHERE message_id = ?').pluck();
  // firstSeen is the earliest event time of the pair, whatever order events arrive in.
  const upsertLink = db.prepare(
    `INSERT INTO identity_links (anonymous_id, user_id, first_seen) VALUES (?, ?, ?)
     ON CONFLICT (anonymous_id, user_id) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen)`,
  );
  const insertAlias = db.prepare(
    'INSERT INTO aliases (previous_id, user_id, created_at) VALUES (?, ?, ?) ON CONFLICT (previous_id) DO NOTHING',
  );
  const insertRun = db.prepare('INSERT INTO anonymous_runs (anonymous_id, first_seq, last_seq) VALUES (?, ?, ?)');
  const isCustomer = db.prepare(IS_CUSTOMER).pluck();
  const rejectedWrites = createRejectedWrites(db);
  const suppressor = createSuppressor(db);
  const privacy = createPrivacyWriter(db);
  const touchHealth = db.prepare(
    'INSERT INTO health (id, checked_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at',
  );

  function recordIdentity(type: string, anonymousId: string | null, userId: string | null, previousId: string | null, at: string): void {
    if (anonymousId && userId) upsertLink.run(anonymousId, userId, at);
    if (type === 'alias' && previousId && userId && previousId !== userId) {
      // An anonymous previousId becomes a link, like an identify; a customer previousId is merged
      // through the aliases table (all of its events and links then resolve to userId).
      if (!isCustomer.get({ id: previousId })) upsertLink.run(previousId, userId, at);
      insertAlias.run(previousId, userId, at);
    }
  }

  // A duplicate. When the client authored something else under this messageId, the stored event
  // stays and the newcomer is kept as a conflict, once per distinct payload.
  function recordConflict(messageId: string, json: string, writeKey: string): void {
    const storedJson = storedVersion.get(messageId) as string | undefined;
    if (storedJson === undefined) return;
    const existing = JSON.parse(storedJson) as StoredEvent;
    const incoming = JSON.parse(json) as StoredEvent;
    const fingerprint = eventFingerprint(incoming);
    const mine = { fingerprint, clientTimestamp: clientTimestamp(incoming) };
    if (!isConflict({ fingerprint: eventFingerprint(existing), clientTimestamp: clientTimestamp(existing) }, mine)) return;
    const key = `${fingerprint}@${mine.clientTimestamp ?? ''}`;
    if (!rejectedWrites.conflictRecorded(messageId, key)) rejectedWrites.conflict(messageId, key, writeKey, incoming.receivedAt, json);
  }

  function write({ writeKey, rows, rejected }: AppendRows): AppendOutcome {
    const stored: boolean[] = new Array(rows.length / FIELDS);
    let suppressed = 0;
    const suppressing = suppressor.active;
    // The run of anonymous_runs being built: rows inserted one after the other by this append
    // (consecutive rowids: this connection is the only writer) with the same anonymous id.
    let run: { id: string; first: number; last: number } | null = null;
    for (let at = 0, i = 0; at < rows.length; at += FIELDS, i++) {
      const messageId = rows[at] as string;
      const json = rows[at + 7] as string;
      const anonymousId = rows[at + 2];
      const userId = rows[at + 3];
      const timestamp = rows[at + 4] as string;
      if (suppressing) {
        const receivedAt = rows[at + RECEIVED_AT] as string;
        if (
          suppressor.suppresses(userId, receivedAt) ||
          suppressor.suppresses(anonymousId, receivedAt) ||
          suppressor.suppresses(rows[at + PREVIOUS_ID], receivedAt)
        ) {
          // An erased subject's id: neither the event nor a link nor a conflict is kept. A resend
          // of an erased event lands here too, so erasure stays final for its messageId.
          stored[i] = false;
          suppressed++;
          continue;
        }
      }
      const result = insertEvent.run(messageId, rows[at + 1], anonymousId, userId, timestamp, rows[at + 5], writeKey, json);
      stored[i] = result.changes === 1;
      if (!stored[i]) {
        // A duplicate inserts no row, so the run goes on past it.
        recordConflict(messageId, json, writeKey);
        continue;
      }
      // Identity is recorded once per stored event; a duplicate adds nothing.
      recordIdentity(rows[at + 1] as string, anonymousId, userId, rows[at + 6], timestamp);
      const seq = Number(result.lastInsertRowid);
      if (run && run.id === anonymousId && run.last === seq - 1) {
        run.last = seq;
        continue;
      }
      if (run) insertRun.run(run.id, run.first, run.last);
      run = anonymousId === null ? null : { id: anonymousId, first: seq, last: seq };
    }
    if (run) insertRun.run(run.id, run.first, run.last);
    // A rejected event that carries an erased id anywhere is not kept: an erasure would take it.
    if (rejected.length) {
      rejectedWrites.append(rejected, (values, receivedAt) => !suppressing || !values.some((v) => suppressor.suppresses(v, receivedAt)));
    }
    return { stored, suppressed };
  }

  // IMMEDIATE takes the write lock up front, so a busy database fails fast at BEGIN instead of
  // deadlocking when a read transaction tries to upgrade.
  const transaction = db.transaction((items: WriteItem[]): WriteResult[] => {
    // Inside the write lock: an erasure committed by any connection before this point is seen.
    suppressor.sync();
    let probed = false;
    return items.map((item) => {
      if (item !== PROBE) return write(item);
      if (!probed) touchHealth.run(new Date().toISOString());
      probed = true;
      return null;
    });
  });
  const maintenance = db.transaction((task: MaintenanceTask) => {
    const result = privacy.run(task);
    suppressor.sync();
    return result;
  });
  return {
    commit: (items) => transaction.immediate(items),
    // Erased and purged rows are overwritten with zeros, not only unlinked: the write connection
    // runs with secure_delete (connection.ts). The WAL is emptied by scrub.ts.
    maintain: (task) => maintenance.immediate(task),
  };
}
