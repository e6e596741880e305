// Growable typed-array columns. A dictionary code is -1 (no value) or an id from 0; most columns
// hold a few dozen (event names, families, currencies) or a few thousand (paths, products)
// distinct values, so a code column starts with one byte per row and widens to two, then four,
// only when a code outgrows it. A million rows of event names then cost 1 MB, not 4.
//
// Widening and growing copy into a new array and never touch the old one, so a view taken
// earlier (a subarray of the old array) keeps reading what it read.

/** A column of dictionary codes: -1 for no value, else 0, 1, 2, ... */
export type Codes = Int8Array | Int16Array | Int32Array;

const LIMITS = [127, 32767, 2147483647];

/** A column of codes that widens from 8 to 16 to 32 bits as its largest code grows. */
export class CodeColumn {
  private data: Codes;
  private width = 0;

  constructor(capacity: number) {
    this.data = new Int8Array(capacity);
  }

  get array(): Codes {
    return this.data;
  }

  set(i: number, code: number): void {
    if (code > LIMITS[this.width]) this.widen(code);
    this.data[i] = code;
  }

  /** A new capacity (larger than the rows written so far). */
  resize(capacity: number, rows: number): void {
    const next = this.make(this.width, capacity);
    next.set(this.data.subarray(0, rows));
    this.data = next;
  }

  private widen(code: number): void {
    let width = this.width;
    while (code > LIMITS[width]) width++;
    const next = this.make(width, this.data.length);
    next.set(this.data);
    this.data = next;
    this.width = width;
  }

  private make(width: number, capacity: number): Codes {
    return width === 0 ? new Int8Array(capacity) : width === 1 ? new Int16Array(capacity) : new Int32Array(capacity);
  }
}

/** A Float64Array of `capacity` holding the first `rows` values of `a`. */
export function resizeFloats(a: Float64Array, capacity: number, rows: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(capacity);
  b.set(a.subarray(0, rows));
  return b;
}

/** An Int32Array of `capacity` holding the first `rows` values of `a`. */
export function resizeInts(a: Int32Array, capacity: number, rows: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(capacity);
  b.set(a.subarray(0, rows));
  return b;
}

/** A Uint8Array of `capacity` holding the first `rows` values of `a`. */
export function resizeBytes(a: Uint8Array, capacity: number, rows: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(capacity);
  b.set(a.subarray(0, rows));
  return b;
}

/**
 * The next capacity for a column that is full at `capacity`. 1.25x: a table of millions of rows
 * wastes at most a fifth of its columns, and copying as it grows costs about 4 copies of the
 * final size in all (a few tens of ms at 5M rows).
 */
export function nextCapacity(capacity: number): number {
  return Math.max(1024, Math.ceil(capacity * 1.25));
}
