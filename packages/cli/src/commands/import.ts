import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ImportSummary } from '@spur/collector';
import { parseFlags, UsageError, type Io } from '../io';
import { createImportProgress } from '../import-progress';

export const IMPORT_HELP = `Usage: spur import orders FILE.csv [options]

Imports offline orders (phone, fax, store, email, marketplace, ...) from a CSV with one
row per line item and the columns

  order_id, customer_id, email, phone, date, channel, sku, name, quantity, price, currency

(order_id, date, channel, sku, quantity, price and currency required). The rows of one
order_id become one Order Completed with its products; context.channel is the row's
channel. A customer is matched by customer_id, else by the email (trimmed, any case) or
phone (E.164) that a known customer's identify traits carry; an order without a match
counts as a customer of its own. Importing a file again stores nothing twice. Bad rows
are named by line and reason and kept among the rejected events; the good orders are
imported all the same.

Options:
  --map COLUMN=HEADER,...  the file's names of the columns, e.g. order_id=BelegNr,date=Datum
  --country CC             read national phone numbers (no + or 00) as numbers of this
                           country (e.g. DE); without it a number needs a leading +
  --time-zone ZONE         dates without a time are midnight there [SPUR_TIME_ZONE] (UTC)
  --dry-run                check, match and count, store nothing
  --db FILE|URL            the store [SPUR_DATABASE_URL, SPUR_DB] (default ./data/spur.db)
  --collector URL          import through a running collector (POST /v1/import/orders)
  --token TOKEN            its admin token [SPUR_ADMIN_TOKEN]

A collector running on the same store picks the orders up as they are committed.

Exit codes: 0 every row imported (or stored before), 1 some rows bad, 2 nothing usable
(no good order, a wrong header or --map, a usage error).
`;

const options = {
  map: { type: 'string' },
  country: { type: 'string' },
  'time-zone': { type: 'string' },
  'dry-run': { type: 'boolean' },
  db: { type: 'string' },
  collector: { type: 'string' },
  token: { type: 'string' },
} as const;

/** A failure to report with exit code 2 (unreachable collector, a file it refused, ...). */
class Failure extends Error {}

// Through a running collector: the file streamed as the request's body.
async function remote(url: string, token: string, file: string, query: URLSearchParams): Promise<ImportSummary> {
  let res: Response;
  try {
    const body = createReadStream(file);
    res = await fetch(`${url.replace(/\/+$/, '')}/v1/import/orders?${query}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv', 'content-length': String((await stat(file)).size) },
      body: body as unknown as ReadableStream,
      duplex: 'half',
    } as RequestInit);
  } catch (err) {
    throw new Failure(`cannot reach ${url}: ${((err as Error).cause as Error)?.message ?? (err as Error).message}`);
  }
  const text = await res.text();
  if (res.ok) return JSON.parse(text) as ImportSummary;
  let message = text;
  try {
    message = JSON.parse(text).error.message;
  } catch {
    // not the collector's error shape: show the body as it came
  }
  throw new Failure(`${url} answered ${res.status}: ${message}`);
}

/**
 * `spur import orders FILE.csv`: offline orders into the store (SPUR_DATABASE_URL / SPUR_DB /
 * --db), or through a running collector (--collector URL --token TOKEN).
 */
export async function importCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags(args, options, true);
  const [what, file, ...extra] = positionals;
  if (what !== 'orders') throw new UsageError(what === undefined ? 'say what to import: spur import orders FILE.csv' : `cannot import ${JSON.stringify(what)}: only orders`);
  if (!file) throw new UsageError('name the CSV file: spur import orders FILE.csv');
  if (extra.length) throw new UsageError(`one file at a time (got ${positionals.slice(1).join(', ')})`);
  const { checkCountry, exitStatus, importOrders, ImportFileError, summaryText } = await import('@spur/collector');
  let country: string | undefined;
  try {
    country = checkCountry(values.country);
  } catch (err) {
    throw new UsageError(`--${(err as Error).message}`);
  }
  try {
    await stat(file);
  } catch {
    throw new UsageError(`no file at ${file}`);
  }
  let summary: ImportSummary;
  try {
    if (values.collector) {
      if (values.db) throw new UsageError('give --db or --collector, not both');
      const token = values.token ?? io.env.SPUR_ADMIN_TOKEN;
      if (!token) throw new UsageError('--collector needs the admin token: --token or SPUR_ADMIN_TOKEN');
      if (values['time-zone']) throw new UsageError('--time-zone applies to --db; the collector uses its own setting');
      const query = new URLSearchParams();
      if (values.map) query.set('map', values.map);
      if (country) query.set('country', country);
      if (values['dry-run']) query.set('dryRun', 'true');
      summary = await remote(values.collector, token, file, query);
    } else {
      const { parseTimeZone } = await import('@spur/collector/settings');
      let timeZone: string;
      try {
        timeZone = parseTimeZone(values['time-zone'] ?? io.env.SPUR_TIME_ZONE ?? 'UTC', '--time-zone / SPUR_TIME_ZONE');
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      const { createStore, openStorage } = await import('@spur/collector');
      const storage = createStore(await openStorage({ db: values.db ?? io.env.SPUR_DATABASE_URL ?? io.env.SPUR_DB ?? './data/spur.db' }));
      const progress = createImportProgress(io);
      try {
        summary = await importOrders(createReadStream(file), { store: storage, timeZone, country, columnMap: values.map, dryRun: values['dry-run'], onProgress: progress.update });
      } finally {
        progress.end();
        await storage.close();
      }
    }
  } catch (err) {
    if (err instanceof ImportFileError || err instanceof Failure) {
      io.err(`spur import: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  io.out(summaryText(summary));
  return exitStatus(summary);
}
