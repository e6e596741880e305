/** Where a command writes and which signals it listens to; injectable so tests run commands in-process. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  /** Registers a shutdown handler for SIGTERM and SIGINT; returns a function that removes it. */
  onShutdown(handler: (signal: string) => void): () => void;
}

/** A mistake in the command line: reported with a hint at --help and exit code 2. */
export class UsageError extends Error {}

export function defaultIo(): Io {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
    onShutdown(handler) {
      const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
      for (const s of signals) process.on(s, handler);
      return () => {
        for (const s of signals) process.off(s, handler);
      };
    },
  };
}
