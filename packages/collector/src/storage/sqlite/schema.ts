// SQLite schema, versioned with PRAGMA user_version: migration i brings the file from version i
// to i + 1. Append new migrations; never edit a released one.
import type { Database } from 'better-sqlite3';
import { createRejectedWrites } from './rejected';
import { CONFLICT_REASON, type RejectedGroup } from '../types';

const MIGRATIONS: string[] = [
  `
  -- One row per event, forever: message_id is the dedupe key, so a resend is a no-op.
  -- body is the event as returned by the admin API; the other columns exist for lookups.
  CREATE TABLE events (
    message_id   TEXT PRIMARY KEY,
    type         TEXT NOT NULL,
    anonymous_id TEXT,
    user_id      TEXT,
    timestamp    TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    write_key    TEXT NOT NULL,
    body         TEXT NOT NULL
  );
  CREATE INDEX events_user ON events (user_id) WHERE user_id IS NOT NULL;
  CREATE INDEX events_anonymous ON events (anonymous_id) WHERE anonymous_id IS NOT NULL;

  -- Identity graph: anonymous id A was seen with customer id U, first at first_seen (event time).
  CREATE TABLE identity_links (
    anonymous_id TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    first_seen   TEXT NOT NULL,
    PRIMARY KEY (anonymous_id, user_id)
  ) WITHOUT ROWID;
  CREATE INDEX identity_links_user ON identity_links (user_id);

  -- Explicit merges from alias events: previous_id resolves to user_id. The first alias of an id wins.
  CREATE TABLE aliases (
    previous_id TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL,
    created_at  TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX aliases_user ON aliases (user_id);

  -- Events that failed validation, with the reason, so that nothing is silently dropped.
  CREATE TABLE rejected_events (
    id          INTEGER PRIMARY KEY,
    message_id  TEXT,
    reason      TEXT NOT NULL,
    write_key   TEXT NOT NULL,
    received_at TEXT NOT NULL,
    raw         TEXT NOT NULL
  );
  `,
  `
  -- Conflict detection compares a hash of what the client authored (fingerprint.ts), computed
  -- from the stored body when a messageId arrives again. A conflict is kept in rejected_events
  -- with "<fingerprint>@<client timestamp>", so that a resend of the same
  -- conflicting event is recorded once. NULL for events rejected by validation.
  ALTER TABLE rejected_events ADD COLUMN fingerprint TEXT;
  CREATE INDEX rejected_events_conflicts ON rejected_events (message_id, fingerprint) WHERE fingerprint IS NOT NULL;

  -- One row, rewritten by the readiness probe: proves that the database takes a write.
  CREATE TABLE health (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at TEXT NOT NULL
  );
  `,
  `
  -- Where the events of an anonymous id are: one row per run of consecutive events rows
  -- (first_seq..last_seq, by rowid) of that id written by one append. An SDK batch holds one
  -- visitor's events, so a request adds one row here where an index added one entry per event:
  -- those entries landed on a page of their own per visitor and were about 40% of the bytes
  -- each commit wrote and fsynced (bench/README.md). Readers join back on events.anonymous_id.
  CREATE TABLE anonymous_runs (
    anonymous_id TEXT NOT NULL,
    first_seq    INTEGER NOT NULL,
    last_seq     INTEGER NOT NULL,
    PRIMARY KEY (anonymous_id, first_seq)
  ) WITHOUT ROWID;
  INSERT INTO anonymous_runs (anonymous_id, first_seq, last_seq)
    SELECT anonymous_id, rowid, rowid FROM events WHERE anonymous_id IS NOT NULL ORDER BY anonymous_id, rowid;
  DROP INDEX events_anonymous;
  `,
  `
  -- Data subject rights and retention (sqlite-privacy.ts). One row: a random salt that keys the
  -- hashes below (HMAC-SHA256), so that a hash is no dictionary lookup shared by every spur
  -- database, and a generation that every erasure and purge increases: analytics caches of
  -- every process start over when it changed, and writers reload the suppressions.
  CREATE TABLE privacy_state (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    salt       TEXT NOT NULL,
    generation INTEGER NOT NULL
  );
  INSERT INTO privacy_state (id, salt, generation) VALUES (1, lower(hex(randomblob(32))), 0);

  -- Ids of erased subjects, hashed: an event carrying one and received before until is not stored.
  CREATE TABLE suppressions (
    id_hash TEXT PRIMARY KEY,
    until   TEXT NOT NULL
  ) WITHOUT ROWID;

  -- All that an erasure keeps: the hashed id that was asked for, counts per kind (JSON), the time.
  CREATE TABLE erasures (
    id           INTEGER PRIMARY KEY,
    subject_hash TEXT NOT NULL,
    erased_at    TEXT NOT NULL,
    counts       TEXT NOT NULL
  );
  `,
  `
  -- Rejected events, compact (rejected-codec.ts): one row per group received together (one
  -- request's, or one conflict), the events in one blob, deflated when that is smaller. Rows
  -- of one event each with its reason, write key and time as text cost 36 times the bytes
  -- sent for a flood of {} (bench/rejected-bytes.js). The rows are moved over by convertRejected.
  ALTER TABLE rejected_events RENAME TO rejected_events_v4;
  DROP INDEX rejected_events_conflicts;
  CREATE TABLE rejected_events (
    id          INTEGER PRIMARY KEY,
    received_at TEXT NOT NULL,
    write_key   TEXT NOT NULL,
    events      INTEGER NOT NULL,  -- how many rejected events the blob holds
    body        BLOB NOT NULL,
    message_id  TEXT,              -- conflicts only (one event): messageId and fingerprint
    fingerprint TEXT
  );
  CREATE INDEX rejected_events_conflicts ON rejected_events (message_id, fingerprint) WHERE fingerprint IS NOT NULL;

  -- The values rejected events carry (rejected-values.ts), as keyed hashes: HMAC-SHA256 with
  -- privacy_state.salt, first 8 bytes. Access and erasure find a subject's rejected events by
  -- its ids and emails here, wherever in an event they are, without reading the table.
  CREATE TABLE rejected_terms (
    term        BLOB NOT NULL,
    rejected_id INTEGER NOT NULL,
    PRIMARY KEY (term, rejected_id)
  ) WITHOUT ROWID;

  -- What an erasure answers when asked again, and whether the WAL was emptied after it (NULL:
  -- not yet; the writer empties it at the next chance, sqlite-scrub.ts).
  ALTER TABLE erasures ADD COLUMN suppressed_until TEXT;
  ALTER TABLE erasures ADD COLUMN scrubbed_at TEXT;
  CREATE INDEX erasures_unscrubbed ON erasures (subject_hash) WHERE scrubbed_at IS NULL;
  `,
  `
  -- What the analytics read of each event (analytics/stored-facts.ts), written at ingest: a
  -- catch-up reads this short text instead of parsing the body. Rows stored before have none and
  -- are read from their bodies; the facts go with their row (erasure, purge).
  ALTER TABLE events ADD COLUMN facts TEXT;
  `,
  `
  -- The dashboard's accounts (storage/accounts.ts): a name, a role, a scrypt hash of the password.
  CREATE TABLE accounts (
    name                TEXT PRIMARY KEY,
    role                TEXT NOT NULL CHECK (role IN ('viewer', 'admin')),
    password_hash       TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    password_changed_at TEXT NOT NULL
  ) WITHOUT ROWID;

  -- Signed-in browsers: id is the SHA-256 of the cookie's token, never the token.
  CREATE TABLE account_sessions (
    id           TEXT PRIMARY KEY,
    account      TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX account_sessions_account ON account_sessions (account);

  -- Failed sign-ins, one row each, by a hash of the account name or of the client address;
  -- forgotten once older than the limits' window.
  CREATE TABLE sign_in_failures (
    key TEXT NOT NULL,
    at  TEXT NOT NULL
  );
  CREATE INDEX sign_in_failures_key ON sign_in_failures (key, at);

  -- Funnels saved in the dashboard, by name; definition is the query as JSON.
  CREATE TABLE saved_funnels (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    definition TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  `,
  `
  -- Where the backfill of facts stands (sqlite/facts-backfill.ts), per facts layout version: the
  -- rowid up to which rows stored by an older build have had their facts rewritten. A restart,
  -- or another collector on the file, goes on from there.
  CREATE TABLE facts_backfill (
    version INTEGER PRIMARY KEY,
    after   INTEGER NOT NULL
  );
  `,
  `
  -- Webhooks (storage/webhooks.ts). events: the types as ',cart.abandoned,order.completed,'.
  CREATE TABLE webhook_endpoints (
    id              TEXT PRIMARY KEY,
    url             TEXT NOT NULL,
    events          TEXT NOT NULL,
    secret          TEXT NOT NULL,
    previous_secret TEXT,
    previous_until  TEXT,
    enabled         INTEGER NOT NULL,
    created_at      TEXT NOT NULL,
    disabled_reason TEXT,
    disabled_at     TEXT
  );
  -- The outbox: one row per message and endpoint, written in the transaction of its event.
  CREATE TABLE webhook_outbox (
    message_id      TEXT PRIMARY KEY,
    endpoint_id     TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at TEXT NOT NULL,
    lease_until     TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at) WHERE state = 'pending';
  CREATE INDEX webhook_outbox_endpoint ON webhook_outbox (endpoint_id);
  -- The delivery log: every attempt.
  CREATE TABLE webhook_attempts (
    id          INTEGER PRIMARY KEY,
    message_id  TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    event_type  TEXT NOT NULL,
    attempt     INTEGER NOT NULL,
    status_code INTEGER,
    duration_ms INTEGER NOT NULL,
    error       TEXT,
    at          TEXT NOT NULL
  );
  CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, id);
  `,
];

/**
 * Version 4 -> 5, after its SQL: the rejected events of version 4 (a row each) move into the
 * compact rows, grouped as they were received, and get their terms.
 */
function convertRejected(db: Database): void {
  const writes = createRejectedWrites(db);
  const page = db
    .prepare('SELECT id, message_id, reason, write_key, received_at, raw, fingerprint FROM rejected_events_v4 WHERE id > ? ORDER BY id LIMIT 5000')
    .raw();
  type Row = [number, string | null, string, string, string, string, string | null];
  for (let after = 0; ; ) {
    const rows = page.all(after) as Row[];
    // Consecutive rejected events with one write key and receipt time were one request's: one row.
    let group: RejectedGroup | null = null;
    const flush = () => {
      if (group) writes.insert([group]);
      group = null;
    };
    for (const [, messageId, reason, writeKey, receivedAt, raw, fingerprint] of rows) {
      if (fingerprint !== null) {
        flush();
        const entries = [{ reason: CONFLICT_REASON, messageId: messageId!, raw }];
        writes.insert([{ writeKey, receivedAt, entries, conflict: { messageId: messageId!, key: fingerprint } }]);
        continue;
      }
      if (group && (group.writeKey !== writeKey || group.receivedAt !== receivedAt)) flush();
      group ??= { writeKey, receivedAt, entries: [] };
      group.entries.push({ reason, ...(messageId !== null && { messageId }), raw });
    }
    flush();
    if (rows.length < 5000) break;
    after = rows[rows.length - 1][0];
  }
  db.exec('DROP TABLE rejected_events_v4');
}

/** What a migration needs beyond its SQL, by the index of the migration. */
const CONVERSIONS: Record<number, (db: Database) => void> = { 4: convertRejected };

/** Latest schema version this build knows. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the database to SCHEMA_VERSION (or `upTo`, for tests that build an old file); refuses a
 * file written by a newer collector. A read-only connection cannot migrate: it accepts only a
 * file that is already current.
 */
export function migrate(db: Database, options: { readonly?: boolean; upTo?: number } = {}): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new Error(`database schema version ${version} is newer than this collector supports (${SCHEMA_VERSION})`);
  }
  if (options.readonly && version < SCHEMA_VERSION) {
    throw new Error(`database schema version ${version} needs an upgrade to ${SCHEMA_VERSION}; open it read-write once (spur serve)`);
  }
  for (let v = version; v < (options.upTo ?? SCHEMA_VERSION); v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      CONVERSIONS[v]?.(db);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}
