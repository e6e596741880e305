// The facts of an event as stored next to it (the events' `facts` column): exactly what
// readStoredEvent reads of the event, written once at ingest as a short JSON array, so that a
// catch-up fills the engine's record from ~150 characters instead of parsing the ~860 of the body.
// JSON.parse of an array of short strings and numbers is the cheapest parse in V8 that needs no
// escaping rules of our own; absent fields are null (JSON.stringify writes undefined and NaN in an
// array as null), trailing ones left out.
//
// Layout (version 3), by position:
//   0 version, 1 time (epoch ms), 2 type, 3 name, 4 anonymousId, 5 userId, 6 sessionId, 7 path,
//   8 url, 9 referrer (both as attributionUrl keeps them: what the engine reads of them), 10 device, 11 browser, 12 os, 13 userAgent, 14 source, 15 medium,
//   16 campaign, 17 productId,
//   18 the cart line (cart events): [productId, variant, name, price, quantity, currency],
//   19 the order (orders): [orderId, total, revenue, lines (null: no products array)],
//   20 the sales channel (context.channel when it names one, sales-channel.ts),
//   21 the survey (survey events): [surveyId, answer, text, cartId, cartValue, currency].
// Version 1 was the same without positions 20 and 21, version 2 without 21: such rows come as
// their bodies (below) and are read the old way until rewritten (the facts backfill) or purged.
// The free text of an answer is kept here like the rest of the event: the row is erased whole.
// When readStoredEvent comes to read another field, FACTS_VERSION goes up: a catch-up asks storage
// for facts that start with FACTS_PREFIX, so rows with facts of another version come as their
// bodies and are read the old way, never wrongly.
import type { StoredEvent } from '@spur/sdk';
import type { LineRecord } from './cart-table';
import type { SurveyFields } from './fact-types';
import { attributionUrl } from './channels';
import { FactRecord } from './fact-record';
import { readStoredEvent } from './from-event';

/** The version of the layout this build writes and reads. */
export const FACTS_VERSION = 3;
/** How facts of this version start: what a catch-up passes to Storage.factsAfter. */
export const FACTS_PREFIX = `[${FACTS_VERSION},`;

type Cell = string | number | null | undefined | Cell[];

const line = (l: LineRecord): Cell[] => [l.productId, l.variant, l.name, l.price, l.quantity, l.currency];

// Read once per module: encodeFacts runs on the ingest path, once per event.
const scratch = new FactRecord();

/** The facts text of a stored event, as the events' `facts` column keeps it. */
export function encodeFacts(event: StoredEvent): string {
  const r = scratch;
  readStoredEvent(event, 0, r);
  // Only hosts and a tagged query are read of URLs: the rest would be most of the text to parse.
  const url = attributionUrl(r.url, true);
  const referrer = attributionUrl(r.referrer, false);
  const out: Cell[] = [FACTS_VERSION, r.ts, r.type, r.name, r.anonymousId, r.userId, r.sessionId, r.path, url, referrer];
  out.push(r.device, r.browser, r.os, r.userAgent, r.source, r.medium, r.campaign, r.productId);
  out.push(r.cart ? line(r.line) : null);
  out.push(r.cart && r.order ? [r.orderId, r.total, r.revenue, r.lineCount < 0 ? null : r.lines.slice(0, r.lineCount).map(line)] : null);
  out.push(r.channel);
  const v = r.survey;
  out.push(v ? [v.surveyId, v.answer, v.text, v.cartId, v.cartValue, v.currency] : null);
  while (out.length > 0 && out[out.length - 1] == null) out.pop();
  return JSON.stringify(out);
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);

function readLine(l: LineRecord, cells: Cell[]): void {
  l.productId = str(cells[0]);
  l.variant = str(cells[1]);
  l.name = str(cells[2]);
  l.price = num(cells[3]);
  l.quantity = num(cells[4]);
  l.currency = str(cells[5]);
}

function readSurvey(cells: Cell[]): SurveyFields {
  const out: SurveyFields = {};
  const [surveyId, answer, text, cartId, cartValue, currency] = [str(cells[0]), str(cells[1]), str(cells[2]), str(cells[3]), num(cells[4]), str(cells[5])];
  if (surveyId !== undefined) out.surveyId = surveyId;
  if (answer !== undefined) out.answer = answer;
  if (text !== undefined) out.text = text;
  if (cartId !== undefined) out.cartId = cartId;
  if (!Number.isNaN(cartValue)) out.cartValue = cartValue;
  if (currency !== undefined) out.currency = currency;
  return out;
}

/**
 * Fills `r` from facts text (encodeFacts') as readStoredEvent fills it from the event; `seq` is
 * the row's number. false when the text is of another version: read the body instead.
 */
export function readFacts(text: string, seq: number, r: FactRecord): boolean {
  return readFactCells(JSON.parse(text) as Cell[], seq, r);
}

/** readFacts of facts already parsed (one element of a page's array). */
function readFactCells(a: Cell[], seq: number, r: FactRecord): boolean {
  if (a[0] !== FACTS_VERSION) return false;
  r.reset(seq);
  r.ts = num(a[1]);
  r.type = a[2] as FactRecord['type'];
  r.name = str(a[3]);
  r.anonymousId = str(a[4]);
  r.userId = str(a[5]);
  r.sessionId = str(a[6]);
  r.path = str(a[7]);
  r.url = str(a[8]);
  r.referrer = str(a[9]);
  r.device = str(a[10]);
  r.browser = str(a[11]);
  r.os = str(a[12]);
  r.userAgent = str(a[13]);
  r.source = str(a[14]);
  r.medium = str(a[15]);
  r.campaign = str(a[16]);
  r.productId = str(a[17]);
  r.channel = str(a[20]);
  const survey = a[21];
  if (Array.isArray(survey)) r.survey = readSurvey(survey);
  const cart = a[18];
  if (!Array.isArray(cart)) return true;
  r.cart = true;
  readLine(r.line, cart);
  const order = a[19];
  if (!Array.isArray(order)) return true;
  r.order = true;
  r.orderId = str(order[0]);
  r.total = num(order[1]);
  r.revenue = num(order[2]);
  const lines = order[3];
  if (Array.isArray(lines)) {
    r.startLines();
    for (const l of lines) readLine(r.addLine(), l as Cell[]);
  }
  return true;
}

/**
 * Fills `r` from what a catch-up reads of a row (Storage.factsAfter with FACTS_PREFIX): its facts
 * text (a JSON array) when it was stored with facts of this version, else its body (a JSON object).
 */
export function readCatchUpRow(text: string, seq: number, r: FactRecord): void {
  readCatchUpValue(JSON.parse(text), seq, r);
}

/** readCatchUpRow of a row already parsed (one element of a page's array, fact-page.ts). */
export function readCatchUpValue(value: unknown, seq: number, r: FactRecord): void {
  // A body is a JSON object, facts an array.
  if (Array.isArray(value)) {
    if (!readFactCells(value as Cell[], seq, r)) throw new Error(`row ${seq}: facts of another version than ${FACTS_VERSION}`);
    return;
  }
  readStoredEvent(value as StoredEvent, seq, r);
}
