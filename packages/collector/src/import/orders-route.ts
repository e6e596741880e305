// POST /v1/import/orders: the order import for uploads (and `spur import orders --collector`).
// The body is the CSV itself (text/csv), streamed to a temporary file up to MAX_IMPORT_BYTES,
// then imported from there: read at the import's pace, the upload of a large file would outlast
// the server's request timeout (60 s), which counts until the body has arrived. The query takes
// the command's options (map, country, dryRun). Mounted behind the admin guard (the admin token,
// or an admin's dashboard session with its CSRF token); the answer is the command's summary.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Router, type Request } from 'express';
import { badRequest, HttpError, payloadTooLarge } from '../errors';
import type { Store } from '../rules/store';
import { importOrders } from './order-import';
import { COUNTRY_CODES } from './contacts';
import { ImportFileError } from './order-rows';

/** The largest CSV one request may upload: some 1.5M line items. A larger file goes in parts. */
export const MAX_IMPORT_BYTES = 128 * 1024 * 1024;

export interface ImportRouteDeps {
  storage: Store;
  now: () => number;
  /** The shop's time zone (dates without a time). */
  timeZone: string;
}

function option(req: Request, name: string): string | undefined {
  const value = req.query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw badRequest(`${name} must be given once`, 'invalid_query');
  return value;
}

/** Checks a country code for national phone numbers; throws a 400 naming the known ones. */
export function checkCountry(country: string | undefined): string | undefined {
  if (country === undefined || Object.hasOwn(COUNTRY_CODES, country.toUpperCase())) return country?.toUpperCase();
  throw badRequest(`country must be one of ${Object.keys(COUNTRY_CODES).join(', ')} (or give phone numbers with a leading +)`, 'invalid_query');
}

// Counts the bytes of the body as they pass and stops the import past the limit.
function limited(max: number): Transform {
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > max) done(payloadTooLarge(`the CSV is larger than ${max / 1024 / 1024} MiB: import it in parts`));
      else done(null, chunk);
    },
  });
}

export function createImportRouter({ storage, now, timeZone }: ImportRouteDeps): Router {
  const router = Router();
  router.post('/v1/import/orders', async (req, res) => {
    if (!req.is('text/csv')) throw new HttpError(415, 'unsupported_media_type', 'send the orders as Content-Type: text/csv');
    const declared = Number(req.get('content-length'));
    if (declared > MAX_IMPORT_BYTES) throw payloadTooLarge(`the CSV is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MiB: import it in parts`);
    const dryRun = option(req, 'dryRun');
    if (dryRun !== undefined && !['true', 'false', '1', '0'].includes(dryRun)) throw badRequest('dryRun must be true or false', 'invalid_query');
    const country = checkCountry(option(req, 'country'));
    const dir = await mkdtemp(join(tmpdir(), 'spur-import-'));
    try {
      const file = join(dir, 'orders.csv');
      await pipeline(req, limited(MAX_IMPORT_BYTES), createWriteStream(file));
      const summary = await importOrders(createReadStream(file), { store: storage, now, timeZone, country, columnMap: option(req, 'map'), dryRun: dryRun === 'true' || dryRun === '1' });
      res.json(summary);
    } catch (err) {
      if (err instanceof ImportFileError) throw badRequest(err.message, 'invalid_import');
      throw err;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  return router;
}
