import { purgeExpired } from '@spur/collector';
import { openDatabase, parseFlags, UsageError, type Io } from '../io';

const options = {
  db: { type: 'string' },
  'retention-days': { type: 'string' },
  'dry-run': { type: 'boolean' },
} as const;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * `spur purge`: deletes events older than the retention period from the database file, as the
 * collector's daily job does; in small transactions, so a collector on the same file goes on.
 */
export async function purge(args: string[], io: Io): Promise<number> {
  const values = parseFlags(args, options).values;
  const text = values['retention-days'] ?? io.env.SPUR_RETENTION_DAYS;
  if (text === undefined || text.trim() === '') throw new UsageError('no retention period: give --retention-days N or SPUR_RETENTION_DAYS');
  if (!/^\d{1,5}$/.test(text.trim()) || Number(text) < 1) {
    throw new UsageError(`--retention-days / SPUR_RETENTION_DAYS "${text}" must be a whole number of days from 1`);
  }
  const days = Number(text);
  const storage = await openDatabase(values.db ?? io.env.SPUR_DATABASE_URL ?? io.env.SPUR_DB ?? './data/spur.db');
  try {
    const dryRun = values['dry-run'] ?? false;
    const report = await purgeExpired(storage, { days, dryRun });
    const what = `${plural(report.events, 'event')} and ${plural(report.rejectedEvents, 'rejected event')}`;
    io.out(`spur purge: ${dryRun ? 'would purge' : 'purged'} ${what} from before ${report.before} (${plural(days, 'day')})\n`);
  } catch (err) {
    io.err(`spur purge: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await storage.close();
  }
  return 0;
}
