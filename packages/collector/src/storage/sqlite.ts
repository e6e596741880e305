// The embedded SQLite backend (better-sqlite3): one file, WAL, synchronous=FULL so that a
// committed transaction is on disk before any request is acknowledged. Writes of concurrent
// requests are group-committed: one transaction, one fsync, many acknowledgements.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { StoredEvent } from '../../../sdk/src/types';
import { StorageUnavailableError } from '../errors';
import { clientTimestamp, eventFingerprint, isConflict } from '../fingerprint';
import { createGroupCommit } from './group-commit';
import { createProfileReader, IS_CUSTOMER } from './sqlite-profiles';
import { migrate } from './sqlite-schema';
import { checkFreeSpace, toStorageError } from './sqlite-failures';
import { CONFLICT_REASON, type AppendInput, type AppendResult, type RejectedEvent, type Storage } from './types';

export interface SqliteOptions {
  /** How long a write waits for another connection's lock before failing with 503. @defaultValue 5000 */
  busyTimeoutMs?: number;
  /**
   * Open read-only (for tools that must never write). Reads work; appends fail with 503 and
   * /readyz reports read_only. The file must exist with the current schema.
   * @defaultValue false
   */
  readonly?: boolean;
  /**
   * Cap on the database size, in bytes (whole pages). Past it, appends fail with 503 and /readyz
   * reports disk_full, exactly as on a full disk, so the collector cannot fill a disk it shares.
   * @defaultValue no cap
   */
  maxSizeBytes?: number;
}

/**
 * After an append failed, /readyz keeps reporting that failure this long (or until an append
 * succeeds), even when its own probe passes: a full database still takes the probe's one-row
 * write. Then the probe decides again.
 */
export const FAILURE_MEMORY_MS = 10_000;

/** Opens (creating file, parent directories and schema as needed) an SQLite store. */
export async function openSqliteStorage(file: string, options: SqliteOptions = {}): Promise<Storage> {
  const readonly = options.readonly ?? false;
  if (file !== ':memory:' && !readonly) mkdirSync(dirname(file), { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(file, { readonly, fileMustExist: readonly });
  } catch (err) {
    throw new Error(`cannot open the database ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    // A read-only connection can read a WAL file but not switch a file into WAL mode.
    if (!readonly) db.pragma('journal_mode = WAL');
    // FULL: the WAL is fsynced at every commit; a 2xx promises the event survives a power cut.
    db.pragma('synchronous = FULL');
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    if (options.maxSizeBytes !== undefined) {
      const pageSize = db.pragma('page_size', { simple: true }) as number;
      db.pragma(`max_page_count = ${Math.max(1, Math.floor(options.maxSizeBytes / pageSize))}`);
    }
    migrate(db, { readonly });
  } catch (err) {
    db.close();
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_')) {
      throw new Error(`cannot open the database ${file}: ${(err as Error).message} (${code})`, { cause: err });
    }
    throw err;
  }
  return createSqliteStorage(db, file === ':memory:' ? null : dirname(file));
}

// A readiness probe queued with the appends: it commits in the same group, on the same path.
const PROBE = Object.freeze({ probe: true as const });
type Work = AppendInput | typeof PROBE;

function createSqliteStorage(db: Database.Database, dir: string | null): Storage {
  const insertEvent = db.prepare(
    `INSERT INTO events (message_id, type, anonymous_id, user_id, timestamp, received_at, write_key, body)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING`,
  );
  // Read on duplicates only. Fingerprints are computed then, from the stored body, rather than
  // stored with every event: duplicates are rare, and hashing every insert cost about 40% of
  // the storage's throughput (bench/README.md).
  const storedVersion = db.prepare('SELECT body FROM events WHERE message_id = ?').pluck();
  const conflictRecorded = db
    .prepare('SELECT EXISTS (SELECT 1 FROM rejected_events WHERE message_id = ? AND fingerprint = ?)')
    .pluck();
  // firstSeen is the earliest event time of the pair, whatever order events arrive in.
  const upsertLink = db.prepare(
    `INSERT INTO identity_links (anonymous_id, user_id, first_seen) VALUES (?, ?, ?)
     ON CONFLICT (anonymous_id, user_id) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen)`,
  );
  const insertAlias = db.prepare(
    'INSERT INTO aliases (previous_id, user_id, created_at) VALUES (?, ?, ?) ON CONFLICT (previous_id) DO NOTHING',
  );
  const isCustomer = db.prepare(IS_CUSTOMER).pluck();
  const insertRejected = db.prepare(
    'INSERT INTO rejected_events (message_id, reason, write_key, received_at, raw, fingerprint) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const selectRejected = db.prepare(
    'SELECT message_id, reason, write_key, received_at, raw FROM rejected_events ORDER BY id LIMIT ?',
  );
  const touchHealth = db.prepare(
    'INSERT INTO health (id, checked_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at',
  );
  const reader = createProfileReader(db);

  function recordIdentity(e: StoredEvent): void {
    if (e.anonymousId && e.userId) upsertLink.run(e.anonymousId, e.userId, e.timestamp);
    if (e.type === 'alias' && e.previousId && e.userId && e.previousId !== e.userId) {
      // An anonymous previousId becomes a link, like an identify; a customer previousId is merged
      // through the aliases table (all of its events and links then resolve to userId).
      if (!isCustomer.get({ id: e.previousId })) upsertLink.run(e.previousId, e.userId, e.timestamp);
      insertAlias.run(e.previousId, e.userId, e.timestamp);
    }
  }

  function write(input: AppendInput): AppendResult {
    const stored = input.events.map((e) => {
      const { writeKey: _ignored, ...body } = e;
      const json = JSON.stringify(body);
      const row = [e.messageId, e.type, e.anonymousId ?? null, e.userId ?? null, e.timestamp, e.receivedAt];
      if (insertEvent.run(...row, input.writeKey, json).changes === 1) {
        // Identity is recorded once per stored event; a duplicate adds nothing.
        recordIdentity(e);
        return true;
      }
      // A duplicate. When the client authored something else under this messageId, the stored
      // event stays and the newcomer is kept as a conflict, once per distinct payload.
      const storedJson = storedVersion.get(e.messageId) as string | undefined;
      const existing = storedJson === undefined ? undefined : (JSON.parse(storedJson) as StoredEvent);
      const fingerprint = eventFingerprint(e);
      const incoming = { fingerprint, clientTimestamp: clientTimestamp(e) };
      if (existing && isConflict({ fingerprint: eventFingerprint(existing), clientTimestamp: clientTimestamp(existing) }, incoming)) {
        const key = `${fingerprint}@${incoming.clientTimestamp ?? ''}`;
        if (!conflictRecorded.get(e.messageId, key)) {
          insertRejected.run(e.messageId, CONFLICT_REASON, input.writeKey, e.receivedAt, json, key);
        }
      }
      return false;
    });
    for (const r of input.rejected) {
      insertRejected.run(r.messageId ?? null, r.reason, r.writeKey, r.receivedAt, r.raw, null);
    }
    return { stored };
  }

  // IMMEDIATE takes the write lock up front, so a busy database fails fast at BEGIN instead of
  // deadlocking when a read transaction tries to upgrade.
  const writeGroup = db.transaction((items: Work[]): (AppendResult | null)[] => {
    let probed = false;
    return items.map((item) => {
      if (item !== PROBE) return write(item as AppendInput);
      if (!probed) touchHealth.run(new Date().toISOString());
      probed = true;
      return null;
    });
  });
  const group = createGroupCommit<Work, AppendResult | null>((items) => writeGroup.immediate(items));
  let closed: Promise<void> | null = null;
  // The latest append failure, until an append succeeds (see FAILURE_MEMORY_MS).
  let lastFailure: { error: StorageUnavailableError; at: number } | null = null;

  // Runs a database call, turning database failures (busy, full, read-only, I/O, closed) into
  // StorageUnavailableError (503). Anything else is a bug and propagates as such (500).
  async function guard<T>(what: string, fn: () => T | Promise<T>): Promise<T> {
    try {
      if (!db.open) throw new StorageUnavailableError('storage is closed', { reason: 'closed' });
      return await fn();
    } catch (err) {
      throw toStorageError(what, err, db.open) ?? err;
    }
  }

  // Refuses new work once close() has begun, also while queued appends are still draining.
  function assertOpen(): void {
    if (closed) throw new StorageUnavailableError('storage is closed', { reason: 'closed' });
  }

  return {
    append: async (input) => {
      assertOpen();
      try {
        const result = (await guard('append', () => group.submit(input))) as AppendResult;
        lastFailure = null;
        return result;
      } catch (err) {
        if (err instanceof StorageUnavailableError) lastFailure = { error: err, at: Date.now() };
        throw err;
      }
    },
    getProfile: (id) => guard('read', () => reader.profile(id)),
    getProfileEvents: (id, options) => guard('read', () => reader.events(id, options?.limit)),
    listRejected: (options) =>
      guard('read', () =>
        (selectRejected.all(options?.limit ?? -1) as Record<string, string | null>[]).map(
          (r): RejectedEvent => ({
            ...(r.message_id !== null && { messageId: r.message_id }),
            reason: r.reason!,
            writeKey: r.write_key!,
            receivedAt: r.received_at!,
            raw: r.raw!,
          }),
        ),
      ),
    ping: async () => {
      assertOpen();
      const failure = lastFailure;
      const age = failure ? Date.now() - failure.at : Infinity;
      if (failure && age < FAILURE_MEMORY_MS) {
        throw new StorageUnavailableError(`the last append failed ${Math.round(age / 1000)} s ago: ${failure.error.message}`, {
          reason: failure.error.reason,
          cause: failure.error,
        });
      }
      // The probe joins the group of the moment (no extra fsync); free space is checked meanwhile.
      const [probe, space] = await Promise.allSettled([
        guard('probe', () => group.submit(PROBE)),
        dir === null ? undefined : checkFreeSpace(dir),
      ]);
      if (probe.status === 'rejected') throw probe.reason;
      if (space.status === 'rejected') throw space.reason;
    },
    close() {
      closed ??= (async () => {
        // Queued appends were promised a commit; write them before closing.
        await group.drain();
        db.close();
      })();
      return closed;
    },
  };
}
