// One fact on its way into the table: every field the analytics read, in one object that is
// filled and appended for each event in turn (from a stored event or from a Fact). Its shape never
// changes, so appending a million events allocates nothing per event, and reading and appending
// stay monomorphic; a Fact object per event cost more to make than to append.
import type { EventType } from '@spur/sdk';
import type { AttributionFields } from './attribution';
import { LineRecord } from './cart-table';
import type { CartFields, CartLine, Fact, SurveyFields } from './fact-types';

/** A reusable record of one fact's fields; undefined / NaN where the event has none. */
export class FactRecord implements AttributionFields {
  seq = 0;
  ts = NaN;
  type: EventType = 'track';
  name: string | undefined = undefined;
  path: string | undefined = undefined;
  anonymousId: string | undefined = undefined;
  userId: string | undefined = undefined;
  sessionId: string | undefined = undefined;
  device: string | undefined = undefined;
  browser: string | undefined = undefined;
  os: string | undefined = undefined;
  userAgent: string | undefined = undefined;
  url: string | undefined = undefined;
  referrer: string | undefined = undefined;
  source: string | undefined = undefined;
  medium: string | undefined = undefined;
  campaign: string | undefined = undefined;
  channel: string | undefined = undefined;
  productId: string | undefined = undefined;
  /** Whether the fact carries cart fields (its product line in `line`). */
  cart = false;
  readonly line = new LineRecord();
  /** Whether its cart fields include order fields. */
  order = false;
  orderId: string | undefined = undefined;
  total = NaN;
  revenue = NaN;
  /** The order's product lines: the first lineCount of `lines`; -1 for no products array. */
  lineCount = -1;
  readonly lines: LineRecord[] = [];
  /** A survey event's fields; undefined for every other event (they are rare: an object each is cheap). */
  survey: SurveyFields | undefined = undefined;

  reset(seq: number): void {
    this.seq = seq;
    this.ts = NaN;
    this.type = 'track';
    this.name = this.path = this.anonymousId = this.userId = this.sessionId = undefined;
    this.device = this.browser = this.os = this.userAgent = this.url = this.referrer = undefined;
    this.source = this.medium = this.campaign = this.channel = this.productId = undefined;
    this.cart = this.order = false;
    this.line.clear();
    this.orderId = undefined;
    this.total = this.revenue = NaN;
    this.lineCount = -1;
    this.survey = undefined;
  }

  /** Starts the products array of an order (empty so far). */
  startLines(): void {
    this.lineCount = 0;
  }

  /** A cleared line appended to the order's products. */
  addLine(): LineRecord {
    let line = this.lines[this.lineCount];
    if (!line) this.lines.push((line = new LineRecord()));
    line.clear();
    this.lineCount++;
    return line;
  }

  /** Fills the record from a Fact. */
  readFact(fact: Fact): void {
    this.reset(fact.seq);
    this.ts = fact.ts;
    this.type = fact.type;
    this.name = fact.name;
    this.path = fact.path;
    this.anonymousId = fact.anonymousId;
    this.userId = fact.userId;
    this.sessionId = fact.sessionId;
    this.device = fact.device;
    this.browser = fact.browser;
    this.os = fact.os;
    this.userAgent = fact.userAgent;
    this.url = fact.url;
    this.referrer = fact.referrer;
    this.source = fact.source;
    this.medium = fact.medium;
    this.campaign = fact.campaign;
    this.channel = fact.channel;
    this.productId = fact.productId;
    if (fact.survey) this.survey = { ...fact.survey };
    const c = fact.cart;
    if (!c) return;
    this.cart = true;
    copyLine(this.line, c);
    if (c.orderId === undefined && c.total === undefined && c.revenue === undefined && c.products === undefined) return;
    this.order = true;
    this.orderId = c.orderId;
    this.total = c.total ?? NaN;
    this.revenue = c.revenue ?? NaN;
    if (c.products) {
      this.startLines();
      for (const p of c.products) copyLine(this.addLine(), p);
    }
  }

  /** The record as a Fact (the fields it has, as factFromEvent returns them). */
  toFact(): Fact {
    const fact: Fact = { seq: this.seq, ts: this.ts, type: this.type };
    const keys = ['name', 'anonymousId', 'userId', 'sessionId', 'path', 'url', 'referrer', 'device', 'browser', 'os', 'userAgent', 'source', 'medium', 'campaign', 'channel', 'productId'] as const;
    for (const key of keys) if (this[key] !== undefined) fact[key] = this[key];
    if (this.survey) fact.survey = { ...this.survey };
    if (!this.cart) return fact;
    const cart: CartFields = lineFields(this.line);
    if (this.order) {
      if (this.orderId !== undefined) cart.orderId = this.orderId;
      if (!Number.isNaN(this.total)) cart.total = this.total;
      if (!Number.isNaN(this.revenue)) cart.revenue = this.revenue;
      if (this.lineCount >= 0) cart.products = this.lines.slice(0, this.lineCount).map((l) => lineFields(l) as CartLine);
    }
    fact.cart = cart;
    return fact;
  }
}

function copyLine(line: LineRecord, c: CartFields | CartLine): void {
  line.productId = c.productId;
  line.variant = c.variant;
  line.name = c.name;
  line.currency = c.currency;
  line.price = c.price ?? NaN;
  line.quantity = c.quantity ?? NaN;
}

function lineFields(l: LineRecord): CartFields {
  const out: CartFields = {};
  if (l.productId !== undefined) out.productId = l.productId;
  if (l.variant !== undefined) out.variant = l.variant;
  if (l.name !== undefined) out.name = l.name;
  if (!Number.isNaN(l.price)) out.price = l.price;
  if (!Number.isNaN(l.quantity)) out.quantity = l.quantity;
  if (l.currency !== undefined) out.currency = l.currency;
  return out;
}
