import { CodeColumn } from '../../src/analytics/columns';
import { SeqRuns } from '../../src/analytics/seq-runs';

describe('CodeColumn', () => {
  it('starts with one byte per row and widens to two and four as codes grow, keeping earlier codes', () => {
    const c = new CodeColumn(8);
    c.set(0, -1);
    c.set(1, 127);
    expect(c.array).toBeInstanceOf(Int8Array);
    const before = c.array.subarray(0, 2);
    c.set(2, 128);
    expect(c.array).toBeInstanceOf(Int16Array);
    c.set(3, 40_000);
    expect(c.array).toBeInstanceOf(Int32Array);
    c.set(4, 2_000_000_000);
    expect([...c.array.subarray(0, 5)]).toEqual([-1, 127, 128, 40_000, 2_000_000_000]);
    // A view taken before the widening still reads what it read.
    expect([...before]).toEqual([-1, 127]);
  });

  it('keeps its rows and width when it grows', () => {
    const c = new CodeColumn(2);
    c.set(0, 300);
    c.set(1, -1);
    c.resize(4, 2);
    c.set(2, 5);
    expect(c.array).toBeInstanceOf(Int16Array);
    expect([...c.array.subarray(0, 3)]).toEqual([300, -1, 5]);
  });
});

describe('SeqRuns', () => {
  it('reads back row ids with gaps, after any number of runs', () => {
    const runs = new SeqRuns();
    const seqs = [1, 2, 3, 7, 8, 20, 21, 22, 23, 1000.5, 2 ** 40];
    seqs.forEach((seq, row) => runs.push(row, seq));
    const seqOf = runs.reader();
    expect(seqs.map((_, row) => seqOf(row))).toEqual(seqs);
    expect(runs.last).toBe(2 ** 40);
  });

  it('gives readers that later rows do not change', () => {
    const runs = new SeqRuns();
    for (let row = 0; row < 100; row++) runs.push(row, row * 3);
    const early = runs.reader();
    for (let row = 100; row < 200; row++) runs.push(row, row * 3);
    expect(early(99)).toBe(297);
    expect(runs.reader()(199)).toBe(597);
  });
});
