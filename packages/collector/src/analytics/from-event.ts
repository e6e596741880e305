// Fact of a stored event: the fields the analytics read, from the Segment shape the collector
// stores (context.page, context.campaign, families in context.device / browser / os) and from
// Segment clients' variants of it (a page event's page in its properties, a raw user agent).
import type { JsonObject, JsonValue, StoredEvent } from '@spur/sdk';
import { ORDER_COMPLETED, PRODUCT_ADDED, PRODUCT_REMOVED, PRODUCT_VIEWED, type CartFields, type CartLine, type Fact } from './facts';

const text = (v: unknown): string | undefined =>
  typeof v === 'string' ? v || undefined : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined;

// Prices arrive as numbers or, from some shops, as numeric strings ("19.99").
const number = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
};

const object = (v: unknown): JsonObject | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject) : undefined;

function productFields(p: JsonObject): CartFields {
  const out: CartFields = {};
  const productId = text(p.product_id);
  if (productId !== undefined) out.productId = productId;
  const variant = text(p.variant);
  if (variant !== undefined) out.variant = variant;
  const name = text(p.name);
  if (name !== undefined) out.name = name;
  const price = number(p.price);
  if (price !== undefined) out.price = price;
  const quantity = number(p.quantity);
  if (quantity !== undefined) out.quantity = quantity;
  const currency = text(p.currency);
  if (currency !== undefined) out.currency = currency;
  return out;
}

function cartFields(name: string, props: JsonObject): CartFields | undefined {
  if (name === PRODUCT_ADDED || name === PRODUCT_REMOVED) return productFields(props);
  if (name !== ORDER_COMPLETED) return undefined;
  const out: CartFields = {};
  const orderId = text(props.order_id);
  if (orderId !== undefined) out.orderId = orderId;
  const total = number(props.total);
  if (total !== undefined) out.total = total;
  const revenue = number(props.revenue);
  if (revenue !== undefined) out.revenue = revenue;
  const currency = text(props.currency);
  if (currency !== undefined) out.currency = currency;
  if (Array.isArray(props.products)) {
    const lines: CartLine[] = [];
    for (const item of props.products as JsonValue[]) {
      const p = object(item);
      const fields = p && productFields(p);
      if (fields?.productId !== undefined) lines.push({ ...fields, productId: fields.productId });
    }
    out.products = lines;
  }
  return out;
}

/** The Fact of a stored event; `seq` is its storage row id. */
export function factFromEvent(event: StoredEvent, seq: number): Fact {
  let ts = Date.parse(event.timestamp);
  if (!Number.isFinite(ts)) ts = Date.parse(event.receivedAt);
  const fact: Fact = { seq, ts, type: event.type };
  const context = event.context ?? {};
  const page = context.page ?? {};
  const props = event.properties ?? {};
  if (event.type === 'track' && event.event) fact.name = event.event;
  if (event.anonymousId) fact.anonymousId = event.anonymousId;
  if (event.userId) fact.userId = event.userId;
  const sessionId = text(context.sessionId);
  if (sessionId) fact.sessionId = sessionId;
  // A page event carries its page in properties too (Segment's shape); context.page wins.
  const isPage = event.type === 'page';
  const path = text(page.path) ?? (isPage ? text(props.path) : undefined);
  if (path) fact.path = path;
  const url = text(page.url) ?? (isPage ? text(props.url) : undefined);
  if (url) fact.url = url;
  const referrer = text(page.referrer) ?? (isPage ? text(props.referrer) : undefined);
  if (referrer) fact.referrer = referrer;
  // Stored events carry families (the collector never stores a raw user agent); events that did
  // not pass through the collector may still carry context.userAgent.
  const device = text(object(context.device)?.type);
  const browser = text(object(context.browser)?.name);
  const os = text(object(context.os)?.name);
  if (device) fact.device = device;
  if (browser) fact.browser = browser;
  if (os) fact.os = os;
  const userAgent = text(context.userAgent);
  if (userAgent && !device && !browser && !os) fact.userAgent = userAgent;
  const campaign = context.campaign;
  if (campaign) {
    if (text(campaign.source)) fact.source = text(campaign.source);
    if (text(campaign.medium)) fact.medium = text(campaign.medium);
    if (text(campaign.name)) fact.campaign = text(campaign.name);
  }
  if (fact.name === PRODUCT_VIEWED || fact.name === PRODUCT_ADDED || fact.name === PRODUCT_REMOVED) {
    const productId = text(props.product_id);
    if (productId) fact.productId = productId;
  }
  const cart = fact.name ? cartFields(fact.name, props) : undefined;
  if (cart) fact.cart = cart;
  return fact;
}
