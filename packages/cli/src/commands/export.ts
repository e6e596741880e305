import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { openStorage, runExport, type ExportKind } from '@spur/collector';
import { parseFlags, UsageError, type Io } from '../io';
import { createProgress } from '../progress';

// The command's names for the exports; the HTTP route names carts `abandoned-carts`.
const KINDS: Record<string, ExportKind> = {
  funnel: 'funnel',
  carts: 'abandoned-carts',
  'abandoned-carts': 'abandoned-carts',
  products: 'products',
  profiles: 'profiles',
  events: 'events',
};

const options = {
  db: { type: 'string' },
  url: { type: 'string' },
  token: { type: 'string' },
  out: { type: 'string', short: 'o' },
  from: { type: 'string' },
  to: { type: 'string' },
  format: { type: 'string' },
  steps: { type: 'string' },
  unit: { type: 'string' },
  window: { type: 'string' },
  by: { type: 'string' },
  'abandon-minutes': { type: 'string' },
  'session-minutes': { type: 'string' },
} as const;

// Flags passed on as export parameters, under the names of the HTTP query string.
const PARAMS = ['from', 'to', 'format', 'steps', 'unit', 'window', 'by'] as const;

/** Where the export goes: stdout, or a file that appears only once it is complete. */
interface Sink {
  write(text: string): Promise<void>;
  done(): Promise<void>;
  abort(): void;
}

function stdoutSink(io: Io): Sink {
  const stream = io.outStream;
  return {
    // A pipe to a slow reader (| gzip, | less) would otherwise buffer the whole export in memory.
    write: (text) =>
      new Promise<void>((resolve) => {
        if (!stream) return resolve(io.out(text));
        if (stream.write(text)) resolve();
        else stream.once('drain', () => resolve());
      }),
    done: async () => undefined,
    abort: () => undefined,
  };
}

// Written next to the target and renamed at the end, so that a failed or interrupted export
// never leaves a truncated file that looks complete.
function fileSink(path: string): Sink {
  const partial = join(dirname(path), `.${basename(path)}.${process.pid}.partial`);
  const stream = createWriteStream(partial);
  let failed: Error | undefined;
  stream.on('error', (err) => (failed = err));
  return {
    write: (text) =>
      new Promise((resolve, reject) => {
        if (failed) return reject(failed);
        if (stream.write(text)) return resolve();
        stream.once('drain', resolve);
      }),
    done: () =>
      new Promise((resolve, reject) => {
        stream.end(() => {
          if (failed) return reject(failed);
          try {
            renameSync(partial, path);
            resolve();
          } catch (err) {
            reject(err);
          }
        });
      }),
    abort() {
      stream.destroy();
      rmSync(partial, { force: true });
    },
  };
}

/** A remote collector's export: GET /v1/exports/<kind> with the admin token, streamed. */
async function remoteExport(url: string, token: string, kind: ExportKind, params: URLSearchParams) {
  const target = `${url.replace(/\/+$/, '')}/v1/exports/${kind}?${params}`;
  let res: Response;
  try {
    res = await fetch(target, { headers: { authorization: `Bearer ${token}` } });
  } catch (err) {
    throw new Error(`cannot reach ${url}: ${((err as Error).cause as Error)?.message ?? (err as Error).message}`);
  }
  if (!res.ok) {
    const text = await res.text();
    let message = text;
    try {
      message = JSON.parse(text).error.message;
    } catch {
      // not the collector's error shape: show the body as it came
    }
    throw Object.assign(new Error(`${url} answered ${res.status}: ${message}`), { status: res.status });
  }
  const total = Number(res.headers.get('x-spur-total-rows') ?? NaN);
  const body = res.body as unknown as AsyncIterable<Uint8Array>;
  async function* chunks() {
    const decoder = new TextDecoder();
    for await (const chunk of body) {
      const text = decoder.decode(chunk, { stream: true });
      if (text) yield text;
    }
    const rest = decoder.decode();
    if (rest) yield rest;
  }
  return { chunks: chunks(), totalRows: Number.isFinite(total) ? total : undefined };
}

/**
 * `spur export funnel|carts|products|profiles|events`: the admin API's exports, read from the
 * database file directly (SPUR_DB / --db) or from a running collector (--url and --token).
 */
export async function exportCommand(args: string[], io: Io): Promise<number> {
  const parsed = parseFlags(args, options, true);
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError(`expected one of ${Object.keys(KINDS).join(', ')}`);
  const kind = KINDS[positionals[0]];
  if (!kind) throw new UsageError(`unknown export '${positionals[0]}': expected one of ${Object.keys(KINDS).join(', ')}`);

  const params = new URLSearchParams();
  for (const name of PARAMS) if (values[name] !== undefined) params.set(name, values[name]!);
  const url = values.url ?? io.env.SPUR_URL;
  const token = values.token ?? io.env.SPUR_ADMIN_TOKEN;
  if (values.url && values.db) throw new UsageError('give --db or --url, not both');

  let chunks: AsyncIterable<string>;
  let total: number | undefined;
  let close = async () => undefined as void;
  if (url && !values.db) {
    if (!token) throw new UsageError('--url needs the admin token: --token or SPUR_ADMIN_TOKEN');
    try {
      ({ chunks, totalRows: total } = await remoteExport(url, token, kind, params));
    } catch (err) {
      io.err(`spur export: ${(err as Error).message}\n`);
      return 1;
    }
  } else {
    const db = values.db ?? io.env.SPUR_DB ?? './data/spur.db';
    const storage = await openStorage({ db });
    close = () => storage.close();
    const minutes = (flag: 'abandon-minutes' | 'session-minutes', env: string) => {
      const text = values[flag] ?? io.env[env];
      if (text === undefined) return undefined;
      if (!/^[1-9]\d{0,6}$/.test(text)) throw new UsageError(`--${flag} / ${env} must be a positive number of minutes`);
      return Number(text);
    };
    try {
      const output = await runExport(storage, kind, Object.fromEntries(params), {
        abandonMinutes: minutes('abandon-minutes', 'SPUR_ABANDON_MINUTES'),
        sessionMinutes: minutes('session-minutes', 'SPUR_SESSION_MINUTES'),
      });
      chunks = output.chunks;
      total = output.totalRows;
    } catch (err) {
      await close();
      if ((err as { status?: number }).status === 400) throw new UsageError((err as Error).message);
      throw err;
    }
  }

  const sink = values.out ? fileSink(values.out) : stdoutSink(io);
  const progress = createProgress(io, total);
  try {
    for await (const text of chunks) {
      await sink.write(text);
      progress.add(text);
    }
    await sink.done();
  } catch (err) {
    sink.abort();
    progress.end();
    await close();
    if ((err as { status?: number }).status === 400) throw new UsageError((err as Error).message);
    io.err(`spur export: ${(err as Error).message}\n`);
    return 1;
  }
  progress.end();
  await close();
  if (values.out) io.err(`spur export: wrote ${progress.summary()} to ${values.out}\n`);
  return 0;
}
