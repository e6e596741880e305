// A real SQLite database for the `spur migrate` tests, made through the collector's own store
// (the rules decide), and both sides' tables read back in a form that compares.
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { addAccount, addEndpoint, createStore, openSqliteStorage, rotateSecret, subjectErasure } from '@spur/collector';
import { webhookOp } from '../../collector/src/webhooks/programs';
import type { StoredEvent } from '@spur/sdk';

const T0 = Date.parse('2026-11-01T10:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const event = (e: Partial<StoredEvent> & Pick<StoredEvent, 'type' | 'messageId'>, s: number): StoredEvent =>
  ({ timestamp: at(s), originalTimestamp: at(s), receivedAt: at(s), ...e }) as StoredEvent;

/** The password of the accounts makeSource adds (ada, an admin; vic, a viewer). */
export const SOURCE_PASSWORD = 'set on the sqlite collector';

/**
 * Fills `file` with `visitors` visitors' events (page views, a product added, one in three
 * identified), sent twice (the second time duplicates), a conflicting resend, rejected events
 * carrying ids, aliases, and an erasure with a suppression that then keeps an event out; and the
 * dashboard's tables: two accounts, two saved funnels, a sign-in session and a failed sign-in;
 * and webhooks to `hookUrl` (addWebhooks; by default a port nothing listens on).
 */
export async function makeSource(file: string, visitors: number, hookUrl = 'http://127.0.0.1:9/hooks'): Promise<SourceHooks> {
  const storage = await openSqliteStorage(file);
  const store = createStore(storage);
  try {
    for (let v = 0; v < visitors; v++) {
      const anonymousId = `anon-${v}`;
      const events: StoredEvent[] = [
        event({ type: 'page', messageId: `m-${v}-1`, anonymousId, properties: { path: `/p/${v}` } }, v),
        event({ type: 'track', event: 'Product Added', messageId: `m-${v}-2`, anonymousId, properties: { sku: `s-${v % 7}` } }, v + 1),
      ];
      if (v % 3 === 0) events.push(event({ type: 'identify', messageId: `m-${v}-3`, anonymousId, userId: `user-${v % 50}` }, v + 2));
      const rejected = v % 10 === 0 ? [{ raw: JSON.stringify({ type: 'track', userId: `user-${v % 50}`, email: `v${v}@shop.example` }), reason: 'event is required', writeKey: 'shop', receivedAt: at(v) }] : [];
      await store.append({ writeKey: 'shop', events, rejected });
      // A resend: duplicates, nothing stored twice.
      if (v % 5 === 0) await store.append({ writeKey: 'shop', events, rejected: [] });
    }
    // The same messageId with other content: a conflict, kept among the rejected.
    await store.append({ writeKey: 'shop', events: [event({ type: 'page', messageId: 'm-1-1', anonymousId: 'anon-1', properties: { path: '/else' } }, 5)], rejected: [] });
    for (let a = 0; a < 5; a++) {
      await store.append({ writeKey: 'shop', events: [event({ type: 'alias', messageId: `alias-${a}`, previousId: `old-${a}`, userId: `user-${a}` }, 100 + a)], rejected: [] });
    }
    // The first alias of an id wins: a second one for old-0 changes nothing.
    await store.append({ writeKey: 'shop', events: [event({ type: 'alias', messageId: 'alias-again', previousId: 'old-0', userId: 'user-9' }, 200)], rejected: [] });
    await subjectErasure(store, 'user-3', { suppressDays: 30, now: () => Date.now() });
    // An event of the erased customer, now kept out by the suppression.
    await store.append({ writeKey: 'shop', events: [event({ type: 'track', event: 'Order Completed', messageId: 'late', userId: 'user-3', anonymousId: 'anon-x' }, 300)], rejected: [] });
    await addAccount(store.accounts, { name: 'ada', role: 'admin', password: SOURCE_PASSWORD, now: T0 });
    await addAccount(store.accounts, { name: 'vic', role: 'viewer', password: SOURCE_PASSWORD, now: T0 + 1000 });
    // As the dashboard saves them (routes/funnels.ts): the funnel export's query as JSON.
    const steps = (...events: string[]) => JSON.stringify({ steps: events });
    await store.accounts.saveFunnel({ name: 'Checkout', definition: steps('Product Added', 'Order Completed'), createdBy: 'ada', createdAt: at(400) });
    await store.accounts.saveFunnel({ name: 'Browse', definition: steps('Product Viewed', 'Product Added'), createdBy: 'vic', createdAt: at(401) });
    // Not copied: sessions and failed sign-ins.
    await store.accounts.addSession({ id: 'f'.repeat(64), account: 'ada', createdAt: at(500), lastSeenAt: at(500), expiresAt: at(90_000) });
    await store.accounts.addFailure(['name-hash'], at(501), at(0));
    return await addWebhooks(storage, store, hookUrl);
  } finally {
    await store.close();
  }
}

/** The endpoint of makeSource that receives at its hookUrl: its id, its secrets, its two deliveries due. */
export interface SourceHooks {
  endpointId: string;
  /** The secret before the rotation, still signing for a day. */
  oldSecret: string;
  secret: string;
  /** The webhook-ids still to deliver: one retry after a 500, one leased on SQLite until 2099. */
  due: string[];
}

type Storage = Awaited<ReturnType<typeof openSqliteStorage>>;

/**
 * Webhooks: an endpoint at `hookUrl` with its secret rotated (the old one signs for a day more),
 * another disabled by a 410; four orders, whose deliveries to the first end delivered, failed,
 * pending after a 500 (due) and leased by a process of the SQLite collector (until 2099), and to
 * the second disabled; with the delivery log of those attempts.
 */
async function addWebhooks(storage: Storage, store: ReturnType<typeof createStore>, hookUrl: string): Promise<SourceHooks> {
  const added = await addEndpoint(storage, { url: hookUrl, events: ['order.completed'], allowPrivate: true, now: T0 });
  const rotated = await rotateSecret(storage, added.endpoint.id, Date.now());
  const gone = await addEndpoint(storage, { url: `${hookUrl}/gone`, events: ['order.completed', 'cart.abandoned'], allowPrivate: true, now: T0 + 1000 });
  const orders = [1, 2, 3, 4].map((o) =>
    event({ type: 'track', event: 'Order Completed', messageId: `order-${o}`, userId: `user-${o + 10}`, properties: { order_id: `o-${o}`, total: 10 * o, currency: 'EUR' } }, 600 + o),
  );
  await store.append({ writeKey: 'shop', events: orders, rejected: [] });
  await webhookOp(storage, { op: 'disable', id: gone.endpoint.id, reason: 'the receiver answered 410 Gone', at: at(650) });
  const claim = async () => (await webhookOp(storage, { op: 'claim', now: at(700), leaseUntil: '2099-01-01T00:00:00.000Z', limit: 1 })).deliveries[0];
  const finish = async (state: 'delivered' | 'failed' | 'pending', statusCode: number, next: string) => {
    const d = await claim();
    const attempt = { messageId: d.messageId, endpointId: d.endpointId, type: d.type, attempt: 1, statusCode, durationMs: 12, error: statusCode === 200 ? null : `HTTP ${statusCode}`, at: at(701) };
    await webhookOp(storage, { op: 'finish', attempt, state, nextAttemptAt: next });
    return d.messageId;
  };
  await finish('delivered', 200, at(701));
  await finish('failed', 500, at(701));
  const retry = await finish('pending', 500, at(800));
  const leased = (await claim()).messageId;
  return { endpointId: added.endpoint.id, oldSecret: added.secret, secret: rotated.secret, due: [retry, leased] };
}

/** Every table `spur migrate` copies, as comparable rows (blobs as hex), plus the privacy state. */
export type Dump = Record<string, unknown[][]>;

const hex = (v: unknown) => (Buffer.isBuffer(v) ? v.toString('hex') : v === null || v === undefined ? null : String(v));

// Both sides in one order: the copy keeps rejected and erasure ids, events by arrival.
const QUERIES: Record<string, [sqlite: string, postgres: string]> = {
  events: [
    'SELECT message_id, type, anonymous_id, user_id, timestamp, received_at, write_key, body, facts FROM events ORDER BY rowid',
    'SELECT message_id, type, anonymous_id, user_id, timestamp, received_at, write_key, body, facts FROM events ORDER BY id',
  ],
  rejected_events: ['SELECT id, received_at, write_key, events, body, message_id, fingerprint FROM rejected_events ORDER BY id', ''],
  rejected_terms: ['SELECT term, rejected_id FROM rejected_terms ORDER BY term, rejected_id', ''],
  identity_links: ['SELECT anonymous_id, user_id, first_seen FROM identity_links ORDER BY anonymous_id, user_id', ''],
  aliases: ['SELECT previous_id, user_id, created_at FROM aliases ORDER BY previous_id', ''],
  erasures: ['SELECT id, subject_hash, erased_at, counts, suppressed_until, scrubbed_at FROM erasures ORDER BY id', ''],
  suppressions: ['SELECT id_hash, until FROM suppressions ORDER BY id_hash', ''],
  privacy_state: ['SELECT salt, generation FROM privacy_state', ''],
  accounts: ['SELECT name, role, password_hash, created_at, password_changed_at FROM accounts ORDER BY name', ''],
  // By name: the target numbers saved funnels itself.
  saved_funnels: ['SELECT name, definition, created_by, created_at FROM saved_funnels ORDER BY name', ''],
  webhook_endpoints: [
    'SELECT id, url, events, secret, previous_secret, previous_until, enabled, created_at, disabled_reason, disabled_at FROM webhook_endpoints ORDER BY id',
    'SELECT id, url, events, secret, previous_secret, previous_until, enabled::int, created_at, disabled_reason, disabled_at FROM webhook_endpoints ORDER BY id',
  ],
  // Without the lease: the copy clears it (the test reads it on its own).
  webhook_outbox: ['SELECT message_id, endpoint_id, event_type, payload, state, attempts, next_attempt_at, created_at, updated_at FROM webhook_outbox ORDER BY message_id', ''],
  // Without the ids, which the target numbers itself, in the source's order.
  webhook_attempts: ['SELECT message_id, endpoint_id, event_type, attempt, status_code, duration_ms, error, at FROM webhook_attempts ORDER BY id', ''],
};

export function dumpSqlite(file: string): Dump {
  const db = new Database(file, { readonly: true });
  try {
    return Object.fromEntries(Object.entries(QUERIES).map(([t, [q]]) => [t, (db.prepare(q).raw().all() as unknown[][]).map((r) => r.map(hex))]));
  } finally {
    db.close();
  }
}

export async function dumpPostgres(url: string): Promise<Dump> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const out: Dump = {};
    for (const [t, [sqlite, postgres]] of Object.entries(QUERIES)) {
      const { rows } = await client.query({ text: postgres || sqlite, rowMode: 'array' });
      out[t] = (rows as unknown[][]).map((r) => r.map(hex));
    }
    return out;
  } finally {
    await client.end();
  }
}

/** Row counts of a dump, per table. */
export const counts = (dump: Dump) => Object.fromEntries(Object.entries(dump).map(([t, rows]) => [t, rows.length]));
