import type { TableCopy } from '@spur/collector';
import type { Io } from './io';

/** A terminal's line is redrawn at most this often. */
const REDRAW_MS = 100;
/** Without a terminal (a log, CI), a line this often: enough to see it move, not a flood. */
const LINE_MS = 5000;

const n = (x: number) => x.toLocaleString('en');

export interface MigrateProgress {
  /** Takes the state after a chunk; draws when it is time to. */
  update(tables: readonly TableCopy[]): void;
  /** Clears the terminal line. */
  end(): void;
  /** Rows read this run per second so far. */
  rate(): number;
}

/** The table being copied: the first not yet done (the last when all are). */
const current = (tables: readonly TableCopy[]) => tables.find((t) => t.done < t.total) ?? tables[tables.length - 1];

/**
 * The progress of `spur migrate` on stderr: the table under way with its rows and percent, the
 * percent of all rows, and the rate. On a terminal one line that updates; otherwise a line
 * every five seconds.
 */
export function createMigrateProgress(io: Io): MigrateProgress {
  const started = Date.now();
  let read = 0;
  // Without a terminal the first line waits too: a copy that ends within seconds needs none.
  let drawn = io.errIsTTY ? 0 : started;
  let shown = false;
  const rate = () => read / Math.max((Date.now() - started) / 1000, 0.001);
  const line = (tables: readonly TableCopy[]) => {
    const t = current(tables);
    const total = tables.reduce((s, x) => s + x.total, 0);
    const done = tables.reduce((s, x) => s + x.done, 0);
    const pct = (a: number, b: number) => `${b === 0 ? 100 : Math.floor((a / b) * 100)}%`;
    return `${t.table} ${n(t.done)}/${n(t.total)} (${pct(t.done, t.total)}), all tables ${pct(done, total)}, ${n(Math.round(rate()))} rows/s`;
  };
  return {
    update(tables) {
      read = tables.reduce((s, x) => s + x.read, 0);
      const now = Date.now();
      if (io.errIsTTY) {
        if (now - drawn < REDRAW_MS) return;
        io.err(`\rmigrating: ${line(tables)}\x1b[K`);
        shown = true;
      } else {
        if (now - drawn < LINE_MS) return;
        io.err(`spur migrate: ${line(tables)}\n`);
      }
      drawn = now;
    },
    end() {
      if (shown) io.err('\r\x1b[K');
      shown = false;
    },
    rate,
  };
}
