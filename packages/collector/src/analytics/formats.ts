// Export writers: CSV (RFC 4180) and NDJSON, as generators of text so that an HTTP route or the
// CLI can write each piece as it comes and an export never has to sit in memory whole.
//
// CSV: UTF-8 (callers encode the strings as UTF-8; `bom` adds the byte order mark that Excel needs
// to read UTF-8 rather than the locale's code page), a header row, CRLF line ends, and a cell in
// double quotes when it holds `"`, `,`, `;`, CR or LF, with `"` doubled.
//
// Formula injection (OWASP "CSV injection"): a spreadsheet runs a cell that starts with = + - or
// @, also after spaces, a line break or a full-width ＝ (many trim and fold what they read), so a
// text cell that would is written with a leading ' and shown as text. A spreadsheet may also begin
// a cell *inside* ours: one that splits on `;` (the list separator of German, French and other
// locales) does so at every `;`, and, since our quotes then sit inside its cells where they quote
// nothing, starts a row at every line break; a double quote there may be taken as an opening
// quote. So the rule applies to each
// part of the text, the one before the first `;`/CR/LF and each one after: a part that starts,
// after whitespace and double quotes and under NFKC, with = + - or @, or that starts with a tab,
// gets the ' in front of it (the whole cell also when it starts with CR, as before). `x;=1+1` is
// written "x;'=1+1", `\n=1` as "\n'=1".
// Numbers are told apart from text by their type, not by their column: a value spur computed as a
// number (counts, revenue, rates; -5 is data) is written as a number, untouched, since a prefix
// would make it text in the sheet; a string is text even when it reads like a number ("-5" is
// written '-5), as everything a shop or a visitor sent is.

/** A column: a property of the row, or a header with a function of the row. */
export type CsvColumn<T> = (keyof T & string) | { header: string; value: (row: T) => unknown };

const NEEDS_QUOTES = /[",;\r\n]/;
// Where a spreadsheet may begin a cell inside one of ours.
const PART_END = /[;\r\n]/;
const FORMULA = /[=+\-@]/;
// What a spreadsheet may skip before it looks at a cell's first character.
const SKIPPED = /[\s"]/;

// Whether a part of a cell's text (no ; CR or LF in it) would start a formula. Characters outside
// ASCII are looked at under NFKC, one at a time (＝ is =; a mark that would compose with what came
// before can only make that character harmless, so this errs on the safe side); leading
// whitespace and quotes, also those NFKC makes, are skipped.
function formulaPart(part: string): boolean {
  if (part[0] === '\t') return true;
  for (let i = 0; i < part.length; ) {
    const code = part.codePointAt(i)!;
    const char = code < 128 ? part[i] : String.fromCodePoint(code).normalize('NFKC');
    i += code > 0xffff ? 2 : 1;
    for (const c of char) if (!SKIPPED.test(c)) return FORMULA.test(c);
  }
  return false;
}

// The text with a ' in front of every part that would start a formula (see the top of this file).
function neutralise(text: string): string {
  if (!PART_END.test(text)) return formulaPart(text) ? "'" + text : text;
  // Parts at even indices, the ; CR or LF after each at odd ones.
  const parts = text.split(/([;\r\n])/);
  for (let i = 0; i < parts.length; i += 2) if (formulaPart(parts[i])) parts[i] = "'" + parts[i];
  return (text[0] === '\r' ? "'" : '') + parts.join('');
}

/** One CSV cell. null and undefined are empty; objects and arrays are written as JSON text. */
export function csvCell(value: unknown): string {
  let text: string;
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value instanceof Date) text = Number.isNaN(value.getTime()) ? '' : value.toISOString();
  else if (typeof value === 'string') text = value;
  else text = JSON.stringify(value) ?? '';
  text = neutralise(text);
  return NEEDS_QUOTES.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
}

/** One CSV record with its CRLF. */
export function csvLine(cells: readonly unknown[]): string {
  let line = '';
  for (let i = 0; i < cells.length; i++) line += (i ? ',' : '') + csvCell(cells[i]);
  return line + '\r\n';
}

/** CSV of `rows`: the header line, then one line per row, each yielded as it is made. */
export function* toCsv<T>(rows: Iterable<T>, columns: readonly CsvColumn<T>[], options: { bom?: boolean } = {}): Generator<string> {
  const headers = columns.map((c) => (typeof c === 'string' ? c : c.header));
  const getters = columns.map((c) => (typeof c === 'string' ? (row: T) => row[c] : c.value));
  yield (options.bom ? '\uFEFF' : '') + csvLine(headers);
  const cells: unknown[] = new Array(getters.length);
  for (const row of rows) {
    for (let i = 0; i < getters.length; i++) cells[i] = getters[i](row);
    yield csvLine(cells);
  }
}

/** NDJSON of `rows`: one JSON text and LF per row. */
export function* toNdjson(rows: Iterable<unknown>): Generator<string> {
  for (const row of rows) yield JSON.stringify(row) + '\n';
}

/** A JSON array of `rows`, written piece by piece. */
export function* toJsonArray(rows: Iterable<unknown>): Generator<string> {
  let first = true;
  for (const row of rows) {
    yield (first ? '[' : ',') + JSON.stringify(row);
    first = false;
  }
  yield first ? '[]' : ']';
}

/**
 * Joins small pieces into chunks of about `size` characters: one write per chunk rather than per
 * line costs a stream far less. @defaultValue size 65536
 */
export function* chunked(pieces: Iterable<string>, size = 65536): Generator<string> {
  let buffer = '';
  for (const piece of pieces) {
    buffer += piece;
    if (buffer.length >= size) {
      yield buffer;
      buffer = '';
    }
  }
  if (buffer) yield buffer;
}
