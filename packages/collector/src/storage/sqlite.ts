// The embedded SQLite backend (better-sqlite3): one file, WAL, synchronous=FULL so that a
// committed transaction is on disk before any request is acknowledged. Writes of concurrent
// requests are group-committed: one transaction, one fsync, many acknowledgements.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { StoredEvent } from '../../../sdk/src/types';
import { StorageUnavailableError } from '../errors';
import { createGroupCommit } from './group-commit';
import { createProfileReader } from './sqlite-profiles';
import { migrate } from './sqlite-schema';
import type { AppendInput, AppendResult, RejectedEvent, Storage } from './types';

export interface SqliteOptions {
  /** How long a write waits for another connection's lock before failing with 503. @defaultValue 5000 */
  busyTimeoutMs?: number;
}

/** Opens (creating file, parent directories and schema as needed) an SQLite store. */
export async function openSqliteStorage(file: string, options: SqliteOptions = {}): Promise<Storage> {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    // FULL: the WAL is fsynced at every commit; a 2xx promises the event survives a power cut.
    db.pragma('synchronous = FULL');
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return createSqliteStorage(db);
}

function createSqliteStorage(db: Database.Database): Storage {
  const insertEvent = db.prepare(
    `INSERT INTO events (message_id, type, anonymous_id, user_id, timestamp, received_at, write_key, body)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING`,
  );
  // firstSeen is the earliest event time of the pair, whatever order events arrive in.
  const upsertLink = db.prepare(
    `INSERT INTO identity_links (anonymous_id, user_id, first_seen) VALUES (?, ?, ?)
     ON CONFLICT (anonymous_id, user_id) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen)`,
  );
  const insertAlias = db.prepare(
    'INSERT INTO aliases (previous_id, user_id, created_at) VALUES (?, ?, ?) ON CONFLICT (previous_id) DO NOTHING',
  );
  const isCustomer = db
    .prepare(
      `SELECT EXISTS (SELECT 1 FROM events WHERE user_id = @id)
           OR EXISTS (SELECT 1 FROM identity_links WHERE user_id = @id)
           OR EXISTS (SELECT 1 FROM aliases WHERE user_id = @id)`,
    )
    .pluck();
  const insertRejected = db.prepare(
    'INSERT INTO rejected_events (message_id, reason, write_key, received_at, raw) VALUES (?, ?, ?, ?, ?)',
  );
  const selectRejected = db.prepare(
    'SELECT message_id, reason, write_key, received_at, raw FROM rejected_events ORDER BY id LIMIT ?',
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
      const row = [e.messageId, e.type, e.anonymousId ?? null, e.userId ?? null, e.timestamp, e.receivedAt];
      const inserted = insertEvent.run(...row, input.writeKey, JSON.stringify(body)).changes === 1;
      // Identity is recorded once per stored event; a duplicate adds nothing.
      if (inserted) recordIdentity(e);
      return inserted;
    });
    for (const r of input.rejected) insertRejected.run(r.messageId ?? null, r.reason, r.writeKey, r.receivedAt, r.raw);
    return { stored };
  }

  // IMMEDIATE takes the write lock up front, so a busy database fails fast at BEGIN instead of
  // deadlocking when a read transaction tries to upgrade.
  const writeGroup = db.transaction((inputs: AppendInput[]) => inputs.map(write));
  const group = createGroupCommit<AppendInput, AppendResult>((inputs) => writeGroup.immediate(inputs));
  let closed: Promise<void> | null = null;

  // Runs a database call, turning database failures (busy, full, read-only, I/O, closed) into
  // StorageUnavailableError (503). Anything else is a bug and propagates as such (500).
  async function guard<T>(what: string, fn: () => T | Promise<T>): Promise<T> {
    try {
      if (!db.open) throw new Error('database is closed');
      return await fn();
    } catch (err) {
      // Matched by code, not instanceof: better-sqlite3's native addon keeps the SqliteError class
      // of whichever copy of the module loaded it first (several under Jest's module registries).
      const code = (err as { code?: unknown }).code;
      const sqlite = typeof code === 'string' && code.startsWith('SQLITE_');
      if (!sqlite && db.open) throw err;
      throw new StorageUnavailableError(`sqlite ${what} failed: ${sqlite ? code : (err as Error).message}`, { cause: err });
    }
  }

  // Refuses new work once close() has begun, also while queued appends are still draining.
  function assertOpen(): void {
    if (closed) throw new StorageUnavailableError('storage is closed');
  }

  return {
    append: async (input) => {
      assertOpen();
      return guard('append', () => group.submit(input));
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
      return guard('ping', () => void db.prepare('SELECT 1').get());
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
