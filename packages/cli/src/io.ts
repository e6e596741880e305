import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Storage } from '@spur/collector';
/** Where a command writes and which signals it listens to; injectable so tests run commands in-process. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Where `out` writes, when it is a stream: long outputs wait for it to drain. */
  outStream?: NodeJS.WritableStream;
  /** Whether `err` goes to a terminal (progress displays are drawn only then). */
  errIsTTY?: boolean;
  env: NodeJS.ProcessEnv;
  /** Standard input (passwords for `spur users`): a terminal's is read without echo. @defaultValue none: nothing to read */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?(mode: boolean): unknown };
  /** Registers a shutdown handler for SIGTERM and SIGINT; returns a function that removes it. */
  onShutdown(handler: (signal: string) => void): () => void;
}

/** A mistake in the command line: reported with a hint at --help and exit code 2. */
export class UsageError extends Error {}

export function defaultIo(): Io {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    outStream: process.stdout,
    errIsTTY: process.stderr.isTTY === true,
    env: process.env,
    stdin: process.stdin,
    onShutdown(handler) {
      const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
      for (const s of signals) process.on(s, handler);
      return () => {
        for (const s of signals) process.off(s, handler);
      };
    },
  };
}

/** node:util's parseArgs (strict), with its complaints as UsageErrors (exit code 2). */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>, P extends boolean = false>(
  args: string[],
  options: T,
  allowPositionals?: P,
): ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: P }>> {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: (allowPositionals ?? false) as P });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/**
 * Opens the database file a command reads (export, privacy, purge). It is never created: a
 * missing one (a typo in --db, the wrong folder) is a UsageError naming the path and the
 * setting, where a new, empty database would answer "nothing there".
 */
export async function openDatabase(db: string): Promise<Storage> {
  // Loaded by the commands that open a database, not by `spur --help` (index.ts imports this file).
  const { openStorage } = await import('@spur/collector');
  try {
    return await openStorage({ db, mustExist: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new UsageError(`no database at ${db}: set SPUR_DB or --db to the collector's database file`);
    }
    throw err;
  }
}
