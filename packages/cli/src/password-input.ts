// Reading a new password for `spur users`: from standard input when it is not a terminal (a
// script, a secret manager piping it in) or with --password-stdin, else typed at a terminal
// without echo, twice. Never from an argument, which would stay in the shell's history and show in
// the process list.
import type { Io } from './io';
import { UsageError } from './io';

/** Everything on standard input, without one trailing line break (what `echo` and files add). */
async function readAll(io: Io): Promise<string> {
  const stdin = io.stdin;
  if (!stdin) return '';
  let text = '';
  stdin.setEncoding('utf8');
  for await (const chunk of stdin) text += chunk;
  return text.replace(/\r?\n$/, '');
}

/** One line typed at the terminal with nothing echoed; Ctrl-C and Ctrl-D give up. */
function typeHidden(io: Io, prompt: string): Promise<string> {
  const stdin = io.stdin!;
  io.err(`${prompt}: `);
  stdin.setRawMode?.(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let typed = '';
    const done = (error?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      io.err('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004') return done(new UsageError('no password given'));
        if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
        else if (ch >= ' ') typed += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** The password: from standard input (`fromStdin`, or a stdin that is no terminal), or typed twice. */
export async function readPassword(io: Io, prompt: string, fromStdin: boolean): Promise<string> {
  if (fromStdin || !io.stdin?.isTTY) {
    const password = await readAll(io);
    if (password === '') throw new UsageError('no password on standard input (pipe it in, or run in a terminal to type it)');
    return password;
  }
  const first = await typeHidden(io, prompt);
  const second = await typeHidden(io, 'Again, to be sure');
  if (first !== second) throw new UsageError('the two passwords differ; nothing was changed');
  return first;
}
