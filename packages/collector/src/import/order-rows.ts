// One CSV row of an order import: the header's columns found (under the shop's own names with a
// column map), and each row read into a line item or a reason it is bad. The reasons name the
// column and the value, so that a shop can fix its export; the line number is added by the caller.
import { isDate, startOfDay, zoneOffsetMs } from '../analytics/time-zone';
import { salesChannel } from '../analytics/sales-channel';
import { MAX_ID_LENGTH } from '../ingest/input-limits';
import { normalizeEmail, normalizePhone, type Contact } from './contacts';

/** The columns of an order import, one row per line item. */
export const ORDER_COLUMNS = ['order_id', 'customer_id', 'email', 'phone', 'date', 'channel', 'sku', 'name', 'quantity', 'price', 'currency'] as const;
export type OrderColumn = (typeof ORDER_COLUMNS)[number];

/** Columns a file must have; the others may be missing or empty. */
export const REQUIRED_COLUMNS: readonly OrderColumn[] = ['order_id', 'date', 'channel', 'sku', 'quantity', 'price', 'currency'];

/** A problem with the file as a whole (its header, the column map): nothing of it can be read. */
export class ImportFileError extends Error {}

/** A row that became a line item. */
export interface LineItem extends Contact {
  line: number;
  orderId: string;
  customerId?: string;
  /** The order's time, ISO in UTC. */
  timestamp: string;
  channel: string;
  sku: string;
  name?: string;
  quantity: number;
  price: number;
  currency: string;
}

export interface RowOptions {
  /** The shop's time zone (IANA): a date without a time is its midnight there, a time without zone its wall clock. */
  timeZone: string;
  /** ISO 3166 country whose national phone numbers the file holds; none: numbers need a leading +. */
  country?: string;
  /** The clock (ms), for refusing orders dated in the future. */
  now: number;
}

/**
 * Parses `--map order_id=BelegNr,date=Datum` (spur's column = the file's header): each key must be
 * one of ORDER_COLUMNS. Throws ImportFileError naming what is wrong.
 */
export function parseColumnMap(text: string | undefined): Map<OrderColumn, string> {
  const map = new Map<OrderColumn, string>();
  if (text === undefined || text.trim() === '') return map;
  for (const pair of text.split(',')) {
    const at = pair.indexOf('=');
    const column = pair.slice(0, at).trim();
    const header = pair.slice(at + 1).trim();
    if (at < 0 || !column || !header) throw new ImportFileError(`--map takes COLUMN=HEADER pairs separated by commas (got ${JSON.stringify(pair)})`);
    if (!(ORDER_COLUMNS as readonly string[]).includes(column)) {
      throw new ImportFileError(`--map names unknown column ${JSON.stringify(column)}: the columns are ${ORDER_COLUMNS.join(', ')}`);
    }
    map.set(column as OrderColumn, header);
  }
  return map;
}

/** Where each column is in a row (-1: not in the file). */
export type ColumnIndex = Record<OrderColumn, number>;

/** Finds the columns in the header row; throws ImportFileError when a required one is missing. */
export function indexColumns(header: readonly string[], map: ReadonlyMap<OrderColumn, string>): { index: ColumnIndex; ignored: string[] } {
  const names = header.map((h) => h.trim());
  const index = {} as ColumnIndex;
  const used = new Set<number>();
  for (const column of ORDER_COLUMNS) {
    const name = map.get(column) ?? column;
    let at = names.indexOf(name);
    // Headers are matched case-insensitively: `Order_ID` is order_id.
    if (at < 0) at = names.findIndex((n) => n.toLowerCase() === name.toLowerCase());
    if (at < 0 && map.has(column)) throw new ImportFileError(`--map: the file has no column ${JSON.stringify(name)} (for ${column}); its header is ${names.join(', ')}`);
    index[column] = at;
    if (at >= 0) used.add(at);
  }
  const missing = REQUIRED_COLUMNS.filter((c) => index[c] < 0);
  if (missing.length) {
    throw new ImportFileError(`the header lacks ${missing.join(', ')} (it has ${names.join(', ')}); rename with --map COLUMN=HEADER`);
  }
  return { index, ignored: names.filter((_, i) => !used.has(i)) };
}

/** A row that is not a line item, and why. */
export class BadRow extends Error {}

const DECIMAL = /^\d+(\.\d+)?$/;
const LOCAL_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,3})?)?$/;
const ZONED_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

// Midnights per date and zone: a million rows hold a few hundred dates, and Intl is slow.
const midnights = new Map<string, number>();

/** An order's date as epoch ms: ISO 8601 with a zone, or a date or local time in `zone`; NaN if neither. */
export function orderTime(text: string, zone: string): number {
  const key = `${zone} ${text}`;
  const known = midnights.get(key);
  if (known !== undefined) return known;
  if (isDate(text)) {
    // Bounded: a file with more distinct dates than this starts the cache over.
    if (midnights.size >= 100_000) midnights.clear();
    const ms = startOfDay(text, zone);
    midnights.set(key, ms);
    return ms;
  }
  if (ZONED_TIME.test(text)) return isDate(text.slice(0, 10)) ? Date.parse(text) : NaN;
  const local = LOCAL_TIME.exec(text);
  if (!local || !isDate(local[1])) return NaN;
  const [y, m, d] = local[1].split('-').map(Number);
  const wall = Date.UTC(y, m - 1, d, Number(local[2]), Number(local[3]), Number(local[4] ?? 0), Math.round(Number(local[5] ?? 0) * 1000));
  if (Number(local[2]) > 23 || Number(local[3]) > 59 || Number(local[4] ?? 0) > 59) return NaN;
  // The offset at a guess, then at the instant the guess gives (right but in the hour a clock change skips).
  return wall - zoneOffsetMs(wall - zoneOffsetMs(wall, zone), zone);
}

// A value of a column, trimmed; undefined when the column is missing or the cell empty.
function cell(row: readonly string[], at: number): string | undefined {
  if (at < 0) return undefined;
  const value = row[at]?.trim();
  return value ? value : undefined;
}

function id(row: readonly string[], at: number, column: string, required: boolean): string | undefined {
  const value = cell(row, at);
  if (value === undefined) {
    if (required) throw new BadRow(`${column} is missing`);
    return undefined;
  }
  if (value.length > MAX_ID_LENGTH) throw new BadRow(`${column} is longer than ${MAX_ID_LENGTH} characters`);
  return value;
}

/** Reads one row; throws BadRow with the reason. */
export function parseRow(row: readonly string[], line: number, index: ColumnIndex, options: RowOptions): LineItem {
  const orderId = id(row, index.order_id, 'order_id', true)!;
  const customerId = id(row, index.customer_id, 'customer_id', false);
  const item: LineItem = { line, orderId, timestamp: '', channel: '', sku: '', quantity: 0, price: 0, currency: '' };
  if (customerId !== undefined) item.customerId = customerId;

  const email = cell(row, index.email);
  if (email !== undefined) {
    const normal = normalizeEmail(email);
    if (normal === null) throw new BadRow(`email ${JSON.stringify(email)} is not an email address`);
    item.email = normal;
  }
  const phone = cell(row, index.phone);
  if (phone !== undefined) {
    const normal = normalizePhone(phone, options.country);
    if (normal === null) {
      const hint = options.country === undefined ? ' (a national number needs --country, e.g. --country DE)' : '';
      throw new BadRow(`phone ${JSON.stringify(phone)} is not a phone number in E.164 (+ and 8 to 15 digits)${hint}`);
    }
    item.phone = normal;
  }

  const date = id(row, index.date, 'date', true)!;
  const ms = orderTime(date, options.timeZone);
  if (!Number.isFinite(ms)) throw new BadRow(`date ${JSON.stringify(date)} is not a date: give YYYY-MM-DD or ISO 8601 (2026-11-02T14:30:00+01:00)`);
  if (ms > options.now + 86_400_000) throw new BadRow(`date ${JSON.stringify(date)} lies in the future`);
  const iso = new Date(ms).toISOString();
  if (iso.length !== 24) throw new BadRow(`date ${JSON.stringify(date)} is out of range`);
  item.timestamp = iso;

  const channel = id(row, index.channel, 'channel', true)!;
  const word = salesChannel(channel);
  if (word === undefined) throw new BadRow(`channel ${JSON.stringify(channel)} is not a sales channel: a word such as phone, fax, store, email or marketplace`);
  item.channel = word;

  item.sku = id(row, index.sku, 'sku', true)!;
  const name = id(row, index.name, 'name', false);
  if (name !== undefined) item.name = name;

  const quantity = id(row, index.quantity, 'quantity', true)!;
  item.quantity = /^\d{1,9}$/.test(quantity) ? Number(quantity) : 0;
  if (item.quantity < 1) throw new BadRow(`quantity ${JSON.stringify(quantity)} is not a whole number of at least 1`);

  const price = id(row, index.price, 'price', true)!;
  item.price = DECIMAL.test(price) ? Number(price) : NaN;
  if (!Number.isFinite(item.price)) throw new BadRow(`price ${JSON.stringify(price)} is not a price per unit such as 19.99 (a dot, no currency sign)`);

  const currency = id(row, index.currency, 'currency', true)!;
  if (!/^[A-Za-z]{3}$/.test(currency)) throw new BadRow(`currency ${JSON.stringify(currency)} is not an ISO 4217 code such as EUR`);
  item.currency = currency.toUpperCase();
  return item;
}
