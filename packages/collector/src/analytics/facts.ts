// The fact table: stored events reduced to what funnels, sessions, carts and exports need, in
// columns of typed arrays (one per field) with strings interned to integer codes. A row costs
// about 33 bytes: the time (8), the type (1), codes of one to four bytes (columns.ts) for the
// event name, path, visitor, customer, session, families, origin, product and cart entry; the
// storage row id is kept as runs (seq-runs.ts), cart fields in a packed side table
// (cart-table.ts). Nothing is kept per event on the V8 heap (but the survey fields of the few
// rows that have them), so a table of millions of rows is a few dozen large arrays that the
// garbage collector never has to walk, and a query loops over flat arrays. It is append-only and fed in storage row order, so that a cache can catch up from
// storage by row id.
import type { EventType } from '@spur/sdk';
import { Attribution, type Agent, type OriginInfo } from './attribution';
import { CartTable, cartFieldsAt, type CartView } from './cart-table';
import { CodeColumn, nextCapacity, resizeBytes, resizeFloats, type Codes } from './columns';
import { Dictionary, type StringCodes } from './dictionary';
import { ANONYMOUS_ID, NAME, PageReader, PATH, PRODUCT, SESSION_ID, TYPE, USER_ID, type FactPage } from './fact-page';
import { FactRecord } from './fact-record';
import { PackedDictionary } from './packed-dictionary';
import { SeqRuns } from './seq-runs';

import type { Fact, SurveyFields } from './fact-types';

export type { Agent, OriginInfo } from './attribution';
export type { CartFields, CartLine, Fact, SurveyFields } from './fact-types';
export type { CartView, LineColumns, OrderColumns } from './cart-table';
export type { Codes } from './columns';

/**
 * The survey fields by row: of survey events (Survey Shown, Answered, Dismissed), and the cart_id
 * of cart events that name one. Such rows are few, so each keeps an object rather than a column.
 */
export interface SurveyView {
  /** How many rows the view holds: the first `count` of `rows` and `fields`. */
  readonly count: number;
  /** Row indexes, increasing. */
  readonly rows: readonly number[];
  readonly fields: readonly SurveyFields[];
}

export const PRODUCT_VIEWED = 'Product Viewed';
export const PRODUCT_ADDED = 'Product Added';
export const PRODUCT_REMOVED = 'Product Removed';
export const ORDER_COMPLETED = 'Order Completed';
/** Derived by the collector (carts.ts); never opens or extends a session. */
export const CART_ABANDONED = 'Cart Abandoned';

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

/**
 * A consistent snapshot of the table: views of the first `length` rows. Later appends do not
 * change it. Code columns hold -1 for "no value".
 */
export interface FactView {
  readonly length: number;
  /** The storage row id of row i. */
  seq(i: number): number;
  readonly ts: Float64Array;
  /** TYPE_TRACK, TYPE_PAGE, TYPE_IDENTIFY, TYPE_ALIAS, TYPE_GROUP or TYPE_SCREEN. */
  readonly type: Uint8Array;
  readonly name: Codes;
  readonly path: Codes;
  readonly anonymousId: Codes;
  readonly userId: Codes;
  readonly sessionId: Codes;
  /** Index into `agents`; -1 when unknown. */
  readonly agent: Codes;
  /** Index into `origins`; -1 when the fact carries no page, referrer or campaign. */
  readonly origin: Codes;
  readonly product: Codes;
  /** Index into `carts`; -1 for every fact that is not a cart event. */
  readonly cart: Codes;
  readonly names: Dictionary;
  readonly paths: Dictionary;
  readonly anonymousIds: StringCodes;
  readonly userIds: StringCodes;
  readonly sessionIds: StringCodes;
  readonly products: Dictionary;
  readonly agents: readonly Agent[];
  readonly origins: readonly OriginInfo[];
  readonly carts: CartView;
  readonly surveys: SurveyView;
  /**
   * The rows figures count (1) and leave out (0); null: every row. Rows left out get no session,
   * visitor or profile (their `ofRow` is -1), so every figure, which counts rows through one of
   * those, leaves them out without a check of its own (rows.ts makes the masks: bots, filters).
   */
  readonly keep: Uint8Array | null;
}

const CODE_COLUMNS = ['name', 'path', 'anonymousId', 'userId', 'sessionId', 'agent', 'origin', 'product', 'cart'] as const;
type CodeColumnName = (typeof CODE_COLUMNS)[number];

/** Columnar, append-only, dictionary-encoded table of facts. */
export class FactTable {
  private n = 0;
  private cap = 0;
  private ts = new Float64Array(0);
  private type = new Uint8Array(0);
  private readonly codes = Object.fromEntries(CODE_COLUMNS.map((c) => [c, new CodeColumn(0)])) as Record<CodeColumnName, CodeColumn>;
  private readonly seqs = new SeqRuns();
  private readonly record = new FactRecord();
  private readonly pageReader = new PageReader();

  readonly names = new Dictionary();
  readonly paths = new Dictionary();
  readonly anonymousIds = new PackedDictionary();
  readonly userIds = new PackedDictionary();
  readonly sessionIds = new PackedDictionary();
  readonly products = new Dictionary();
  private readonly attribution = new Attribution();
  private readonly carts = new CartTable(this.products);
  private readonly surveyRows: number[] = [];
  private readonly surveyFields: SurveyFields[] = [];

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
    return this.seqs.last;
  }

  /** Adds one fact. seq must be greater than every seq before it (storage row order). */
  append(fact: Fact): void {
    this.record.readFact(fact);
    this.appendRecord(this.record);
  }

  /** Adds the fact in `r` (a record filled by readStoredEvent or readFact); the same rules as append. */
  appendRecord(r: FactRecord): void {
    const i = this.startRow(r.seq, r.ts, r.type);
    const c = this.codes;
    c.name.set(i, r.name ? this.names.intern(r.name) : -1);
    c.path.set(i, r.path ? this.paths.intern(r.path) : -1);
    c.anonymousId.set(i, r.anonymousId ? this.anonymousIds.intern(r.anonymousId) : -1);
    c.userId.set(i, r.userId ? this.userIds.intern(r.userId) : -1);
    c.sessionId.set(i, r.sessionId ? this.sessionIds.intern(r.sessionId) : -1);
    c.agent.set(i, this.attribution.agentOf(r));
    c.origin.set(i, this.attribution.originOf(r));
    c.product.set(i, r.productId ? this.products.intern(r.productId) : -1);
    c.cart.set(i, r.cart ? this.carts.add(r.line, r.order ? r : undefined) : -1);
    if (r.survey) this.addSurvey(i, r.survey);
    this.endRow(i, r.seq);
  }

  /**
   * Adds the rows of a page (fact-page.ts), numbered from `firstSeq`: the same rows, codes and
   * checks as appendRecord of each, with each distinct string of the page interned once per column.
   */
  appendPage(page: FactPage, firstSeq: number): void {
    const p = this.pageReader;
    p.read(page);
    const r = this.record;
    const c = this.codes;
    let survey = 0;
    for (let row = 0; row < page.count; row++) {
      const seq = firstSeq + row;
      const i = this.startRow(seq, page.ts[row], p.string(row, TYPE) as EventType);
      c.name.set(i, p.code(row, NAME, this.names));
      c.path.set(i, p.code(row, PATH, this.paths));
      c.anonymousId.set(i, p.code(row, ANONYMOUS_ID, this.anonymousIds));
      c.userId.set(i, p.code(row, USER_ID, this.userIds));
      c.sessionId.set(i, p.code(row, SESSION_ID, this.sessionIds));
      const { agent, origin } = p.attribution(row, this.attribution, r);
      c.agent.set(i, agent);
      c.origin.set(i, origin);
      c.product.set(i, p.code(row, PRODUCT, this.products));
      c.cart.set(i, p.cart(row, r) ? this.carts.add(r.line, r.order ? r : undefined) : -1);
      if (page.surveys[survey]?.row === row) this.addSurvey(i, page.surveys[survey++].fields);
      this.endRow(i, seq);
    }
    p.done();
  }

  // The checks every row passes before anything of it is stored; then its time and type. Returns its index.
  private startRow(seq: number, ts: number, eventType: EventType): number {
    if (!(seq > this.seqs.last)) throw new RangeError(`facts must be appended in increasing seq order: ${seq} after ${this.seqs.last}`);
    if (!Number.isFinite(ts)) throw new RangeError(`fact ${seq} has no valid time`);
    const type = TYPE_CODES[eventType];
    if (type === undefined) throw new RangeError(`fact ${seq} has an unknown type ${String(eventType)}`);
    if (this.n === this.cap) this.grow();
    const i = this.n;
    this.ts[i] = ts;
    this.type[i] = type;
    return i;
  }

  // A copy: the record that brought the fields is refilled for the next row.
  private addSurvey(i: number, fields: SurveyFields): void {
    this.surveyRows.push(i);
    this.surveyFields.push({ ...fields });
  }

  private endRow(i: number, seq: number): void {
    this.seqs.push(i, seq);
    this.n = i + 1;
  }

  /** A snapshot of the rows appended so far. */
  view(): FactView {
    const n = this.n;
    const codes = (name: CodeColumnName) => this.codes[name].array.subarray(0, n);
    return {
      length: n,
      seq: this.seqs.reader(),
      ts: this.ts.subarray(0, n),
      type: this.type.subarray(0, n),
      name: codes('name'),
      path: codes('path'),
      anonymousId: codes('anonymousId'),
      userId: codes('userId'),
      sessionId: codes('sessionId'),
      agent: codes('agent'),
      origin: codes('origin'),
      product: codes('product'),
      cart: codes('cart'),
      names: this.names,
      paths: this.paths,
      anonymousIds: this.anonymousIds,
      userIds: this.userIds,
      sessionIds: this.sessionIds,
      products: this.products,
      agents: this.attribution.agents,
      origins: this.attribution.origins,
      carts: this.carts.view(),
      surveys: { count: this.surveyRows.length, rows: this.surveyRows, fields: this.surveyFields },
      keep: null,
    };
  }

  private grow(): void {
    const cap = nextCapacity(this.cap);
    this.ts = resizeFloats(this.ts, cap, this.n);
    this.type = resizeBytes(this.type, cap, this.n);
    for (const c of CODE_COLUMNS) this.codes[c].resize(cap, this.n);
    this.cap = cap;
  }
}

/**
 * Throws when an index (sessions, profiles) was built from a view of another length or with
 * another row mask: its rows would not line up with this view's, or would count rows the view
 * leaves out, and counts would be silently wrong.
 */
export function assertSameRows(view: FactView, index: { ofRow: Int32Array; keep: Uint8Array | null }, what: string): void {
  if (index.ofRow.length !== view.length) {
    throw new Error(`${what} cover ${index.ofRow.length} facts, the view ${view.length}: build them from the same view`);
  }
  if (index.keep !== view.keep) throw new Error(`${what} were built with another row mask than the view's: build them from the same view`);
}

/** Reads back row `i` of a view as a Fact (families instead of a user agent; hosts, not URLs). */
export function factAt(view: FactView, i: number): Fact {
  const fact: Fact = { seq: view.seq(i), ts: view.ts[i], type: TYPE_NAMES[view.type[i]] };
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
  set('channel', view.origin[i] < 0 ? null : view.origins[view.origin[i]].salesChannel);
  set('productId', view.products.value(view.product[i]));
  set('cart', view.cart[i] < 0 ? null : cartFieldsAt(view.carts, view.cart[i]));
  set('survey', surveyAt(view.surveys, i));
  return fact;
}

/** The survey fields of row `i` (a binary search of the survey rows); null when it has none. */
export function surveyAt(surveys: SurveyView, i: number): SurveyFields | null {
  let lo = 0;
  let hi = surveys.count;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (surveys.rows[mid] < i) lo = mid + 1;
    else hi = mid;
  }
  return lo < surveys.count && surveys.rows[lo] === i ? { ...surveys.fields[lo] } : null;
}
