// Webhook endpoints, the outbox and the delivery log on PostgreSQL (storage/webhooks.ts), on the
// session of a write transaction (transaction.ts): the outbox rows of an append commit in the
// append's own transaction. Write transactions of every collector take turns (privacy_state is
// locked first), and a claimed delivery is leased besides, so one process attempts it at a time.
import type { AttemptRow, ClaimedDelivery, DeliveryState, EndpointRow, OutboxSummary, WebhookWrites } from '../webhooks';
import type { Queryable } from './connection';

const ENDPOINT = `id, url, events, secret, previous_secret AS "previousSecret", previous_until AS "previousUntil", enabled,
  created_at AS "createdAt", disabled_reason AS "disabledReason"`;
const ATTEMPT = `message_id AS "messageId", endpoint_id AS "endpointId", event_type AS type, attempt, status_code AS "statusCode",
  duration_ms AS "durationMs", error, at`;

const joinTypes = (types: readonly string[]) => `,${types.join(',')},`;
const splitTypes = (text: string) => text.split(',').filter((t) => t !== '');

export function createPgWebhookWrites(db: Queryable): WebhookWrites {
  return {
    async endpoints() {
      const { rows } = await db.query<Omit<EndpointRow, 'events'> & { events: string }>(`SELECT ${ENDPOINT} FROM webhook_endpoints ORDER BY created_at, id`);
      return rows.map((r) => ({ ...r, events: splitTypes(r.events) }));
    },
    async insertEndpoint(r) {
      await db.query(
        `INSERT INTO webhook_endpoints (id, url, events, secret, previous_secret, previous_until, enabled, created_at, disabled_reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [r.id, r.url, joinTypes(r.events), r.secret, r.previousSecret, r.previousUntil, r.enabled, r.createdAt, r.disabledReason],
      );
    },
    async setSecret(id, secret, previousSecret, previousUntil) {
      const result = await db.query('UPDATE webhook_endpoints SET secret = $1, previous_secret = $2, previous_until = $3 WHERE id = $4', [secret, previousSecret, previousUntil, id]);
      return result.rowCount === 1;
    },
    async disableEndpoint(id, reason, at) {
      await db.query('UPDATE webhook_endpoints SET enabled = false, disabled_reason = $1, disabled_at = $2 WHERE id = $3', [reason, at, id]);
      await db.query("UPDATE webhook_outbox SET state = 'disabled', lease_until = NULL, updated_at = $1 WHERE endpoint_id = $2 AND state = 'pending'", [at, id]);
    },
    async deleteEndpoint(id) {
      await db.query('DELETE FROM webhook_attempts WHERE endpoint_id = $1', [id]);
      await db.query('DELETE FROM webhook_outbox WHERE endpoint_id = $1', [id]);
      return (await db.query('DELETE FROM webhook_endpoints WHERE id = $1', [id])).rowCount === 1;
    },
    async insertOutbox(rows) {
      if (rows.length === 0) return;
      await db.query(
        `INSERT INTO webhook_outbox (message_id, endpoint_id, event_type, payload, state, attempts, next_attempt_at, created_at, updated_at)
         SELECT m, e, t, p, 'pending', 0, n, c, c FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS r (m, e, t, p, n, c)
         ON CONFLICT (message_id) DO NOTHING`,
        [rows.map((r) => r.messageId), rows.map((r) => r.endpointId), rows.map((r) => r.type), rows.map((r) => r.payload), rows.map((r) => r.nextAttemptAt), rows.map((r) => r.createdAt)],
      );
    },
    async claimDue(now, leaseUntil, limit) {
      const { rows } = await db.query<ClaimedDelivery>(
        `UPDATE webhook_outbox SET lease_until = $2 WHERE message_id IN (
           SELECT message_id FROM webhook_outbox WHERE state = 'pending' AND next_attempt_at <= $1
             AND (lease_until IS NULL OR lease_until <= $1) ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
         RETURNING message_id AS "messageId", endpoint_id AS "endpointId", event_type AS type, payload, attempts`,
        [now, leaseUntil, limit],
      );
      return rows;
    },
    async finishAttempt(a: AttemptRow, state: DeliveryState, nextAttemptAt: string) {
      await db.query(
        `INSERT INTO webhook_attempts (message_id, endpoint_id, event_type, attempt, status_code, duration_ms, error, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [a.messageId, a.endpointId, a.type, a.attempt, a.statusCode, a.durationMs, a.error, a.at],
      );
      await db.query('UPDATE webhook_outbox SET state = $1, attempts = $2, next_attempt_at = $3, lease_until = NULL, updated_at = $4 WHERE message_id = $5', [
        state,
        a.attempt,
        nextAttemptAt,
        a.at,
        a.messageId,
      ]);
    },
    async attempts(endpointId, limit) {
      return (await db.query<AttemptRow>(`SELECT ${ATTEMPT} FROM webhook_attempts WHERE endpoint_id = $1 ORDER BY id DESC LIMIT $2`, [endpointId, limit])).rows;
    },
    async forgetPayloads(needles) {
      if (needles.length === 0) return 0;
      const matching = 'EXISTS (SELECT 1 FROM unnest($1::text[]) AS n WHERE strpos(o.payload, n) > 0)';
      await db.query(`DELETE FROM webhook_attempts WHERE message_id IN (SELECT o.message_id FROM webhook_outbox o WHERE ${matching})`, [needles]);
      return (await db.query(`DELETE FROM webhook_outbox o WHERE ${matching}`, [needles])).rowCount ?? 0;
    },
    async prune(before) {
      const outbox = await db.query("DELETE FROM webhook_outbox WHERE state != 'pending' AND updated_at < $1", [before]);
      const attempts = await db.query('DELETE FROM webhook_attempts WHERE at < $1', [before]);
      return (outbox.rowCount ?? 0) + (attempts.rowCount ?? 0);
    },
    async outboxCounts() {
      const { rows } = await db.query<{ endpointId: string; state: DeliveryState; count: string }>(
        'SELECT endpoint_id AS "endpointId", state, count(*) AS count FROM webhook_outbox GROUP BY endpoint_id, state',
      );
      return rows.map((r) => ({ ...r, count: Number(r.count) }));
    },
    async outboxSummary(): Promise<OutboxSummary> {
      const { rows } = await db.query<Record<keyof OutboxSummary, string | null>>(
        `SELECT (SELECT count(*) FROM webhook_outbox WHERE state = 'pending') AS pending,
           (SELECT min(created_at) FROM webhook_outbox WHERE state = 'pending') AS "oldestPendingAt",
           (SELECT count(*) FROM webhook_endpoints WHERE enabled) AS "endpointsEnabled",
           (SELECT count(*) FROM webhook_endpoints WHERE NOT enabled) AS "endpointsDisabled"`,
      );
      const r = rows[0]!;
      return { pending: Number(r.pending), oldestPendingAt: r.oldestPendingAt, endpointsEnabled: Number(r.endpointsEnabled), endpointsDisabled: Number(r.endpointsDisabled) };
    },
  };
}
