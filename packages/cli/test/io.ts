// An Io that records what a command writes, for running commands in-process.
import type { Io } from '@spur/cli';

export function captureIo(env: NodeJS.ProcessEnv = {}, errIsTTY = false): Io & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    env,
    errIsTTY,
    out(text: string) {
      io.stdout += text;
    },
    err(text: string) {
      io.stderr += text;
    },
    onShutdown: () => () => undefined,
  };
  return io;
}
