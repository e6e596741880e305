// Managing webhook endpoints: add (the secret shown once), list, remove, rotate the secret, the
// delivery log. One implementation for the admin API, the dashboard and `spur webhooks` on a
// database file, so that all three check the same things.
import { randomBytes } from 'node:crypto';
import type { Storage } from '../storage/types';
import type { AttemptRow, DeliveryState, EndpointRow } from '../storage/webhooks';
import { checkTarget, TargetRefused } from './address-guard';
import { WEBHOOK_TYPES, type WebhookType } from './payload';
import { webhookOp } from './programs';
import { newSecret } from './signature';

/** After a rotation the old secret signs too for this long, so receivers can switch without a gap. */
export const ROTATION_GRACE_MS = 24 * 3600_000;
/** Longest target URL accepted. */
export const MAX_URL_LENGTH = 2048;

/** A refusal with what to change (`usage`) or an unknown endpoint (`not_found`). */
export class WebhookError extends Error {
  constructor(
    readonly kind: 'usage' | 'not_found',
    message: string,
  ) {
    super(message);
    this.name = 'WebhookError';
  }
}

/** An endpoint as it is shown: never its secrets. */
export interface EndpointInfo {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  createdAt: string;
  disabledReason: string | null;
  /** Deliveries per state. */
  deliveries: Partial<Record<DeliveryState, number>>;
}

type Store = Pick<Storage, 'write'>;

/** The webhook types of `--events a,b` (or a list), checked. */
export function parseWebhookTypes(value: unknown): WebhookType[] {
  const list = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : undefined;
  const types = list?.map((t) => (typeof t === 'string' ? t.trim() : '')).filter((t) => t !== '');
  if (!types?.length) throw new WebhookError('usage', `events: name at least one of ${WEBHOOK_TYPES.join(', ')}`);
  const unknown = types.find((t) => !(WEBHOOK_TYPES as string[]).includes(t));
  if (unknown !== undefined) throw new WebhookError('usage', `events: unknown webhook type ${JSON.stringify(unknown)}; known: ${WEBHOOK_TYPES.join(', ')}`);
  return [...new Set(types as WebhookType[])];
}

/** Adds an endpoint after the target check; answers it with its secret (shown this once). */
export async function addEndpoint(storage: Store, options: { url: unknown; events: unknown; allowPrivate: boolean; now: number }): Promise<{ endpoint: EndpointInfo; secret: string }> {
  const { url } = options;
  if (typeof url !== 'string' || url === '' || url.length > MAX_URL_LENGTH) throw new WebhookError('usage', `url: an http(s) URL of at most ${MAX_URL_LENGTH} characters`);
  const events = parseWebhookTypes(options.events);
  try {
    await checkTarget(url, options.allowPrivate);
  } catch (err) {
    if (err instanceof TargetRefused) throw new WebhookError('usage', `url refused: ${err.message}`);
    throw err;
  }
  const row: EndpointRow = {
    id: 'ep_' + randomBytes(12).toString('hex'),
    url,
    events,
    secret: newSecret(),
    previousSecret: null,
    previousUntil: null,
    enabled: true,
    createdAt: new Date(options.now).toISOString(),
    disabledReason: null,
  };
  await webhookOp(storage, { op: 'add', row });
  return { endpoint: info(row, {}), secret: row.secret };
}

/** Every endpoint with its deliveries per state, oldest first. */
export async function listEndpoints(storage: Store): Promise<EndpointInfo[]> {
  const [rows, counts] = await Promise.all([webhookOp(storage, { op: 'endpoints' }), webhookOp(storage, { op: 'counts' })]);
  return rows.map((r) => info(r, Object.fromEntries(counts.filter((c) => c.endpointId === r.id).map((c) => [c.state, c.count]))));
}

/** Removes an endpoint with its pending deliveries and its log. */
export async function removeEndpoint(storage: Store, id: string): Promise<void> {
  if (!(await webhookOp(storage, { op: 'remove', id }))) throw notFound(id);
}

/** A new secret for the endpoint (shown this once); the old one keeps signing for ROTATION_GRACE_MS. */
export async function rotateSecret(storage: Store, id: string, now: number): Promise<{ secret: string; previousValidUntil: string }> {
  const secret = newSecret();
  const graceUntil = new Date(now + ROTATION_GRACE_MS).toISOString();
  const rotated = await webhookOp(storage, { op: 'rotate', id, secret, graceUntil, now: new Date(now).toISOString() });
  if (!rotated) throw notFound(id);
  return { secret, previousValidUntil: graceUntil };
}

/** The endpoint's latest delivery attempts, newest first. */
export async function deliveryLog(storage: Store, id: string, limit = 50): Promise<AttemptRow[]> {
  const known = (await webhookOp(storage, { op: 'endpoints' })).some((e) => e.id === id);
  if (!known) throw notFound(id);
  return webhookOp(storage, { op: 'attempts', endpointId: id, limit: Math.min(Math.max(1, limit), 1000) });
}

const notFound = (id: string) => new WebhookError('not_found', `no webhook endpoint ${id}`);

function info(r: EndpointRow, deliveries: EndpointInfo['deliveries']): EndpointInfo {
  return { id: r.id, url: r.url, events: r.events, enabled: r.enabled, createdAt: r.createdAt, disabledReason: r.disabledReason, deliveries };
}
