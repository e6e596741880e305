// The fact table: stored events reduced to what funnels, sessions, carts and exports need, in
// columns of typed arrays (one per field) with strings interned to integer ids. An event then
// takes 57 bytes (plus headroom as the columns grow), and a query loops over flat arrays instead
// of a million objects. It is append-only and fed in storage row order, so that a cache can
// catch up from storage by row id.
import type { EventType } from '@spur/sdk';
import { parseUserAgent } from '../useragent';
import { campaignFromUrl, channelOf, hostOf, type ChannelGroup, type Origin } from './channels';
import { Dictionary } from './dictionary';

export const PRODUCT_VIEWED = 'Product Viewed';
export const PRODUCT_ADDED = 'Product Added';
export const PRODUCT_REMOVED = 'Product Removed';
export const ORDER_COMPLETED = 'Order Completed';
/** Derived by the collector (carts.ts); never opens or extends a session. */
export const CART_ABANDONED = 'Cart Abandoned';

/** A product line of an order (`products[]` of Order Completed). */
export interface CartLine {
  productId: string;
  variant?: string;
  name?: string;
  price?: number;
  quantity?: number;
  currency?: string;
}

/** Properties of a cart event: the product for Product Added / Removed, the order for Order Completed. */
export interface CartFields {
  productId?: string;
  variant?: string;
  name?: string;
  price?: number;
  quantity?: number;
  currency?: string;
  orderId?: string;
  total?: number;
  revenue?: number;
  products?: CartLine[];
}

/** The minimum the analytics need from one stored event. */
export interface Fact {
  /** Storage row order: strictly increasing along the table, and the tiebreak of equal times. */
  seq: number;
  /** Event time, epoch ms. */
  ts: number;
  type: EventType;
  /** track: the event name. Page views are matched by `type`, as the step `page`. */
  name?: string;
  /** Page path, for `page:/path` steps. */
  path?: string;
  anonymousId?: string;
  userId?: string;
  /** The client's context.sessionId. */
  sessionId?: string;
  /** Device type, browser and OS families, as the collector stores them; win over userAgent. */
  device?: string;
  browser?: string;
  os?: string;
  /** A raw user agent, reduced to families on append (for facts that do not come from storage). */
  userAgent?: string;
  /** Page URL and referrer: hosts for the channel, utm_ parameters when there is no campaign. */
  url?: string;
  referrer?: string;
  /** context.campaign. */
  source?: string;
  medium?: string;
  campaign?: string;
  /** product_id of Product Viewed / Added / Removed. */
  productId?: string;
  /** Only for Product Added, Product Removed and Order Completed. */
  cart?: CartFields;
}

/** Device type, browser and OS families of a fact. */
export interface Agent {
  device: string;
  browser: string;
  os: string;
}

/** An Origin with its channel worked out once (shared by every fact with the same origin). */
export interface OriginInfo extends Origin {
  channel: ChannelGroup;
}

export const TYPE_TRACK = 0;
export const TYPE_PAGE = 1;
export const TYPE_IDENTIFY = 2;
export const TYPE_ALIAS = 3;
export const TYPE_GROUP = 4;
/** A mobile app's screen view. Funnels' `page` steps do not match it; sessions count it as any event. */
export const TYPE_SCREEN = 5;
const TYPE_CODES: Record<EventType, number> = {
  track: TYPE_TRACK,
  page: TYPE_PAGE,
  identify: TYPE_IDENTIFY,
  alias: TYPE_ALIAS,
  group: TYPE_GROUP,
  screen: TYPE_SCREEN,
};
const TYPE_NAMES: EventType[] = ['track', 'page', 'identify', 'alias', 'group', 'screen'];

const UNKNOWN_AGENT: Agent = { device: 'unknown', browser: 'Other', os: 'Other' };

/**
 * A consistent snapshot of the table: views of the first `length` rows. Later appends do not
 * change it. Id columns hold -1 for "no value".
 */
export interface FactView {
  readonly length: number;
  readonly seq: Float64Array;
  readonly ts: Float64Array;
  /** TYPE_TRACK, TYPE_PAGE, TYPE_IDENTIFY, TYPE_ALIAS, TYPE_GROUP or TYPE_SCREEN. */
  readonly type: Uint8Array;
  readonly name: Int32Array;
  readonly path: Int32Array;
  readonly anonymousId: Int32Array;
  readonly userId: Int32Array;
  readonly sessionId: Int32Array;
  /** Index into `agents`; -1 when unknown. */
  readonly agent: Int32Array;
  /** Index into `origins`; -1 when the fact carries no page, referrer or campaign. */
  readonly origin: Int32Array;
  readonly product: Int32Array;
  /** Index into `carts`; -1 for every fact that is not a cart event. */
  readonly cart: Int32Array;
  readonly names: Dictionary;
  readonly paths: Dictionary;
  readonly anonymousIds: Dictionary;
  readonly userIds: Dictionary;
  readonly sessionIds: Dictionary;
  readonly products: Dictionary;
  readonly agents: readonly Agent[];
  readonly origins: readonly OriginInfo[];
  readonly carts: readonly CartFields[];
}

const INITIAL_CAPACITY = 1024;

/** Columnar, append-only, dictionary-encoded table of facts. */
export class FactTable {
  private n = 0;
  private cap = INITIAL_CAPACITY;
  private lastSeq = -Infinity;
  private seq = new Float64Array(INITIAL_CAPACITY);
  private ts = new Float64Array(INITIAL_CAPACITY);
  private type = new Uint8Array(INITIAL_CAPACITY);
  private name = new Int32Array(INITIAL_CAPACITY);
  private path = new Int32Array(INITIAL_CAPACITY);
  private anonymousId = new Int32Array(INITIAL_CAPACITY);
  private userId = new Int32Array(INITIAL_CAPACITY);
  private sessionId = new Int32Array(INITIAL_CAPACITY);
  private agent = new Int32Array(INITIAL_CAPACITY);
  private origin = new Int32Array(INITIAL_CAPACITY);
  private product = new Int32Array(INITIAL_CAPACITY);
  private cart = new Int32Array(INITIAL_CAPACITY);

  readonly names = new Dictionary();
  readonly paths = new Dictionary();
  readonly anonymousIds = new Dictionary();
  readonly userIds = new Dictionary();
  readonly sessionIds = new Dictionary();
  readonly products = new Dictionary();
  private readonly agentKeys = new Dictionary();
  private readonly agents: Agent[] = [];
  private readonly originKeys = new Dictionary();
  private readonly origins: OriginInfo[] = [];
  private readonly carts: CartFields[] = [];
  // Raw user agent -> agent id: parsing runs once per distinct string.
  private readonly agentOfUserAgent = new Map<string, number>();

  /** A table of `facts` in any order (sorted by seq here). */
  static from(facts: Iterable<Fact>): FactTable {
    const table = new FactTable();
    for (const fact of [...facts].sort((a, b) => a.seq - b.seq)) table.append(fact);
    return table;
  }

  get length(): number {
    return this.n;
  }

  /** seq of the last fact appended; -Infinity when empty. Catch up from storage after it. */
  get maxSeq(): number {
    return this.lastSeq;
  }

  /** Adds one fact. seq must be greater than every seq before it (storage row order). */
  append(fact: Fact): void {
    if (!(fact.seq > this.lastSeq)) {
      throw new RangeError(`facts must be appended in increasing seq order: ${fact.seq} after ${this.lastSeq}`);
    }
    if (!Number.isFinite(fact.ts)) throw new RangeError(`fact ${fact.seq} has no valid time`);
    const type = TYPE_CODES[fact.type];
    if (type === undefined) throw new RangeError(`fact ${fact.seq} has an unknown type ${String(fact.type)}`);
    if (this.n === this.cap) this.grow();
    const i = this.n;
    this.seq[i] = fact.seq;
    this.ts[i] = fact.ts;
    this.type[i] = type;
    this.name[i] = fact.name ? this.names.intern(fact.name) : -1;
    this.path[i] = fact.path ? this.paths.intern(fact.path) : -1;
    this.anonymousId[i] = fact.anonymousId ? this.anonymousIds.intern(fact.anonymousId) : -1;
    this.userId[i] = fact.userId ? this.userIds.intern(fact.userId) : -1;
    this.sessionId[i] = fact.sessionId ? this.sessionIds.intern(fact.sessionId) : -1;
    this.agent[i] = this.agentOf(fact);
    this.origin[i] = this.originOf(fact);
    this.product[i] = fact.productId ? this.products.intern(fact.productId) : -1;
    this.cart[i] = fact.cart ? this.carts.push(fact.cart) - 1 : -1;
    this.lastSeq = fact.seq;
    this.n = i + 1;
  }

  /** A snapshot of the rows appended so far. */
  view(): FactView {
    const n = this.n;
    return {
      length: n,
      seq: this.seq.subarray(0, n),
      ts: this.ts.subarray(0, n),
      type: this.type.subarray(0, n),
      name: this.name.subarray(0, n),
      path: this.path.subarray(0, n),
      anonymousId: this.anonymousId.subarray(0, n),
      userId: this.userId.subarray(0, n),
      sessionId: this.sessionId.subarray(0, n),
      agent: this.agent.subarray(0, n),
      origin: this.origin.subarray(0, n),
      product: this.product.subarray(0, n),
      cart: this.cart.subarray(0, n),
      names: this.names,
      paths: this.paths,
      anonymousIds: this.anonymousIds,
      userIds: this.userIds,
      sessionIds: this.sessionIds,
      products: this.products,
      agents: this.agents,
      origins: this.origins,
      carts: this.carts,
    };
  }

  // 1.5x growth: a 5M-row table copies less than with doubling, and wastes at most a third.
  private grow(): void {
    const cap = Math.ceil(this.cap * 1.5);
    const widen = <T extends Float64Array | Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.seq = widen(this.seq, (k) => new Float64Array(k));
    this.ts = widen(this.ts, (k) => new Float64Array(k));
    this.type = widen(this.type, (k) => new Uint8Array(k));
    const int = (k: number) => new Int32Array(k);
    this.name = widen(this.name, int);
    this.path = widen(this.path, int);
    this.anonymousId = widen(this.anonymousId, int);
    this.userId = widen(this.userId, int);
    this.sessionId = widen(this.sessionId, int);
    this.agent = widen(this.agent, int);
    this.origin = widen(this.origin, int);
    this.product = widen(this.product, int);
    this.cart = widen(this.cart, int);
    this.cap = cap;
  }

  // The previous fact's families and origin parts with their ids: consecutive facts of a session
  // nearly always share them, and comparing beats building and hashing a key.
  private last = { device: '', browser: '', os: '', agent: -1 };
  private lastOrigin: [string | null, string | null, string | null, string | null, string | null, number] = [null, null, null, null, null, -2];

  private agentOf(fact: Fact): number {
    if (fact.device || fact.browser || fact.os) {
      const device = fact.device || UNKNOWN_AGENT.device;
      const browser = fact.browser || UNKNOWN_AGENT.browser;
      const os = fact.os || UNKNOWN_AGENT.os;
      const last = this.last;
      if (device !== last.device || browser !== last.browser || os !== last.os) {
        this.last = { device, browser, os, agent: this.internAgent(device, browser, os) };
      }
      return this.last.agent;
    }
    if (!fact.userAgent) return -1;
    let id = this.agentOfUserAgent.get(fact.userAgent);
    if (id === undefined) {
      const f = parseUserAgent(fact.userAgent);
      id = this.internAgent(f.device.type, f.browser.name, f.os.name);
      // Bounded like useragent.ts's cache: made-up strings must not grow memory without end.
      if (this.agentOfUserAgent.size >= 10000) this.agentOfUserAgent.clear();
      this.agentOfUserAgent.set(fact.userAgent, id);
    }
    return id;
  }

  private internAgent(device: string, browser: string, os: string): number {
    const id = this.agentKeys.intern(`${device}\u0001${browser}\u0001${os}`);
    if (id === this.agents.length) this.agents.push({ device, browser, os });
    return id;
  }

  private originOf(fact: Fact): number {
    const pageHost = hostOf(fact.url);
    const referrerHost = hostOf(fact.referrer);
    // The campaign of the event's context wins; the page URL's utm_ parameters are the fallback.
    const given = fact.source || fact.medium || fact.campaign;
    const c = given ? null : campaignFromUrl(fact.url);
    const source = (given ? fact.source : c?.source) || null;
    const medium = (given ? fact.medium : c?.medium) || null;
    const campaign = (given ? fact.campaign : c?.campaign) || null;
    if (!pageHost && !referrerHost && !source && !medium && !campaign) return -1;
    const l = this.lastOrigin;
    if (l[0] === pageHost && l[1] === referrerHost && l[2] === source && l[3] === medium && l[4] === campaign) return l[5];
    const key = `${pageHost ?? ''}\u0001${referrerHost ?? ''}\u0001${source ?? ''}\u0001${medium ?? ''}\u0001${campaign ?? ''}`;
    const id = this.originKeys.intern(key);
    if (id === this.origins.length) {
      const origin: Origin = { pageHost, referrerHost, source, medium, campaign };
      this.origins.push({ ...origin, channel: channelOf(origin) });
    }
    this.lastOrigin = [pageHost, referrerHost, source, medium, campaign, id];
    return id;
  }
}

/**
 * Throws when an index (sessions, profiles) was built from a view of another length: its rows
 * would not line up with this view's, and counts would be silently wrong.
 */
export function assertSameRows(view: FactView, index: { ofRow: Int32Array }, what: string): void {
  if (index.ofRow.length !== view.length) {
    throw new Error(`${what} cover ${index.ofRow.length} facts, the view ${view.length}: build them from the same view`);
  }
}

/** Reads back row `i` of a view as a Fact (families instead of a user agent; hosts, not URLs). */
export function factAt(view: FactView, i: number): Fact {
  const fact: Fact = { seq: view.seq[i], ts: view.ts[i], type: TYPE_NAMES[view.type[i]] };
  const set = <K extends keyof Fact>(key: K, value: Fact[K] | null) => {
    if (value !== null && value !== undefined) fact[key] = value;
  };
  set('name', view.names.value(view.name[i]));
  set('path', view.paths.value(view.path[i]));
  set('anonymousId', view.anonymousIds.value(view.anonymousId[i]));
  set('userId', view.userIds.value(view.userId[i]));
  set('sessionId', view.sessionIds.value(view.sessionId[i]));
  const agent = view.agent[i] < 0 ? null : view.agents[view.agent[i]];
  if (agent) Object.assign(fact, agent);
  set('productId', view.products.value(view.product[i]));
  set('cart', view.cart[i] < 0 ? null : view.carts[view.cart[i]]);
  return fact;
}
