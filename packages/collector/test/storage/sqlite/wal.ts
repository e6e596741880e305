// Reads an SQLite WAL file (https://sqlite.org/fileformat.html#the_write_ahead_log) to count
// transactions: every commit ends with exactly one commit frame, whose "database size after
// commit" field is non-zero. Only frames of the current WAL generation (matching salts) count.
import { readFileSync } from 'node:fs';

export function walCommitCount(dbFile: string): number {
  let wal: Buffer;
  try {
    wal = readFileSync(`${dbFile}-wal`);
  } catch {
    return 0;
  }
  if (wal.length < 32) return 0;
  const pageSize = wal.readUInt32BE(8);
  const salt1 = wal.readUInt32BE(16);
  const salt2 = wal.readUInt32BE(20);
  let commits = 0;
  for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) {
    if (wal.readUInt32BE(at + 8) !== salt1 || wal.readUInt32BE(at + 12) !== salt2) break;
    if (wal.readUInt32BE(at + 4) !== 0) commits += 1;
  }
  return commits;
}
