// Structured logs. The collector writes to a Logger: a pino logger fits it as it is, and the
// silent default keeps tests and embedding shops quiet. `spur serve` and the demo create theirs
// with createLogger: one JSON line per event, the level by name, an ISO time.
import type { Request } from 'express';
import pino from 'pino';
import type { LogLevel } from './settings';

export { LOG_LEVELS, type LogLevel } from './settings';

/** One level's method: the fields of the line and its message. */
export type LogMethod = (fields: Record<string, unknown>, message: string) => void;

/**
 * Where the collector logs. pino's Logger satisfies it; so does any object with these methods.
 * Nothing is logged per request at info level: ingest stays as fast with logs as without.
 */
export interface Logger {
  fatal: LogMethod;
  error: LogMethod;
  warn: LogMethod;
  info: LogMethod;
  debug: LogMethod;
  trace: LogMethod;
  /** Whether lines of `level` are written; detail only debug wants (stacks) is skipped otherwise. */
  isLevelEnabled(level: LogLevel): boolean;
}

const ignore: LogMethod = () => undefined;

/** Logs nothing: the default of createCollector (tests, a shop that brings no logger). */
export const silentLogger: Logger = {
  fatal: ignore,
  error: ignore,
  warn: ignore,
  info: ignore,
  debug: ignore,
  trace: ignore,
  isLevelEnabled: () => false,
};

export interface LoggerOptions {
  /** @defaultValue 'info' */
  level?: LogLevel;
  /** Where the lines go, one write per line. @defaultValue stdout, written synchronously */
  destination?: { write(line: string): void };
}

/**
 * A pino logger writing JSON lines such as
 * `{"level":"warn","time":"2026-11-23T10:00:00.000Z","pid":42,"msg":"ingest rejected",…}`.
 * Synchronous: the last lines before an exit are never lost.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Names read better than pino's numbers (30, 40) for whoever greps the lines.
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/**
 * An error as log fields: its type, message and code (a storage failure's reason too), and the
 * stack only when asked for (unexpected errors, or the debug level).
 */
export function errorFields(err: unknown, stack: boolean): { error: Record<string, unknown> } {
  if (!(err instanceof Error)) return { error: { message: String(err) } };
  const { code, reason } = err as { code?: unknown; reason?: unknown };
  // Not under `err`: pino's serializer for that key would add an empty stack to every line.
  return {
    error: {
      type: err.name,
      message: err.message,
      ...(code !== undefined && { code }),
      ...(reason !== undefined && { reason }),
      ...(stack && err.stack !== undefined && { stack: err.stack }),
    },
  };
}

/** The fields that say which request a line is about. */
export type RequestFields = {
  requestId: string | undefined;
  method: string;
  path: string;
};

export function requestFields(req: Request, requestId: string | undefined): RequestFields {
  // originalUrl: the path as the client sent it, also when the collector is mounted under a prefix.
  const url = req.originalUrl ?? req.url;
  const query = url.indexOf('?');
  return { requestId, method: req.method, path: clip(query === -1 ? url : url.slice(0, query)) };
}

/** Client-sent text in a log line, cut to a length that keeps lines readable and small. */
export function clip(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
