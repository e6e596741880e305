// isoTime writes what Date#toISOString writes, faster.
import { isoTime } from '../../src/analytics/iso-time';
import { random } from './synthetic';

describe('isoTime', () => {
  it('equals toISOString across the years 0000-9999, leap days and the ends of days', () => {
    const rnd = random(7);
    const times = [0, -1, 951782400000, 951868799999, 4107542400000, -62167219200000, 253402300799999, Date.UTC(2024, 1, 29, 23, 59, 59, 999), Date.UTC(1900, 1, 28), Date.UTC(2000, 1, 29)];
    for (let i = 0; i < 50_000; i++) times.push(Math.floor((rnd() - 0.5) * 2 * 253402300799999));
    for (const t of times) if (isoTime(t) !== new Date(t).toISOString()) expect([t, isoTime(t)]).toEqual([t, new Date(t).toISOString()]);
  });

  it('leaves what it does not write to Date: other years and fractions of a millisecond', () => {
    for (const t of [253402300800000, -62167219200001, 1.5, 8.64e15]) expect(isoTime(t)).toBe(new Date(t).toISOString());
    expect(() => isoTime(NaN)).toThrow(RangeError);
  });
});
