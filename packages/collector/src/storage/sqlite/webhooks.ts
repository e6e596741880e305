// Webhook endpoints, the outbox and the delivery log on SQLite (storage/webhooks.ts), on the
// writer's connection: the primitives run inside the writer's transactions, the outbox rows of
// an append in the append's own.
import type { Database } from 'better-sqlite3';
import type { AttemptRow, ClaimedDelivery, DeliveryState, EndpointRow, OutboxSummary, WebhookWrites } from '../webhooks';

interface EndpointRecord {
  id: string;
  url: string;
  events: string;
  secret: string;
  previousSecret: string | null;
  previousUntil: string | null;
  enabled: number;
  createdAt: string;
  disabledReason: string | null;
}

const ENDPOINT = `id, url, events, secret, previous_secret AS previousSecret, previous_until AS previousUntil, enabled,
  created_at AS createdAt, disabled_reason AS disabledReason`;
const ATTEMPT = `message_id AS messageId, endpoint_id AS endpointId, event_type AS type, attempt, status_code AS statusCode,
  duration_ms AS durationMs, error, at`;

/** ',a,b,' <-> ['a', 'b']: a type is found with instr() and never matches part of another. */
export const joinTypes = (types: readonly string[]) => `,${types.join(',')},`;
export const splitTypes = (text: string) => text.split(',').filter((t) => t !== '');

export function toEndpoint(r: EndpointRecord): EndpointRow {
  return { ...r, events: splitTypes(r.events), enabled: Boolean(r.enabled) };
}

export function createWebhookWrites(db: Database): WebhookWrites {
  const s = {
    endpoints: db.prepare(`SELECT ${ENDPOINT} FROM webhook_endpoints ORDER BY created_at, id`),
    insertEndpoint: db.prepare(
      `INSERT INTO webhook_endpoints (id, url, events, secret, previous_secret, previous_until, enabled, created_at, disabled_reason)
       VALUES (@id, @url, @events, @secret, @previousSecret, @previousUntil, @enabled, @createdAt, @disabledReason)`,
    ),
    setSecret: db.prepare('UPDATE webhook_endpoints SET secret = ?, previous_secret = ?, previous_until = ? WHERE id = ?'),
    disable: db.prepare('UPDATE webhook_endpoints SET enabled = 0, disabled_reason = ?, disabled_at = ? WHERE id = ?'),
    disablePending: db.prepare("UPDATE webhook_outbox SET state = 'disabled', lease_until = NULL, updated_at = ? WHERE endpoint_id = ? AND state = 'pending'"),
    deleteEndpoint: db.prepare('DELETE FROM webhook_endpoints WHERE id = ?'),
    deleteOutbox: db.prepare('DELETE FROM webhook_outbox WHERE endpoint_id = ?'),
    deleteAttempts: db.prepare('DELETE FROM webhook_attempts WHERE endpoint_id = ?'),
    insertOutbox: db.prepare(
      `INSERT INTO webhook_outbox (message_id, endpoint_id, event_type, payload, state, attempts, next_attempt_at, created_at, updated_at)
       VALUES (@messageId, @endpointId, @type, @payload, 'pending', 0, @nextAttemptAt, @createdAt, @createdAt) ON CONFLICT (message_id) DO NOTHING`,
    ),
    claim: db.prepare(
      `UPDATE webhook_outbox SET lease_until = @leaseUntil WHERE message_id IN (
         SELECT message_id FROM webhook_outbox WHERE state = 'pending' AND next_attempt_at <= @now
           AND (lease_until IS NULL OR lease_until <= @now) ORDER BY next_attempt_at LIMIT @limit)
       RETURNING message_id AS messageId, endpoint_id AS endpointId, event_type AS type, payload, attempts`,
    ),
    insertAttempt: db.prepare(
      `INSERT INTO webhook_attempts (message_id, endpoint_id, event_type, attempt, status_code, duration_ms, error, at)
       VALUES (@messageId, @endpointId, @type, @attempt, @statusCode, @durationMs, @error, @at)`,
    ),
    finish: db.prepare(
      `UPDATE webhook_outbox SET state = @state, attempts = @attempt, next_attempt_at = @nextAttemptAt, lease_until = NULL, updated_at = @at
       WHERE message_id = @messageId`,
    ),
    attempts: db.prepare(`SELECT ${ATTEMPT} FROM webhook_attempts WHERE endpoint_id = ? ORDER BY id DESC LIMIT ?`),
    forgetAttempts: db.prepare('DELETE FROM webhook_attempts WHERE message_id IN (SELECT message_id FROM webhook_outbox WHERE instr(payload, ?) > 0)'),
    forgetOutbox: db.prepare('DELETE FROM webhook_outbox WHERE instr(payload, ?) > 0'),
    pruneOutbox: db.prepare("DELETE FROM webhook_outbox WHERE state != 'pending' AND updated_at < ?"),
    pruneAttempts: db.prepare('DELETE FROM webhook_attempts WHERE at < ?'),
    counts: db.prepare('SELECT endpoint_id AS endpointId, state, count(*) AS count FROM webhook_outbox GROUP BY endpoint_id, state'),
    summary: db.prepare(
      `SELECT (SELECT count(*) FROM webhook_outbox WHERE state = 'pending') AS pending,
         (SELECT min(created_at) FROM webhook_outbox WHERE state = 'pending') AS oldestPendingAt,
         (SELECT count(*) FROM webhook_endpoints WHERE enabled = 1) AS endpointsEnabled,
         (SELECT count(*) FROM webhook_endpoints WHERE enabled = 0) AS endpointsDisabled`,
    ),
  };
  return {
    endpoints: () => (s.endpoints.all() as EndpointRecord[]).map(toEndpoint),
    insertEndpoint(row) {
      s.insertEndpoint.run({ ...row, events: joinTypes(row.events), enabled: row.enabled ? 1 : 0 });
    },
    setSecret: (id, secret, previousSecret, previousUntil) => s.setSecret.run(secret, previousSecret, previousUntil, id).changes === 1,
    disableEndpoint(id, reason, at) {
      s.disable.run(reason, at, id);
      s.disablePending.run(at, id);
    },
    deleteEndpoint(id) {
      s.deleteAttempts.run(id);
      s.deleteOutbox.run(id);
      return s.deleteEndpoint.run(id).changes === 1;
    },
    insertOutbox(rows) {
      for (const row of rows) s.insertOutbox.run(row);
    },
    claimDue: (now, leaseUntil, limit) => s.claim.all({ now, leaseUntil, limit }) as ClaimedDelivery[],
    finishAttempt(attempt: AttemptRow, state: DeliveryState, nextAttemptAt: string) {
      s.insertAttempt.run(attempt);
      s.finish.run({ state, attempt: attempt.attempt, nextAttemptAt, at: attempt.at, messageId: attempt.messageId });
    },
    attempts: (endpointId, limit) => s.attempts.all(endpointId, limit) as AttemptRow[],
    forgetPayloads(needles) {
      let deleted = 0;
      for (const needle of needles) {
        s.forgetAttempts.run(needle);
        deleted += s.forgetOutbox.run(needle).changes;
      }
      return deleted;
    },
    prune: (before) => s.pruneOutbox.run(before).changes + s.pruneAttempts.run(before).changes,
    outboxCounts: () => s.counts.all() as { endpointId: string; state: DeliveryState; count: number }[],
    outboxSummary: () => s.summary.get() as OutboxSummary,
  };
}
