import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ALL_EXPORT_PARAMETERS, checkExportParameters, runExport, WARNINGS_HEADER, type ExportKind } from '@spur/collector';
import { openDatabase, parseFlags, UsageError, type Io } from '../io';
import { createProgress } from '../progress';

// The command's names for the exports; the HTTP route names carts `abandoned-carts`.
const KINDS: Record<string, ExportKind> = {
  funnel: 'funnel',
  carts: 'abandoned-carts',
  'abandoned-carts': 'abandoned-carts',
  'cart-reasons': 'cart-reasons',
  reasons: 'cart-reasons',
  products: 'products',
  'products-together': 'products-together',
  customers: 'customers',
  profiles: 'profiles',
  segments: 'segments',
  history: 'history',
  events: 'events',
  overview: 'overview',
  steps: 'steps',
};

// The command's own options; the export parameters come from the collector's table
// (EXPORT_PARAMETERS), so that the command takes exactly what the HTTP API takes.
const COMMAND_OPTIONS = {
  db: { type: 'string' },
  url: { type: 'string' },
  token: { type: 'string' },
  out: { type: 'string', short: 'o' },
  'abandon-minutes': { type: 'string' },
  'session-minutes': { type: 'string' },
  'time-zone': { type: 'string' },
} as const;

const options = {
  ...Object.fromEntries(ALL_EXPORT_PARAMETERS.map((name) => [name, { type: 'string' }])),
  ...COMMAND_OPTIONS,
} as Record<string, { type: 'string'; short?: string }>;

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
  const warnings = parseWarnings(res.headers.get(WARNINGS_HEADER));
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
  return { chunks: chunks(), totalRows: Number.isFinite(total) ? total : undefined, warnings };
}

// The collector's warnings header: a JSON array of strings (shown as it came if it is not one).
function parseWarnings(header: string | null): string[] {
  if (header === null) return [];
  try {
    const list: unknown = JSON.parse(header);
    if (Array.isArray(list)) return list.map(String);
  } catch {
    // fall through: not JSON
  }
  return [header];
}

/**
 * `spur export funnel|carts|products|products-together|customers|profiles|segments|history|events`: the admin API's exports, read from the
 * database file directly (SPUR_DB / --db) or from a running collector (--url and --token).
 */
export async function exportCommand(args: string[], io: Io): Promise<number> {
  const parsed = parseFlags(args, options, true);
  const { positionals } = parsed;
  const values = parsed.values as Record<string, string | undefined>;
  if (positionals.length !== 1) throw new UsageError(`expected one of ${Object.keys(KINDS).join(', ')}`);
  const kind = KINDS[positionals[0]];
  if (!kind) throw new UsageError(`unknown export '${positionals[0]}': expected one of ${Object.keys(KINDS).join(', ')}`);

  const given = ALL_EXPORT_PARAMETERS.filter((name) => values[name] !== undefined);
  try {
    checkExportParameters(kind, given, (name) => `--${name}`);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const params = new URLSearchParams();
  for (const name of given) params.set(name, values[name]!);
  const url = values.url ?? io.env.SPUR_URL;
  const token = values.token ?? io.env.SPUR_ADMIN_TOKEN;
  if (values.url && values.db) throw new UsageError('give --db or --url, not both');

  let chunks: AsyncIterable<string>;
  let total: number | undefined;
  let warnings: string[];
  let close = async () => undefined as void;
  if (url && !values.db) {
    if (!token) throw new UsageError('--url needs the admin token: --token or SPUR_ADMIN_TOKEN');
    for (const flag of ['abandon-minutes', 'session-minutes', 'time-zone']) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} applies to --db; the collector uses its own setting`);
    }
    try {
      ({ chunks, totalRows: total, warnings } = await remoteExport(url, token, kind, params));
    } catch (err) {
      io.err(`spur export: ${(err as Error).message}\n`);
      return 1;
    }
  } else {
    const minutes = (flag: 'abandon-minutes' | 'session-minutes', env: string) => {
      const text = values[flag] ?? io.env[env];
      if (text === undefined) return undefined;
      if (!/^[1-9]\d{0,6}$/.test(text)) throw new UsageError(`--${flag} / ${env} must be a positive number of minutes`);
      return Number(text);
    };
    const abandonMinutes = minutes('abandon-minutes', 'SPUR_ABANDON_MINUTES');
    const sessionMinutes = minutes('session-minutes', 'SPUR_SESSION_MINUTES');
    // The shop's time zone, as the collector reads it: a date without a time is midnight there.
    let timeZone: string | undefined;
    const zone = values['time-zone'] ?? io.env.SPUR_TIME_ZONE;
    if (zone !== undefined && zone !== '') {
      const { parseTimeZone } = await import('@spur/collector/settings');
      try {
        timeZone = parseTimeZone(zone, '--time-zone / SPUR_TIME_ZONE');
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
    }
    const storage = await openDatabase(values.db ?? io.env.SPUR_DATABASE_URL ?? io.env.SPUR_DB ?? './data/spur.db');
    close = () => storage.close();
    try {
      const output = await runExport(storage, kind, Object.fromEntries(params), { abandonMinutes, sessionMinutes, timeZone });
      ({ chunks, totalRows: total, warnings } = output);
    } catch (err) {
      await close();
      if ((err as { status?: number }).status === 400) throw new UsageError((err as Error).message);
      // An unknown customer's history: said as the API says it (404), exit 1.
      if ((err as { status?: number }).status === 404) {
        io.err(`spur export: ${(err as Error).message}\n`);
        return 1;
      }
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
  // Last, where they are seen: the export is complete, but maybe not what was meant.
  for (const warning of warnings) io.err(`spur export: warning: ${warning}\n`);
  return 0;
}
