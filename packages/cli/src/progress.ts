import type { Io } from './io';

/** Redraws at most this often: a terminal is slower than an export. */
const REDRAW_MS = 100;
const BAR = 24;

export interface Progress {
  /** Counts a chunk of output (its bytes and its lines). */
  add(text: string): void;
  /** Clears the line it drew. */
  end(): void;
  /** "N lines, M bytes" of everything counted. */
  summary(): string;
}

const size = (bytes: number) =>
  bytes < 1024 ? `${bytes} B` : bytes < 1024 ** 2 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 ** 2).toFixed(1)} MB`;

/**
 * A one-line progress display on stderr for long exports, only when stderr is a terminal (a
 * log file or a CI system gets nothing but the final summary). Rows are output lines; with a
 * known total (rows of an NDJSON export) it shows a bar and a percentage.
 */
export function createProgress(io: Io, totalRows?: number): Progress {
  let rows = 0;
  let bytes = 0;
  let drawn = 0;
  let shown = false;
  const started = Date.now();
  const draw = () => {
    const seconds = (Date.now() - started) / 1000;
    let line = `exporting: ${rows.toLocaleString('en')} lines, ${size(bytes)}, ${Math.round(rows / Math.max(seconds, 0.001)).toLocaleString('en')} lines/s`;
    if (totalRows) {
      const done = Math.min(1, rows / totalRows);
      line = `[${'#'.repeat(Math.round(done * BAR)).padEnd(BAR, '.')}] ${(done * 100).toFixed(0).padStart(3)}% ${line}`;
    }
    io.err(`\r${line}\x1b[K`);
    shown = true;
  };
  return {
    add(text) {
      bytes += Buffer.byteLength(text);
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) rows++;
      if (!io.errIsTTY) return;
      const now = Date.now();
      if (now - drawn >= REDRAW_MS) {
        drawn = now;
        draw();
      }
    },
    end() {
      if (shown) io.err('\r\x1b[K');
      shown = false;
    },
    summary: () => `${rows.toLocaleString('en')} lines, ${size(bytes)}`,
  };
}
