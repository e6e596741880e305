import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DEFAULT_SUPPRESS_DAYS, subjectAccess, subjectErasure, type Storage, type SubjectErasure } from '@spur/collector';
import { openDatabase, parseFlags, UsageError, type Io } from '../io';

const options = {
  db: { type: 'string' },
  url: { type: 'string' },
  token: { type: 'string' },
  out: { type: 'string', short: 'o' },
  yes: { type: 'boolean' },
  'suppress-days': { type: 'string' },
} as const;

/** A failure to report with exit code 1 (unknown subject, unreachable collector, ...). */
class Failure extends Error {}

/** Where the collector (or the database) is: a running collector, or the file. */
type Target = { url: string; token: string } | { db: string };

function target(values: { db?: string; url?: string; token?: string }, io: Io): Target {
  if (values.url && values.db) throw new UsageError('give --db or --url, not both');
  const url = values.url ?? io.env.SPUR_URL;
  if (url && !values.db) {
    const token = values.token ?? io.env.SPUR_ADMIN_TOKEN;
    if (!token) throw new UsageError('--url needs the admin token: --token or SPUR_ADMIN_TOKEN');
    return { url: url.replace(/\/+$/, ''), token };
  }
  return { db: values.db ?? io.env.SPUR_DATABASE_URL ?? io.env.SPUR_DB ?? './data/spur.db' };
}

// A request to a running collector; its JSON error becomes the message of a Failure.
async function call(t: { url: string; token: string }, method: 'GET' | 'DELETE', id: string): Promise<Response> {
  let res: Response;
  try {
    const headers = { authorization: `Bearer ${t.token}` };
    res = await fetch(`${t.url}/v1/privacy/subjects/${encodeURIComponent(id)}`, { method, headers });
  } catch (err) {
    throw new Failure(`cannot reach ${t.url}: ${((err as Error).cause as Error)?.message ?? (err as Error).message}`);
  }
  if (res.ok) return res;
  const text = await res.text();
  let message = text;
  try {
    message = JSON.parse(text).error.message;
  } catch {
    // not the collector's error shape: show the body as it came
  }
  throw new Failure(`${t.url} answered ${res.status}: ${message}`);
}

// The collector's 404 / 409 (HttpError) are failures to report, not crashes. The file is never
// created: a typo in --db must not answer "unknown subject" (openDatabase).
async function local<T>(db: string, work: (storage: Storage) => Promise<T>): Promise<T> {
  const storage = await openDatabase(db);
  try {
    return await work(storage);
  } catch (err) {
    if (typeof (err as { status?: unknown }).status === 'number') throw new Failure((err as Error).message);
    throw err;
  } finally {
    await storage.close();
  }
}

/** Writes the pieces to stdout, or to a file that appears only once it is complete. */
async function write(chunks: AsyncIterable<string>, out: string | undefined, io: Io): Promise<void> {
  if (!out) {
    for await (const text of chunks) {
      const stream = io.outStream;
      if (!stream) io.out(text);
      else if (!stream.write(text)) await new Promise((resolve) => stream.once('drain', resolve));
    }
    return;
  }
  const partial = join(dirname(out), `.${basename(out)}.${process.pid}.partial`);
  const stream = createWriteStream(partial);
  let failed: Error | undefined;
  stream.on('error', (err) => (failed = err));
  try {
    for await (const text of chunks) {
      if (failed) throw failed;
      if (!stream.write(text)) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
    }
    await new Promise<void>((resolve) => stream.end(() => resolve()));
    if (failed) throw failed;
    renameSync(partial, out);
  } catch (err) {
    stream.destroy();
    rmSync(partial, { force: true });
    throw err;
  }
}

async function exportSubject(id: string, t: Target, out: string | undefined, io: Io): Promise<void> {
  if ('url' in t) {
    const res = await call(t, 'GET', id);
    const body = res.body as unknown as AsyncIterable<Uint8Array>;
    const decoder = new TextDecoder();
    async function* chunks() {
      for await (const chunk of body) yield decoder.decode(chunk, { stream: true });
      yield decoder.decode();
    }
    await write(chunks(), out, io);
  } else {
    await local(t.db, async (storage) => write((await subjectAccess(storage, id)).chunks, out, io));
  }
  if (out) io.err(`spur privacy: wrote everything stored about ${JSON.stringify(id)} to ${out}\n`);
}

async function eraseSubject(id: string, t: Target, suppressDays: number | undefined, io: Io): Promise<void> {
  const answer: SubjectErasure =
    'url' in t
      ? ((await (await call(t, 'DELETE', id)).json()) as SubjectErasure)
      : await local(t.db, (storage) => subjectErasure(storage, id, { suppressDays }));
  io.out(`${JSON.stringify(answer, null, 2)}\n`);
  const until = answer.suppressedUntil ? `; events carrying its ids are dropped until ${answer.suppressedUntil}` : '';
  io.err(`spur privacy: erased ${JSON.stringify(id)}${until}\n`);
}

/**
 * `spur privacy export|erase <customerId>`: a data subject's access or erasure request, against
 * the database file (SPUR_DB / --db) or a running collector (--url and --token).
 */
export async function privacy(args: string[], io: Io): Promise<number> {
  const parsed = parseFlags(args, options, true);
  const { values, positionals } = parsed;
  const [action, id, ...rest] = positionals;
  if (action !== 'export' && action !== 'erase') throw new UsageError('expected export or erase, then a customer id');
  if (!id || rest.length) throw new UsageError(`expected one customer id after ${action}`);
  const t = target(values, io);
  if (action === 'erase') {
    if (values.out) throw new UsageError('--out is for export');
    // Erasure cannot be undone: it is never the default of a command typed by accident.
    if (!values.yes) throw new UsageError(`erasing ${JSON.stringify(id)} cannot be undone: add --yes to go ahead`);
  } else if (values.yes || values['suppress-days'] !== undefined) {
    throw new UsageError('--yes and --suppress-days are for erase');
  }
  const text = values['suppress-days'] ?? io.env.SPUR_SUPPRESS_DAYS;
  if (text !== undefined && !/^\d{1,5}$/.test(text)) {
    throw new UsageError('--suppress-days / SPUR_SUPPRESS_DAYS must be a whole number of days');
  }
  if ('url' in t && values['suppress-days'] !== undefined) {
    throw new UsageError('--suppress-days applies to --db; the collector uses its own setting');
  }
  try {
    if (action === 'export') await exportSubject(id, t, values.out, io);
    else await eraseSubject(id, t, text === undefined ? DEFAULT_SUPPRESS_DAYS : Number(text), io);
  } catch (err) {
    if (!(err instanceof Failure)) throw err;
    io.err(`spur privacy: ${err.message}\n`);
    return 1;
  }
  return 0;
}
