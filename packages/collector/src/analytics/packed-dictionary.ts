// A dictionary for the ids there is one of per visitor, session, customer or order: millions of
// them in a large shop. As JavaScript strings in a Map they cost about 80 bytes each, and worse,
// they live on the V8 heap among the garbage of the parsed events they came from, so that pages
// stay allocated around them (at 1M events the heap held 380 MB of pages for 120 MB of objects).
// Here every string's characters sit back to back in one byte array (one byte per character:
// ids are ASCII, and any Latin-1 string fits; a string with a character beyond that is kept as
// it is, aside), found through an open-addressing hash table of typed arrays: no object per id.
import type { StringCodes } from './dictionary';
import { nextCapacity, resizeInts } from './columns';

const MAX_LOAD = 0.6;

// FNV-1a over UTF-16 code units; `| 0` keeps it a small integer.
function hashOf(value: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) h = Math.imul(h ^ value.charCodeAt(i), 0x01000193);
  return h | 0;
}

/** Append-only string <-> id map like Dictionary, holding its strings in typed arrays. */
export class PackedDictionary implements StringCodes {
  private bytes = new Uint8Array(4096);
  private used = 0;
  // String `id` is bytes[starts[id] .. starts[id + 1]).
  private starts = new Int32Array(1025);
  private hashes = new Int32Array(1024);
  private count = 0;
  // id + 1 per slot; 0 is an empty slot.
  private slots = new Int32Array(2048);
  private readonly wide = new Map<number, string>();
  // `bytes` as a Buffer, for decoding; made again when `bytes` grows.
  private text: Buffer | undefined;
  // Events come in runs of one visitor's and one session's: comparing with the last string is
  // cheaper than hashing it.
  private lastValue: string | undefined;
  private lastId = -1;

  get size(): number {
    return this.count;
  }

  intern(value: string): number {
    if (value === this.lastValue) return this.lastId;
    const hash = hashOf(value);
    const mask = this.slots.length - 1;
    let slot = hash & mask;
    for (let e = this.slots[slot]; e !== 0; e = this.slots[slot]) {
      if (this.hashes[e - 1] === hash && this.equals(e - 1, value)) return this.remember(value, e - 1);
      slot = (slot + 1) & mask;
    }
    const id = this.add(value, hash);
    this.slots[slot] = id + 1;
    if (this.count > this.slots.length * MAX_LOAD) this.rehash();
    return this.remember(value, id);
  }

  id(value: string): number {
    const hash = hashOf(value);
    const mask = this.slots.length - 1;
    for (let slot = hash & mask, e = this.slots[slot]; e !== 0; slot = (slot + 1) & mask, e = this.slots[slot]) {
      if (this.hashes[e - 1] === hash && this.equals(e - 1, value)) return e - 1;
    }
    return -1;
  }

  value(id: number): string | null {
    if (id < 0 || id >= this.count) return null;
    const from = this.starts[id];
    const to = this.starts[id + 1];
    if (from === to) return this.wide.get(id) ?? '';
    // Node's latin1 decoding: one native call, no array of char codes.
    if (this.text?.buffer !== this.bytes.buffer) this.text = Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    return this.text.toString('latin1', from, to);
  }

  private remember(value: string, id: number): number {
    this.lastValue = value;
    this.lastId = id;
    return id;
  }

  private equals(id: number, value: string): boolean {
    const from = this.starts[id];
    const length = this.starts[id + 1] - from;
    if (length === 0) return this.wide.has(id) ? this.wide.get(id) === value : value.length === 0;
    if (length !== value.length) return false;
    const bytes = this.bytes;
    for (let i = 0; i < length; i++) if (bytes[from + i] !== value.charCodeAt(i)) return false;
    return true;
  }

  private add(value: string, hash: number): number {
    const id = this.count;
    if (id + 2 > this.starts.length) {
      this.starts = resizeInts(this.starts, nextCapacity(this.starts.length), id + 1);
      this.hashes = resizeInts(this.hashes, this.starts.length - 1, id);
    }
    let latin1 = true;
    for (let i = 0; i < value.length && latin1; i++) latin1 = value.charCodeAt(i) < 256;
    if (latin1) {
      if (this.used + value.length > this.bytes.length) {
        const bigger = new Uint8Array(Math.max(nextCapacity(this.bytes.length), this.used + value.length));
        bigger.set(this.bytes.subarray(0, this.used));
        this.bytes = bigger;
      }
      for (let i = 0; i < value.length; i++) this.bytes[this.used + i] = value.charCodeAt(i);
      this.used += value.length;
    } else this.wide.set(id, value);
    this.starts[id + 1] = this.used;
    this.hashes[id] = hash;
    this.count = id + 1;
    return id;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let id = 0; id < this.count; id++) {
      let slot = this.hashes[id] & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = id + 1;
    }
    this.slots = slots;
  }
}
