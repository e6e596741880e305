// Fact of a stored event: the fields the analytics read, from the Segment shape the collector
// stores (context.page, context.campaign, families in context.device / browser / os) and from
// Segment clients' variants of it (a page event's page in its properties, a raw user agent).
// readStoredEvent fills a reusable record (fact-record.ts), which the engine appends without
// making a Fact; factFromEvent makes one from the same record, so both read alike.
import type { JsonObject, JsonValue, StoredEvent } from '@spur/sdk';
import type { LineRecord } from './cart-table';
import { FactRecord } from './fact-record';
import { ORDER_COMPLETED, PRODUCT_ADDED, PRODUCT_REMOVED, PRODUCT_VIEWED, type Fact } from './facts';
import { salesChannel } from './sales-channel';
import { isSurveyEvent, readSurveyFields } from './survey-events';

const text = (v: unknown): string | undefined =>
  typeof v === 'string' ? v || undefined : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined;

// Prices arrive as numbers or, from some shops, as numeric strings ("19.99"). NaN: none.
const number = (v: unknown): number => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : NaN;
};

const object = (v: unknown): JsonObject | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject) : undefined;

// Stored times are normalized (YYYY-MM-DDTHH:mm:ss.sssZ): the day is parsed by Date.parse once
// per day seen in a row and the time of day read from its digits, a third of Date.parse's cost.
// Any other shape, and any field out of its range, goes to Date.parse, which the result equals.
let lastDay = '\u0000';
let dayStart = NaN;
// A digit's value, or a large negative number that makes any field it is part of negative.
const digit = (s: string, i: number) => {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1000;
};

// Starts the day of `iso` when its first 11 characters are YYYY-MM-DDT.
function startDay(iso: string): boolean {
  if (iso.charCodeAt(4) !== 45 || iso.charCodeAt(7) !== 45 || iso.charCodeAt(10) !== 84) return false;
  if (digit(iso, 0) + digit(iso, 1) + digit(iso, 2) + digit(iso, 3) + digit(iso, 5) + digit(iso, 6) + digit(iso, 8) + digit(iso, 9) < 0) return false;
  lastDay = iso.slice(0, 11);
  dayStart = Date.parse(`${lastDay}00:00:00.000Z`);
  return true;
}

/** Epoch ms of an ISO time, as Date.parse reads it (NaN when it does not parse). */
export function parseTime(iso: string): number {
  if (typeof iso === 'string' && iso.length === 24 && iso.charCodeAt(23) === 90 && iso.charCodeAt(13) === 58 && iso.charCodeAt(16) === 58 && iso.charCodeAt(19) === 46) {
    const h = digit(iso, 11) * 10 + digit(iso, 12);
    const m = digit(iso, 14) * 10 + digit(iso, 15);
    const s = digit(iso, 17) * 10 + digit(iso, 18);
    const ms = digit(iso, 20) * 100 + digit(iso, 21) * 10 + digit(iso, 22);
    if (h >= 0 && h <= 23 && m >= 0 && m <= 59 && s >= 0 && s <= 59 && ms >= 0 && (iso.startsWith(lastDay) || startDay(iso))) {
      return dayStart + h * 3600000 + m * 60000 + s * 1000 + ms;
    }
  }
  return Date.parse(iso);
}

function readLine(line: LineRecord, p: JsonObject): void {
  line.productId = text(p.product_id);
  line.variant = text(p.variant);
  line.name = text(p.name);
  line.price = number(p.price);
  line.quantity = number(p.quantity);
  line.currency = text(p.currency);
}

function readOrder(r: FactRecord, props: JsonObject): void {
  r.order = true;
  r.orderId = text(props.order_id);
  r.total = number(props.total);
  r.revenue = number(props.revenue);
  r.line.currency = text(props.currency);
  if (!Array.isArray(props.products)) return;
  r.startLines();
  for (const item of props.products as JsonValue[]) {
    const p = object(item);
    if (!p) continue;
    const productId = text(p.product_id);
    // Lines without a product id say nothing about a product.
    if (productId !== undefined) readLine(r.addLine(), p);
  }
}

/** Fills `r` with what the analytics read of a stored event; `seq` is its storage row id. */
export function readStoredEvent(event: StoredEvent, seq: number, r: FactRecord): void {
  r.reset(seq);
  let ts = parseTime(event.timestamp);
  if (!Number.isFinite(ts)) ts = parseTime(event.receivedAt);
  r.ts = ts;
  r.type = event.type;
  const context = event.context;
  const page = context?.page;
  const props = event.properties;
  const name = event.type === 'track' && event.event ? event.event : undefined;
  r.name = name;
  if (event.anonymousId) r.anonymousId = event.anonymousId;
  if (event.userId) r.userId = event.userId;
  r.sessionId = text(context?.sessionId);
  // A page event carries its page in properties too (Segment's shape); context.page wins. Paths
  // are read for page views only: `page:/path` steps match nothing else.
  const isPage = event.type === 'page';
  if (isPage) r.path = text(page?.path) ?? text(props?.path);
  r.url = text(page?.url) ?? (isPage ? text(props?.url) : undefined);
  r.referrer = text(page?.referrer) ?? (isPage ? text(props?.referrer) : undefined);
  // Stored events carry families (the collector never stores a raw user agent); events that did
  // not pass through the collector may still carry context.userAgent.
  if (context) {
    r.device = text(object(context.device)?.type);
    r.browser = text(object(context.browser)?.name);
    r.os = text(object(context.os)?.name);
    const userAgent = text(context.userAgent);
    if (userAgent && !r.device && !r.browser && !r.os) r.userAgent = userAgent;
    const campaign = context.campaign;
    if (campaign) {
      r.source = text(campaign.source);
      r.medium = text(campaign.medium);
      r.campaign = text(campaign.name);
    }
    r.channel = salesChannel(context.channel);
  }
  if (name === undefined) return;
  if (isSurveyEvent(name)) {
    r.survey = readSurveyFields(props);
    return;
  }
  const added = name === PRODUCT_ADDED || name === PRODUCT_REMOVED;
  if (added || name === PRODUCT_VIEWED) r.productId = text(props?.product_id);
  if (added) {
    r.cart = true;
    if (props) readLine(r.line, props);
    // The cart it names (Segment's cart_id): what an exit survey answer naming the cart joins.
    const cartId = text(props?.cart_id);
    if (cartId !== undefined) r.survey = { cartId };
  } else if (name === ORDER_COMPLETED) {
    r.cart = true;
    readOrder(r, props ?? {});
  }
}

/** The Fact of a stored event; `seq` is its storage row id. */
export function factFromEvent(event: StoredEvent, seq: number): Fact {
  const record = new FactRecord();
  readStoredEvent(event, seq, record);
  return record.toFact();
}
