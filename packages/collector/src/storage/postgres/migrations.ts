// The PostgreSQL schema, as numbered migrations run at start: schema_migrations lists those
// applied, each migration runs in a transaction of its own, and an advisory lock makes several
// collectors that start at once take turns, so that each migration runs once. Append new
// migrations; never edit a released one.
import type { PoolClient, QueryConfig } from 'pg';
import type { Logger } from '../../log';
import type { PostgresConnection } from './connection';
import { toPostgresError } from './failures';

export interface Migration {
  /** 1, 2, 3 …: the schema version the migration brings the database to. */
  version: number;
  /** What it does, kept in schema_migrations. */
  name: string;
  /** SQL statements, run as one transaction. */
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'events with their commit-ordered cursor, identity, rejected events, privacy, health',
    sql: `
    -- One row per event, forever: message_id is the dedupe key, so a resend inserts nothing.
    -- id is the order of arrival, not of commit: concurrent sessions take ids in one order and
    -- commit in another. xid is the transaction that inserted the row, and (xid, id) below the
    -- snapshot's xmin is the catch-up cursor that never skips a row (catch-up.ts). body is the
    -- event as the admin API returns it, the JSON text exactly as the collector wrote it.
    -- Ids and ISO times compare byte by byte (COLLATE "C"), as in SQLite, whatever the locale.
    CREATE TABLE events (
      id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      xid          xid8 NOT NULL DEFAULT pg_current_xact_id(),
      message_id   text COLLATE "C" NOT NULL,
      type         text NOT NULL,
      anonymous_id text COLLATE "C",
      user_id      text COLLATE "C",
      timestamp    text COLLATE "C" NOT NULL,
      received_at  text COLLATE "C" NOT NULL,
      write_key    text NOT NULL,
      body         text NOT NULL,
      CONSTRAINT events_message_id UNIQUE (message_id)
    );
    CREATE INDEX events_catch_up ON events (xid, id);
    CREATE INDEX events_user ON events (user_id) WHERE user_id IS NOT NULL;
    -- SQLite finds an anonymous id's events through anonymous_runs, runs of rowids one writer
    -- wrote; several processes interleave their rows here, so an index does it.
    CREATE INDEX events_anonymous ON events (anonymous_id) WHERE anonymous_id IS NOT NULL;

    -- Identity graph: anonymous id A was seen with customer id U, first at first_seen (event time).
    CREATE TABLE identity_links (
      anonymous_id text COLLATE "C" NOT NULL,
      user_id      text COLLATE "C" NOT NULL,
      first_seen   text COLLATE "C" NOT NULL,
      PRIMARY KEY (anonymous_id, user_id)
    );
    CREATE INDEX identity_links_user ON identity_links (user_id);

    -- Explicit merges from alias events: previous_id resolves to user_id. The first alias of an id wins.
    CREATE TABLE aliases (
      previous_id text COLLATE "C" PRIMARY KEY,
      user_id     text COLLATE "C" NOT NULL,
      created_at  text COLLATE "C" NOT NULL
    );
    CREATE INDEX aliases_user ON aliases (user_id);

    -- Rejected events, compact (rejected-codec.ts): one row per group received together (one
    -- request's, or one conflict), the events in one blob, deflated when that is smaller. A
    -- conflict has message_id and "<fingerprint>@<client timestamp>"; the unique index keeps it
    -- once per distinct payload also when two collectors record it at the same moment.
    CREATE TABLE rejected_events (
      id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      received_at text COLLATE "C" NOT NULL,
      write_key   text NOT NULL,
      events      integer NOT NULL,
      body        bytea NOT NULL,
      message_id  text COLLATE "C",
      fingerprint text COLLATE "C"
    );
    CREATE UNIQUE INDEX rejected_events_conflicts ON rejected_events (message_id, fingerprint) WHERE fingerprint IS NOT NULL;

    -- The values rejected events carry (rejected-values.ts) as keyed hashes: HMAC-SHA256 with
    -- privacy_state.salt, first 8 bytes; how access and erasure find a subject's rejected events.
    CREATE TABLE rejected_terms (
      term        bytea NOT NULL,
      rejected_id bigint NOT NULL,
      PRIMARY KEY (term, rejected_id)
    );

    -- One row: the random salt of this database's keyed hashes (32 bytes as hex, as in SQLite;
    -- from two random UUIDs, 244 random bits, since the core server has no random-bytes
    -- function), and the generation that every erasure and purge increases: analytics caches
    -- start over, writers reload the suppressions.
    CREATE TABLE privacy_state (
      id         integer PRIMARY KEY CHECK (id = 1),
      salt       text NOT NULL,
      generation bigint NOT NULL
    );
    INSERT INTO privacy_state (id, salt, generation)
      VALUES (1, replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 0);

    -- Ids of erased subjects, hashed: an event carrying one and received before until is not stored.
    CREATE TABLE suppressions (
      id_hash text COLLATE "C" PRIMARY KEY,
      until   text COLLATE "C" NOT NULL
    );

    -- All that an erasure keeps: the hashed id asked for, counts per kind (JSON), the time, the
    -- suppression's end, and when no copy was left in the files (NULL: not yet).
    CREATE TABLE erasures (
      id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      subject_hash     text COLLATE "C" NOT NULL,
      erased_at        text COLLATE "C" NOT NULL,
      counts           text NOT NULL,
      suppressed_until text COLLATE "C",
      scrubbed_at      text COLLATE "C"
    );
    CREATE INDEX erasures_unscrubbed ON erasures (subject_hash) WHERE scrubbed_at IS NULL;

    -- One row, rewritten by the readiness probe: proves that the database takes a write.
    CREATE TABLE health (
      id         integer PRIMARY KEY CHECK (id = 1),
      checked_at text NOT NULL
    );
    `,
  },
  {
    version: 2,
    name: 'how far spur migrate copied each part of an SQLite database',
    sql: `
    -- One row per source database (its salt) and part (events, rejected events …): the key of
    -- the last row copied, written in the transaction that copied it, so a copy resumes there.
    CREATE TABLE copy_progress (
      source text NOT NULL,
      part   text NOT NULL,
      cursor text NOT NULL,
      copied bigint NOT NULL,
      PRIMARY KEY (source, part)
    );
    `,
  },
  {
    version: 3,
    name: 'the facts the analytics read, stored with each event',
    sql: `
    -- Written at ingest (analytics/stored-facts.ts): a catch-up reads this short text instead of
    -- parsing the body. Rows stored before have none and are read from their bodies. Adding a
    -- nullable column without a default rewrites no row.
    ALTER TABLE events ADD COLUMN facts text;
    `,
  },
  {
    version: 4,
    name: "the dashboard's accounts, sessions, sign-in failures and saved funnels",
    sql: `
    -- storage/accounts.ts. Names and ids compare byte by byte, as in SQLite.
    CREATE TABLE accounts (
      name                text COLLATE "C" PRIMARY KEY,
      role                text NOT NULL CHECK (role IN ('viewer', 'admin')),
      password_hash       text NOT NULL,
      created_at          text COLLATE "C" NOT NULL,
      password_changed_at text COLLATE "C" NOT NULL
    );
    -- id: the SHA-256 of the cookie's token, never the token.
    CREATE TABLE account_sessions (
      id           text COLLATE "C" PRIMARY KEY,
      account      text COLLATE "C" NOT NULL,
      created_at   text COLLATE "C" NOT NULL,
      last_seen_at text COLLATE "C" NOT NULL,
      expires_at   text COLLATE "C" NOT NULL
    );
    CREATE INDEX account_sessions_account ON account_sessions (account);
    CREATE TABLE sign_in_failures (
      key text COLLATE "C" NOT NULL,
      at  text COLLATE "C" NOT NULL
    );
    CREATE INDEX sign_in_failures_key ON sign_in_failures (key, at);
    CREATE TABLE saved_funnels (
      id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      name       text COLLATE "C" NOT NULL UNIQUE,
      definition text NOT NULL,
      created_by text COLLATE "C" NOT NULL,
      created_at text COLLATE "C" NOT NULL
    );
    `,
  },
  {
    version: 5,
    name: 'where the backfill of facts stands',
    sql: `
    -- postgres/facts-backfill.ts: per facts layout version, the catch-up cursor (xid.id) up to
    -- which rows stored by an older build have had their facts rewritten. A step locks its row
    -- (FOR UPDATE SKIP LOCKED), so that two collectors never do the same step.
    CREATE TABLE facts_backfill (
      version integer PRIMARY KEY,
      cursor  text NOT NULL
    );
    `,
  },
  {
    version: 6,
    name: 'webhooks: endpoints, the outbox of deliveries, the delivery log',
    sql: `
    -- storage/webhooks.ts. events: the types as ',cart.abandoned,order.completed,'.
    CREATE TABLE webhook_endpoints (
      id              text COLLATE "C" PRIMARY KEY,
      url             text NOT NULL,
      events          text NOT NULL,
      secret          text NOT NULL,
      previous_secret text,
      previous_until  text COLLATE "C",
      enabled         boolean NOT NULL,
      created_at      text COLLATE "C" NOT NULL,
      disabled_reason text,
      disabled_at     text COLLATE "C"
    );
    -- The outbox: one row per message and endpoint, written in the transaction of its event.
    CREATE TABLE webhook_outbox (
      message_id      text COLLATE "C" PRIMARY KEY,
      endpoint_id     text COLLATE "C" NOT NULL,
      event_type      text NOT NULL,
      payload         text NOT NULL,
      state           text NOT NULL,
      attempts        integer NOT NULL,
      next_attempt_at text COLLATE "C" NOT NULL,
      lease_until     text COLLATE "C",
      created_at      text COLLATE "C" NOT NULL,
      updated_at      text COLLATE "C" NOT NULL
    );
    CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at) WHERE state = 'pending';
    CREATE INDEX webhook_outbox_endpoint ON webhook_outbox (endpoint_id);
    CREATE TABLE webhook_attempts (
      id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      message_id  text COLLATE "C" NOT NULL,
      endpoint_id text COLLATE "C" NOT NULL,
      event_type  text NOT NULL,
      attempt     integer NOT NULL,
      status_code integer,
      duration_ms integer NOT NULL,
      error       text,
      at          text COLLATE "C" NOT NULL
    );
    CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, id);
    `,
  },
];

/** Latest schema version this build knows. */
export const SCHEMA_VERSION = MIGRATIONS.length;

// The advisory lock of migration runs, per database: 'spur' as an int4, then 1 for migrations.
const LOCK_KEY = [0x73707572, 1];

const CREATE_MIGRATIONS_TABLE = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`;

export interface MigrateOptions {
  /** @defaultValue MIGRATIONS */
  migrations?: readonly Migration[];
  /** A migration (or the wait for another collector's) may take this long. @defaultValue 1 hour */
  timeoutMs?: number;
  logger?: Logger;
}

export interface MigrationRun {
  /** The version found. */
  from: number;
  /** The version left. */
  to: number;
  /** The versions this call applied (another collector may have applied the rest). */
  applied: number[];
}

/**
 * Brings the database to the latest version: one transaction per migration, each taking the
 * advisory lock first, reading the version under it and applying the next migration, so that
 * collectors starting together apply each migration once and all succeed. Refuses a database
 * of a newer collector.
 */
export async function migrate(connection: PostgresConnection, options: MigrateOptions = {}): Promise<MigrationRun> {
  const migrations = options.migrations ?? MIGRATIONS;
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${i + 1} is numbered ${m.version}: versions must be 1, 2, 3 … in order`);
  });
  const timeoutMs = options.timeoutMs ?? 3_600_000;
  // The pool's statement and query timeouts are for requests; a migration may take longer.
  const run = (client: PoolClient, text: string, values?: unknown[]) =>
    client.query({ text, values, query_timeout: timeoutMs } as QueryConfig);

  let from: number | null = null;
  const applied: number[] = [];
  for (;;) {
    const step = await connection.transaction(
      async (tx) => {
        await run(tx, "SELECT set_config('statement_timeout', $1, true), set_config('lock_timeout', '0', true)", [String(timeoutMs)]);
        await run(tx, 'SELECT pg_advisory_xact_lock($1, $2)', LOCK_KEY);
        await run(tx, CREATE_MIGRATIONS_TABLE);
        const found = await run(tx, 'SELECT coalesce(max(version), 0) AS version FROM schema_migrations');
        const current = Number(found.rows[0].version);
        if (current > migrations.length) {
          throw new Error(`database schema version ${current} is newer than this collector supports (${migrations.length})`);
        }
        if (current === migrations.length) return { current, next: null };
        const next = migrations[current];
        try {
          await run(tx, next.sql);
        } catch (err) {
          if (toPostgresError('migration', err)) throw err; // the server's trouble, not the migration's
          throw new Error(`schema migration ${next.version} (${next.name}) failed: ${(err as Error).message}`, { cause: err });
        }
        await run(tx, 'INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [next.version, next.name]);
        return { current, next };
      },
      { attempts: 1 },
    );
    from ??= step.current;
    if (!step.next) return { from, to: step.current, applied };
    applied.push(step.next.version);
    options.logger?.info({ version: step.next.version, name: step.next.name }, 'postgres schema migrated');
  }
}
