// Storage row ids of the fact table's rows. Rows arrive in row id order, and row ids follow each
// other without gaps except where events were deleted, so the ids are kept as runs (first row,
// its row id; each next row of the run has the next id): a handful of runs instead of 8 bytes a
// row. Queries never read them (row order is storage order); reading back a row does.
import { nextCapacity, resizeFloats, resizeInts } from './columns';

export class SeqRuns {
  private rows = new Int32Array(16);
  private seqs = new Float64Array(16);
  private count = 0;
  private lastSeq = -Infinity;

  /** The row id of the last row; -Infinity when there is none. */
  get last(): number {
    return this.lastSeq;
  }

  /** Row `row` (the next one) has row id `seq`. */
  push(row: number, seq: number): void {
    if (seq !== this.lastSeq + 1 || this.count === 0) {
      if (this.count === this.rows.length) {
        const capacity = nextCapacity(this.count);
        this.rows = resizeInts(this.rows, capacity, this.count);
        this.seqs = resizeFloats(this.seqs, capacity, this.count);
      }
      this.rows[this.count] = row;
      this.seqs[this.count] = seq;
      this.count++;
    }
    this.lastSeq = seq;
  }

  /** The row id of a row, for the runs made so far (later pushes do not change its answers). */
  reader(): (row: number) => number {
    const count = this.count;
    const rows = this.rows;
    const seqs = this.seqs;
    return (row) => {
      // The last run that starts at or before `row`.
      let lo = 0;
      let hi = count - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (rows[mid] <= row) lo = mid;
        else hi = mid - 1;
      }
      return seqs[lo] + (row - rows[lo]);
    };
  }
}
