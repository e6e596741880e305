// How SQLite failures become StorageUnavailableError (503 on ingest, named by /readyz), and the
// free-space check of the readiness probe.
import { statfs } from 'node:fs/promises';
import { StorageUnavailableError, type StorageFailure } from '../../errors';

/**
 * Below this much free space on the database's file system, /readyz reports disk_full. A probe
 * write alone cannot see a full disk: after SQLITE_FULL, a one-row write still fits into WAL
 * space that the rolled-back transaction had already allocated. 1 MiB holds two of the largest
 * requests (500 KiB each).
 */
export const MIN_FREE_BYTES = 1024 * 1024;

/** SQLite result code (better-sqlite3's err.code, e.g. SQLITE_BUSY_SNAPSHOT) -> failure kind. */
export function failureOf(code: string): StorageFailure {
  if (code === 'SQLITE_FULL') return 'disk_full';
  if (code.startsWith('SQLITE_READONLY')) return 'read_only';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'locked';
  if (code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CANTOPEN')) return 'io_error';
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return 'corrupt';
  return 'unavailable';
}

/**
 * Turns a database failure (busy, full, read-only, I/O, closed) into StorageUnavailableError;
 * returns null for anything else, which is a bug and must surface as such (500).
 */
export function toStorageError(what: string, err: unknown, dbOpen: boolean): StorageUnavailableError | null {
  if (err instanceof StorageUnavailableError) return err;
  // Matched by code, not instanceof: better-sqlite3's native addon keeps the SqliteError class
  // of whichever copy of the module loaded it first (several under Jest's module registries).
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('SQLITE_')) {
    const message = `sqlite ${what} failed: ${code} (${(err as Error).message})`;
    return new StorageUnavailableError(message, { cause: err, reason: failureOf(code) });
  }
  if (!dbOpen) return new StorageUnavailableError(`sqlite ${what} failed: database is closed`, { cause: err, reason: 'closed' });
  return null;
}

/** Rejects with disk_full when the file system holding `dir` has less than MIN_FREE_BYTES free. */
export async function checkFreeSpace(dir: string): Promise<void> {
  const fs = await statfs(dir).catch(() => null); // unknown is not a failure; the probe write decides
  if (!fs) return;
  const free = fs.bavail * fs.bsize;
  if (free < MIN_FREE_BYTES) {
    throw new StorageUnavailableError(`only ${Math.floor(free / 1024)} KiB free on the database's file system`, {
      reason: 'disk_full',
    });
  }
}
