// Export writers: CSV (RFC 4180) and NDJSON, as generators of text so that an HTTP route or the
// CLI can write each piece as it comes and an export never has to sit in memory whole.
//
// CSV: UTF-8 (callers encode the strings as UTF-8; `bom` adds the byte order mark that Excel needs
// to read UTF-8 rather than the locale's code page), a header row, CRLF line ends, and a cell in
// double quotes when it holds `"`, `,`, CR or LF, with `"` doubled.
// Formula injection: a text cell that starts with = + - @ tab or CR is prefixed with ' so that a
// spreadsheet shows it instead of running it (OWASP "CSV injection"). Numbers are written as
// numbers: -5 is data, and a prefix would turn it into text in the sheet.

/** A column: a property of the row, or a header with a function of the row. */
export type CsvColumn<T> = (keyof T & string) | { header: string; value: (row: T) => unknown };

const NEEDS_QUOTES = /[",\r\n]/;
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV cell. null and undefined are empty; objects and arrays are written as JSON text. */
export function csvCell(value: unknown): string {
  let text: string;
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value instanceof Date) text = Number.isNaN(value.getTime()) ? '' : value.toISOString();
  else if (typeof value === 'string') text = value;
  else text = JSON.stringify(value) ?? '';
  if (FORMULA_START.test(text)) text = "'" + text;
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
