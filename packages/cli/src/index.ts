import { helpText, commandHelp } from './help';
import { exportCommand } from './commands/export';
import { privacy } from './commands/privacy';
import { purge } from './commands/purge';
import { serve } from './commands/serve';
import { simulate } from './commands/simulate';
import { UsageError, type Io, defaultIo } from './io';

export { UsageError } from './io';
export type { Io } from './io';

type Command = (args: string[], io: Io) => Promise<number>;

const commands: Record<string, Command> = { serve, export: exportCommand, simulate, privacy, purge };

/**
 * Runs the `spur` command line and resolves with the exit code.
 * Long-running commands (serve) resolve when they have shut down.
 */
export async function main(argv: string[], io: Io = defaultIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    io.out(topic && commandHelp(topic) ? commandHelp(topic)! : helpText());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    io.out(`${require('../package.json').version}\n`);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    io.err(`spur: unknown command '${name}'\n\n${helpText()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(commandHelp(name)!);
    return 0;
  }
  try {
    return await command(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`spur ${name}: ${err.message}\nRun 'spur ${name} --help' for usage.\n`);
      return 2;
    }
    throw err;
  }
}
