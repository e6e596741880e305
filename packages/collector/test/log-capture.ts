// A real pino logger (createLogger) whose JSON lines are kept in memory, for tests that read logs.
import { createLogger, type Logger, type LogLevel } from '../src';

export interface LogLine {
  level: string;
  time: string;
  msg: string;
  [field: string]: unknown;
}

export function captureLogs(level: LogLevel = 'info'): { logger: Logger; raw: string[]; lines: () => LogLine[] } {
  const raw: string[] = [];
  const logger = createLogger({ level, destination: { write: (line) => void raw.push(line) } });
  return { logger, raw, lines: () => raw.map((line) => JSON.parse(line) as LogLine) };
}
