import { copySqliteToPostgres, isPostgresUrl, redactDatabaseUrl } from '@spur/collector';
import { parseFlags, UsageError, type Io } from '../io';

const options = {
  to: { type: 'string' },
  from: { type: 'string' },
  chunk: { type: 'string' },
} as const;

const number = (n: number) => n.toLocaleString('en-US');

/**
 * `spur migrate --to postgres://… [--from ./data/spur.db]`: copies an SQLite database into
 * PostgreSQL, chunk by chunk with a line of progress on stderr per chunk; killed, it resumes where
 * it stopped when run again, and run again after it finished it copies nothing.
 */
export async function migrate(args: string[], io: Io): Promise<number> {
  const values = parseFlags(args, options).values;
  const to = values.to ?? io.env.SPUR_DATABASE_URL;
  if (to === undefined || to.trim() === '') throw new UsageError('no target: give --to postgres://user:password@host:5432/database (or SPUR_DATABASE_URL)');
  if (!isPostgresUrl(to)) throw new UsageError(`--to ${redactDatabaseUrl(to)} is not a postgres:// URL`);
  const from = values.from ?? io.env.SPUR_DB ?? './data/spur.db';
  const chunk = values.chunk === undefined ? undefined : Number(values.chunk);
  if (chunk !== undefined && !(Number.isInteger(chunk) && chunk >= 1 && chunk <= 100_000)) throw new UsageError(`--chunk ${values.chunk} must be a whole number from 1 to 100000`);
  io.err(`spur migrate: ${from} -> ${redactDatabaseUrl(to)}\n`);
  try {
    const report = await copySqliteToPostgres({
      from,
      to,
      ...(chunk !== undefined && { chunk }),
      onProgress: ({ part, copied, total }) => io.err(`spur migrate: ${part} ${number(copied)} of ${number(total)}\n`),
    });
    const copied = Object.entries(report).filter(([, n]) => n > 0);
    io.out(
      copied.length === 0
        ? 'spur migrate: nothing left to copy (everything was copied before)\n'
        : `spur migrate: copied ${copied.map(([part, n]) => `${number(n)} ${part}`).join(', ')}\n`,
    );
    return 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`no database at ${from}: set --from or SPUR_DB to the SQLite file`);
    io.err(`spur migrate: ${(err as Error).message}\n`);
    return 1;
  }
}
