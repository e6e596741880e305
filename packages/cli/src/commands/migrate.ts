import { copySqliteToPostgres, redactDatabaseUrl, type SqliteCopyReport } from '@spur/collector';
import { parseFlags, UsageError, type Io } from '../io';
import { createMigrateProgress } from '../migrate-progress';

const options = {
  from: { type: 'string' },
  to: { type: 'string' },
  // Not in the help: rows per transaction, small in the tests that kill a copy midway.
  chunk: { type: 'string' },
} as const;

/** Exit code of a copy that got through while the source took writes (they are not in it). */
export const SOURCE_CHANGED_EXIT = 3;

// What names a row of `table` in the target: an endpoint's id, else a name.
const keyWord = (table: string) => (table === 'webhook_endpoints' ? 'id' : 'name');

// What to do about rows of `table` left as the target has them.
const skippedAdvice = (table: string) =>
  table === 'accounts'
    ? 'those people sign in with the password set on the target (spur users passwd there to change it)\n'
    : table === 'webhook_endpoints'
      ? "its receiver checks signatures with the target's secret; remove it in the target (spur webhooks remove) and run spur migrate again to copy this one\n"
      : 'rename or delete it in the target and run spur migrate again to copy this one\n';

const n = (x: number) => x.toLocaleString('en');

function summary(report: SqliteCopyReport, from: string, seconds: number, rate: number): string {
  const rows = report.tables.map((t) => `  ${t.table.padEnd(18)} ${n(t.copied).padStart(12)} ${n(t.total - t.copied - t.skipped.length).padStart(14)}`);
  // An account, funnel or webhook endpoint of the same name (id) that differs in the target: never
  // overwritten, named.
  const skipped = report.tables
    .filter((t) => t.skipped.length > 0)
    .map((t) => `  ${t.table}: ${n(t.skipped.length)} left as the target has them (another row of the same ${keyWord(t.table)} there): ${t.skipped.join(', ')}`);
  const copied = report.tables.reduce((s, t) => s + t.copied, 0);
  const head = `spur migrate: ${from} -> ${report.target}${report.start === 'resumed' ? ' (went on with an earlier copy)' : ''}`;
  const end = report.interrupted
    ? 'interrupted: what is above is committed; run spur migrate again to go on'
    : copied === 0
      ? 'nothing to copy: every row was in the target already'
      : `done in ${seconds.toFixed(1)} s (${n(Math.round(rate))} rows/s read)`;
  return [head, `  ${'table'.padEnd(18)} ${'copied now'.padStart(12)} ${'already there'.padStart(14)}`, ...rows, ...skipped, end, ''].join('\n');
}

/**
 * `spur migrate`: copies an SQLite database (--from, SPUR_DB) into PostgreSQL (--to,
 * SPUR_DATABASE_URL) exactly once, with progress on stderr; a run after an interruption goes on.
 */
export async function migrate(args: string[], io: Io): Promise<number> {
  const values = parseFlags(args, options).values;
  const from = values.from ?? io.env.SPUR_DB ?? './data/spur.db';
  const to = values.to ?? io.env.SPUR_DATABASE_URL;
  if (to === undefined || to.trim() === '') throw new UsageError('no target: give --to postgres://user:password@host:5432/database or SPUR_DATABASE_URL');
  const chunk = values.chunk === undefined ? undefined : Number(values.chunk);
  if (chunk !== undefined && (!Number.isInteger(chunk) || chunk < 1)) throw new UsageError(`--chunk "${values.chunk}" must be a whole number of rows from 1`);

  const progress = createMigrateProgress(io);
  // SIGINT or SIGTERM: the chunk under way commits, then the copy stops; a new run goes on. A
  // second one stops at once (a server that does not answer): the chunk in flight rolls back.
  const abort = new AbortController();
  const stopListening = io.onShutdown(() => {
    if (abort.signal.aborted) process.exit(130);
    progress.end();
    io.err('spur migrate: stopping after the chunk under way (again to stop at once)\n');
    abort.abort();
  });
  const started = Date.now();
  let report: SqliteCopyReport;
  try {
    report = await copySqliteToPostgres({
      from,
      to,
      ...(chunk !== undefined && { chunkRows: chunk }),
      signal: abort.signal,
      onProgress: (tables) => progress.update(tables),
    });
  } catch (err) {
    progress.end();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`no database at ${from}: set --from or SPUR_DB to the collector's SQLite file`);
    if (code === 'EBADURL') throw new UsageError((err as Error).message);
    // The driver's messages do not carry the password; the URL is shown redacted all the same.
    io.err(`spur migrate: ${redactDatabaseUrl(from)} -> ${redactDatabaseUrl(to)}: ${(err as Error).message}\n`);
    io.err('spur migrate: what was committed stays; run spur migrate again to go on\n');
    return 1;
  } finally {
    stopListening();
  }
  progress.end();
  io.out(summary(report, from, (Date.now() - started) / 1000, progress.rate()));
  if (report.interrupted) return 130;
  for (const t of report.tables.filter((x) => x.skipped.length > 0)) {
    io.err(
      `spur migrate: ${t.table} ${t.skipped.join(', ')}: the target has another row of the same ${keyWord(t.table)}, left as it is; ` +
        skippedAdvice(t.table),
    );
  }
  if (report.sourceChanged) {
    io.err(
      `spur migrate: ${from} took writes while it was copied (is a collector still running on it?): ` +
        'they came after the snapshot this run copied. Stop that collector and run spur migrate again to copy them\n',
    );
    return SOURCE_CHANGED_EXIT;
  }
  return 0;
}
