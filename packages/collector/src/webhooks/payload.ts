// Which stored events fire webhooks, and what their payload holds. Decided in the append
// program (rules/append.ts) for the events it has just inserted, so that the outbox rows commit
// in the same transaction as their event: never an event without its deliveries, nor a delivery
// of an event that was not stored. The payload keeps personal data minimal: ids, amounts and
// products; no e-mail, address, IP or free text.
import { createHash } from 'node:crypto';
import type { EventRow } from '../storage/types';
import type { OutboxRow, WebhookWrites } from '../storage/webhooks';

/** The webhook types, and the track event that fires each. */
export const WEBHOOK_EVENTS = {
  'cart.abandoned': 'Cart Abandoned',
  'order.completed': 'Order Completed',
  'survey.answered': 'Survey Answered',
} as const;

export type WebhookType = keyof typeof WEBHOOK_EVENTS;
export const WEBHOOK_TYPES = Object.keys(WEBHOOK_EVENTS) as WebhookType[];
const TYPE_OF = new Map<string, WebhookType>(WEBHOOK_TYPES.map((t) => [WEBHOOK_EVENTS[t], t]));

/**
 * Events whose time lies further back than this when they are stored fire no webhook: an import
 * of last year's orders, or a client's backlog after days offline, is history, not a reaction.
 */
export const MAX_EVENT_AGE_MS = 24 * 3600_000;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const pick = (from: Json, keys: readonly string[]) => Object.fromEntries(keys.filter((k) => from[k] !== undefined).map((k) => [k, from[k]]));
const PRODUCT_KEYS = ['product_id', 'sku', 'name', 'variant', 'category', 'brand', 'price', 'quantity', 'currency'];
const products = (v: unknown) => (Array.isArray(v) ? v.map((p) => pick(obj(p), PRODUCT_KEYS)) : []);

/** The `data` of a webhook of `type` from the stored event. */
export function webhookData(type: WebhookType, event: Json): Json {
  const p = obj(event.properties);
  const ids = { event_id: event.messageId, customer_id: event.userId ?? p.customer_id ?? null, anonymous_id: event.anonymousId ?? null };
  switch (type) {
    case 'order.completed':
      return {
        ...ids,
        ...pick(p, ['order_id', 'total', 'revenue', 'subtotal', 'tax', 'shipping', 'discount', 'coupon', 'currency']),
        products: products(p.products),
        channel: obj(event.context).channel ?? 'web',
        occurred_at: event.timestamp,
      };
    case 'cart.abandoned':
      return { ...ids, value: p.value, currency: p.currency, products: products(p.products), last_activity_at: p.last_activity_at, abandoned_at: event.timestamp };
    case 'survey.answered':
      // The free text is left out: what a visitor types may be anything about them.
      return { ...ids, ...pick(p, ['survey_id', 'question', 'answer', 'cart_id', 'cart_value', 'currency', 'items']), occurred_at: event.timestamp };
  }
}

/**
 * What a payload of the subject's contains, as payloads write it (JSON.stringify, no spaces): its
 * customer ids and its own anonymous ids. An erasure deletes the deliveries that hold one.
 */
export function subjectNeedles(customerIds: Iterable<string>, anonymousIds: Iterable<string>): string[] {
  return [...[...customerIds].map((id) => `"customer_id":${JSON.stringify(id)}`), ...[...anonymousIds].map((id) => `"anonymous_id":${JSON.stringify(id)}`)];
}

/** The webhook-id of one event's message to one endpoint: the same however often it is computed. */
export const webhookMessageId = (endpointId: string, eventMessageId: string) =>
  'msg_' + createHash('sha256').update(`${endpointId}\n${eventMessageId}`).digest('hex').slice(0, 32);

/** Whether a stored event is of a kind that fires webhooks (whether an endpoint takes it aside). */
export const firesWebhook = (e: { type: string; event?: unknown }) => e.type === 'track' && typeof e.event === 'string' && TYPE_OF.has(e.event);

/** The inserted rows that may fire a webhook (a cheap look at the body before any parse). */
export function webhookCandidates(rows: readonly EventRow[]): EventRow[] {
  return rows.filter((r) => r.type === 'track' && (r.body.includes('Order Completed') || r.body.includes('Cart Abandoned') || r.body.includes('Survey Answered')));
}

/** Writes the outbox rows of these newly stored events for every enabled endpoint that takes their type. */
export async function enqueueWebhooks(webhooks: WebhookWrites, rows: readonly EventRow[]): Promise<number> {
  const fired: { type: WebhookType; row: EventRow; event: Json }[] = [];
  for (const row of rows) {
    const event = JSON.parse(row.body) as Json;
    const type = typeof event.event === 'string' ? TYPE_OF.get(event.event) : undefined;
    if (!type) continue;
    if (Date.parse(row.receivedAt) - Date.parse(row.timestamp) > MAX_EVENT_AGE_MS) continue;
    fired.push({ type, row, event });
  }
  if (fired.length === 0) return 0;
  const endpoints = (await webhooks.endpoints()).filter((e) => e.enabled);
  const outbox: OutboxRow[] = [];
  for (const { type, row, event } of fired) {
    const payload = JSON.stringify({ type, timestamp: row.timestamp, data: webhookData(type, event) });
    for (const endpoint of endpoints) {
      if (!endpoint.events.includes(type)) continue;
      outbox.push({ messageId: webhookMessageId(endpoint.id, row.messageId), endpointId: endpoint.id, type, payload, nextAttemptAt: row.receivedAt, createdAt: row.receivedAt });
    }
  }
  if (outbox.length) await webhooks.insertOutbox(outbox);
  return outbox.length;
}
