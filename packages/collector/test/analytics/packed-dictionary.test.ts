import { Dictionary } from '../../src/analytics';
import { PackedDictionary } from '../../src/analytics/packed-dictionary';

describe('PackedDictionary', () => {
  it('gives dense ids from 0 and the same id for the same string', () => {
    const d = new PackedDictionary();
    expect(d.intern('a-1')).toBe(0);
    expect(d.intern('b-2')).toBe(1);
    expect(d.intern('a-1')).toBe(0);
    expect(d.intern(['a', '-', '1'].join(''))).toBe(0); // another string object, same text
    expect(d.size).toBe(2);
    expect(d.id('b-2')).toBe(1);
    expect(d.id('c-3')).toBe(-1);
    expect(d.value(0)).toBe('a-1');
    expect(d.value(-1)).toBeNull();
    expect(d.value(2)).toBeNull();
  });

  it('agrees with Dictionary on 50,000 ids, through every growth of its arrays and table', () => {
    const packed = new PackedDictionary();
    const plain = new Dictionary();
    const ids = Array.from({ length: 50_000 }, (_, i) => `${(i * 2654435761) >>> 0}-${i % 7 === 0 ? 'x'.repeat(i % 300) : ''}`);
    const all = [...ids, ...ids.slice(0, 1000).reverse()];
    expect(all.map((id) => packed.intern(id))).toEqual(all.map((id) => plain.intern(id)));
    expect(packed.size).toBe(plain.size);
    for (let i = 0; i < plain.size; i += 97) {
      expect(packed.value(i)).toBe(plain.value(i));
      expect(packed.id(plain.value(i)!)).toBe(i);
    }
  });

  it('keeps strings beyond Latin-1 as they are, and the empty string', () => {
    const d = new PackedDictionary();
    const names = ['café', 'Grüße', '顧客-7', '😀 emoji', '', 'plain'];
    const ids = names.map((n) => d.intern(n));
    expect(ids).toEqual([0, 1, 2, 3, 4, 5]);
    expect(names.map((n) => d.id(n))).toEqual(ids);
    expect(ids.map((i) => d.value(i))).toEqual(names);
    // A string of the same length as a wide one is another string.
    expect(d.id('顧客-8')).toBe(-1);
    expect(d.id('cafe')).toBe(-1);
  });

  it('reads back long strings', () => {
    const d = new PackedDictionary();
    const long = 'o-'.padEnd(10_000, '0123456789');
    expect(d.value(d.intern(long))).toBe(long);
  });
});
