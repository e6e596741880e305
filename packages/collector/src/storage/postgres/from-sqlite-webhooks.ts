// The webhook tables of `spur migrate` (storage/webhooks.ts): endpoints with their secrets, so that
// receivers keep verifying signatures after the move; the outbox, so that a delivery still pending
// is made by the PostgreSQL collectors, once, under the same webhook-id; and the delivery log.
import { type CopyTable, insertByKey, insertValues } from './from-sqlite-copy';

const ENDPOINT_COLUMNS = ['id', 'url', 'events', 'secret', 'previous_secret', 'previous_until', 'enabled', 'created_at', 'disabled_reason', 'disabled_at'] as const;

/** The webhook tables in their copy order: endpoints, then their deliveries, then the log. */
export const WEBHOOK_TABLES: readonly CopyTable[] = [
  {
    // By id, exactly (secrets, the previous secret and its grace, disabled or not). An endpoint the
    // target has under the same id with other values is left as it is and named.
    name: 'webhook_endpoints',
    order: 'key',
    keyLength: 1,
    // SQLite keeps `enabled` as 0/1: read as the words PostgreSQL's boolean takes and gives back,
    // so that an endpoint already in the target compares as the same.
    source: (db) => ({
      first: db.prepare("SELECT id, url, events, secret, previous_secret, previous_until, iif(enabled, 'true', 'false'), created_at, disabled_reason, disabled_at FROM webhook_endpoints ORDER BY id LIMIT ?").raw(),
      next: db.prepare("SELECT id, url, events, secret, previous_secret, previous_until, iif(enabled, 'true', 'false'), created_at, disabled_reason, disabled_at FROM webhook_endpoints WHERE (id) > (?) ORDER BY id LIMIT ?").raw(),
      upTo: db.prepare('SELECT count(*) FROM webhook_endpoints WHERE (id) <= (?)').pluck(),
      count: db.prepare('SELECT count(*) FROM webhook_endpoints').pluck(),
    }),
    insert: (db, rows) =>
      insertByKey(
        db,
        rows,
        (values) => `INSERT INTO webhook_endpoints (id, url, events, secret, previous_secret, previous_until, enabled, created_at, disabled_reason, disabled_at) VALUES ${values} ON CONFLICT (id) DO NOTHING RETURNING id AS key`,
        `SELECT id, url, events, secret, previous_secret, previous_until, enabled, created_at, disabled_reason, disabled_at FROM webhook_endpoints WHERE id = ANY($1::text[])`,
        ENDPOINT_COLUMNS,
      ),
  },
  {
    // Every delivery, pending or finished, by its webhook-id, without its lease (a pending one is
    // due for the PostgreSQL collectors at once). A webhook-id already in the target is the target's
    // from then on: its collectors may have attempted it since an earlier run.
    name: 'webhook_outbox',
    order: 'key',
    keyLength: 1,
    // lease_until is not read: a lease taken on SQLite names a process of the old collector, and
    // copied it would keep the PostgreSQL collectors off the delivery until it ran out.
    source: (db) => ({
      first: db.prepare('SELECT message_id, endpoint_id, event_type, payload, state, attempts, next_attempt_at, created_at, updated_at FROM webhook_outbox ORDER BY message_id LIMIT ?').raw(),
      next: db.prepare('SELECT message_id, endpoint_id, event_type, payload, state, attempts, next_attempt_at, created_at, updated_at FROM webhook_outbox WHERE (message_id) > (?) ORDER BY message_id LIMIT ?').raw(),
      upTo: db.prepare('SELECT count(*) FROM webhook_outbox WHERE (message_id) <= (?)').pluck(),
      count: db.prepare('SELECT count(*) FROM webhook_outbox').pluck(),
    }),
    async insert(db, rows) {
      const result = await insertValues(
        db,
        (values) => `INSERT INTO webhook_outbox (message_id, endpoint_id, event_type, payload, state, attempts, next_attempt_at, created_at, updated_at) VALUES ${values} ON CONFLICT (message_id) DO NOTHING`,
        rows,
        0,
        9,
      );
      return result.count;
    },
  },
  {
    // The log is only ever appended to: in the order of the SQLite ids, which the progress record
    // holds, so a row is copied once and a later run copies the attempts made since. The target
    // numbers the rows itself (its collectors may have logged attempts of their own), in the
    // source's order, so the log reads newest first as before.
    name: 'webhook_attempts',
    order: 'rowid',
    keyLength: 1,
    source: (db) => ({
      first: db.prepare('SELECT id, message_id, endpoint_id, event_type, attempt, status_code, duration_ms, error, at FROM webhook_attempts ORDER BY id LIMIT ?').raw(),
      next: db.prepare('SELECT id, message_id, endpoint_id, event_type, attempt, status_code, duration_ms, error, at FROM webhook_attempts WHERE (id) > (?) ORDER BY id LIMIT ?').raw(),
      upTo: db.prepare('SELECT count(*) FROM webhook_attempts WHERE (id) <= (?)').pluck(),
      count: db.prepare('SELECT count(*) FROM webhook_attempts').pluck(),
    }),
    async insert(db, rows) {
      const result = await insertValues(db, (values) => `INSERT INTO webhook_attempts (message_id, endpoint_id, event_type, attempt, status_code, duration_ms, error, at) VALUES ${values}`, rows, 1, 8);
      return result.count;
    },
  },
];
