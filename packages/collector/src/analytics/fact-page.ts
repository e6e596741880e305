// A page of stored rows as the catch-up hands it to the fact table: parsed and reduced to typed
// arrays plus the page's distinct strings, so that it is cheap to move between threads (the
// arrays are transferred, the strings cloned once each) and cheap to append (FactTable.appendPage
// interns each distinct string of a page once per column, not once per row).
//
// encodeFactPage runs where the parsing is to be done (the catch-up's decoder thread for large
// catch-ups, jobs/fact-page-thread.ts): it reads every row as readCatchUpRow does (facts, or the
// body) into a FactRecord and writes the record down. 5,000 rows of a shop hold about 48,000
// strings but only about 3,400 distinct ones (visitors, sessions, paths recur), so the strings
// cross as one small array and the rows as numbers.
import type { Attribution } from './attribution';
import type { LineRecord } from './cart-table';
import type { FactRecord } from './fact-record';
import type { SurveyFields } from './fact-types';

/** Rows of a catch-up page: numbers, with every string an index into `strings` (-1: none). */
export interface FactPage {
  readonly count: number;
  /** The page's distinct strings. */
  readonly strings: string[];
  /** Each row's time (FactRecord.ts). */
  readonly ts: Float64Array<ArrayBuffer>;
  /** ROW_WIDTH cells per row: the string fields below, then the row's entry in `carts` (-1: none). */
  readonly cells: Int32Array<ArrayBuffer>;
  /** Cart entries: the line (LINE_WIDTH), then 0, or 1, orderId, total, revenue, lineCount and the lines. */
  readonly carts: Float64Array<ArrayBuffer>;
  /** The survey fields of the page's survey events (rare), in row order. */
  readonly surveys: { row: number; fields: SurveyFields }[];
}

// The cells of a row, in the order FactTable.appendRecord reads the record's fields.
export const TYPE = 0;
export const NAME = 1;
export const ANONYMOUS_ID = 2;
export const USER_ID = 3;
export const SESSION_ID = 4;
export const PATH = 5;
export const URL = 6;
export const REFERRER = 7;
export const DEVICE = 8;
export const BROWSER = 9;
export const OS = 10;
export const USER_AGENT = 11;
export const SOURCE = 12;
export const MEDIUM = 13;
export const CAMPAIGN = 14;
export const PRODUCT = 15;
/** The sales channel of context.channel (sales-channel.ts). */
export const CHANNEL = 16;
export const CART = 17;
export const ROW_WIDTH = 18;
export const LINE_WIDTH = 6;

// The cells whose strings FactTable.appendPage interns: their slot in PageReader's codes.
const INTERNED = new Int8Array(ROW_WIDTH).fill(-1);
[NAME, PATH, ANONYMOUS_ID, USER_ID, SESSION_ID, PRODUCT].forEach((cell, slot) => (INTERNED[cell] = slot));
const SLOTS = 6;

/**
 * Reading FactPages back on the table's side, one after the other: the code of each of a page's
 * strings per interned cell, interned once per page (in row order, so that every dictionary
 * numbers its strings as appendRecord would).
 */
const NO_PAGE: FactPage = { count: 0, strings: [], ts: new Float64Array(0), cells: new Int32Array(0), carts: new Float64Array(0), surveys: [] };

export class PageReader {
  private page = NO_PAGE;
  // SLOTS codes per string of the page; -2: not interned yet. Kept from page to page.
  private codes = new Int32Array(0);
  // Agent and origin ids of the page's combinations of strings (see attribution()).
  private readonly agents = new Map<number, number>();
  private readonly origins = new Map<number, number>();
  private readonly ids = { agent: -1, origin: -1 };
  private keyed = true;

  /** Starts reading `page`. */
  read(page: FactPage): void {
    this.page = page;
    const size = page.strings.length * SLOTS;
    if (this.codes.length < size) this.codes = new Int32Array(Math.max(size, this.codes.length * 2));
    this.codes.fill(-2, 0, size);
    this.agents.clear();
    this.origins.clear();
    this.keyed = (page.strings.length + 1) ** 3 <= Number.MAX_SAFE_INTEGER;
  }

  /** Lets the page go (its strings and arrays are the caller's garbage once appended). */
  done(): void {
    this.page = NO_PAGE;
    this.agents.clear();
    this.origins.clear();
  }

  /** The string of cell `cell` of row `row`; undefined for none. */
  string(row: number, cell: number): string | undefined {
    const k = this.page.cells[row * ROW_WIDTH + cell];
    return k < 0 ? undefined : this.page.strings[k];
  }

  /** The code in `dict` of cell `cell` of row `row`: -1 for none or an empty string, as appendRecord. */
  code(row: number, cell: number, dict: { intern(value: string): number }): number {
    const k = this.page.cells[row * ROW_WIDTH + cell];
    if (k < 0) return -1;
    const slot = k * SLOTS + INTERNED[cell];
    let code = this.codes[slot];
    if (code === -2) {
      const value = this.page.strings[k];
      this.codes[slot] = code = value ? dict.intern(value) : -1;
    }
    return code;
  }

  /**
   * The agent and origin ids of row `row` (Attribution.agentOf and originOf of its fields, with
   * `r` as their scratch), asked of `attribution` once per distinct combination in the page.
   */
  attribution(row: number, attribution: Attribution, r: FactRecord): { agent: number; origin: number } {
    const { cells } = this.page;
    const o = row * ROW_WIDTH;
    const s = this.page.strings.length + 1;
    const out = this.ids;
    // Families decide the agent whenever one is there (the user agent only without them); the
    // page's origins almost never carry a campaign of their own. Keys are exact below 2^53.
    const families = this.keyed && (cells[o + DEVICE] >= 0 || cells[o + BROWSER] >= 0 || cells[o + OS] >= 0);
    const agentKey = families ? ((cells[o + DEVICE] + 1) * s + cells[o + BROWSER] + 1) * s + cells[o + OS] + 1 : -1;
    const plain = this.keyed && cells[o + SOURCE] < 0 && cells[o + MEDIUM] < 0 && cells[o + CAMPAIGN] < 0 && cells[o + CHANNEL] < 0;
    const originKey = plain ? (cells[o + URL] + 1) * s + cells[o + REFERRER] + 1 : -1;
    const agent = agentKey < 0 ? undefined : this.agents.get(agentKey);
    const origin = originKey < 0 ? undefined : this.origins.get(originKey);
    if (agent !== undefined && origin !== undefined) {
      out.agent = agent;
      out.origin = origin;
      return out;
    }
    r.url = this.string(row, URL);
    r.referrer = this.string(row, REFERRER);
    r.device = this.string(row, DEVICE);
    r.browser = this.string(row, BROWSER);
    r.os = this.string(row, OS);
    r.userAgent = this.string(row, USER_AGENT);
    r.source = this.string(row, SOURCE);
    r.medium = this.string(row, MEDIUM);
    r.campaign = this.string(row, CAMPAIGN);
    r.channel = this.string(row, CHANNEL);
    out.agent = agent ?? attribution.agentOf(r);
    out.origin = origin ?? attribution.originOf(r);
    if (agentKey >= 0) this.agents.set(agentKey, out.agent);
    if (originKey >= 0) this.origins.set(originKey, out.origin);
    return out;
  }

  /** Fills the cart fields of `r` (line, order, its lines) from row `row`; false for no cart event. */
  cart(row: number, r: FactRecord): boolean {
    let p = this.page.cells[row * ROW_WIDTH + CART];
    if (p < 0) return false;
    p = this.line(p, r.line);
    const c = this.page.carts;
    r.order = c[p] === 1;
    if (!r.order) return true;
    r.orderId = this.text(c[p + 1]);
    r.total = c[p + 2];
    r.revenue = c[p + 3];
    const lines = c[p + 4];
    p += 5;
    r.lineCount = -1;
    if (lines < 0) return true;
    r.startLines();
    for (let j = 0; j < lines; j++) p = this.line(p, r.addLine());
    return true;
  }

  private text(k: number): string | undefined {
    return k < 0 ? undefined : this.page.strings[k];
  }

  private line(p: number, l: LineRecord): number {
    const c = this.page.carts;
    l.productId = this.text(c[p]);
    l.variant = this.text(c[p + 1]);
    l.name = this.text(c[p + 2]);
    l.currency = this.text(c[p + 3]);
    l.price = c[p + 4];
    l.quantity = c[p + 5];
    return p + LINE_WIDTH;
  }
}
