// String interning for the fact table: each distinct string is stored once and rows hold its
// integer id, so a million events of a few hundred event names, paths and families cost a byte or
// two per cell (columns.ts) and compare as integers. This one keeps its strings as JavaScript
// strings, for the few of them (names, paths, products, families); ids with one value per visitor,
// session or order are packed (packed-dictionary.ts).

/** What the fact table needs of a dictionary: strings in, dense ids from 0 out, and back. */
export interface StringCodes {
  /** The id of `value`, adding it when new. */
  intern(value: string): number;
  /** The id of `value`, or -1 when it was never interned. */
  id(value: string): number;
  /** The string of an id; null for -1 (no value). */
  value(id: number): string | null;
  readonly size: number;
}

/** Append-only string <-> id map; ids are dense from 0 and never change. */
export class Dictionary implements StringCodes {
  private readonly ids = new Map<string, number>();
  /** The string of each id. Callers must not modify it. */
  readonly values: string[] = [];

  // Facts come in runs (the events of one session share its session id, visitor and device), and
  // comparing with the previous string is far cheaper than hashing a freshly parsed one.
  private lastValue: string | undefined;
  private lastId = -1;

  /** The id of `value`, adding it when new. */
  intern(value: string): number {
    if (value === this.lastValue) return this.lastId;
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.values.length;
      this.ids.set(value, id);
      this.values.push(value);
    }
    this.lastValue = value;
    this.lastId = id;
    return id;
  }

  /** The id of `value`, or -1 when it was never interned. */
  id(value: string): number {
    return this.ids.get(value) ?? -1;
  }

  /** The string of an id; null for -1 (no value). */
  value(id: number): string | null {
    return id < 0 ? null : this.values[id];
  }

  get size(): number {
    return this.values.length;
  }
}
