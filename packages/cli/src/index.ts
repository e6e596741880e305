import { helpText, commandHelp } from './help';
import { UsageError, type Io, defaultIo } from './io';

export { UsageError } from './io';
export type { Io } from './io';

type Command = (args: string[], io: Io) => Promise<number>;

// Each command's module is loaded when that command runs, not before: `spur serve` must not pay
// for Playwright and the journeys (about 0.3 s and 57 MB at every start), nor `spur --help` for
// the collector (the help reads its settings table alone).
const commands: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./commands/serve')).serve,
  export: async () => (await import('./commands/export')).exportCommand,
  insights: async () => (await import('./commands/insights')).insights,
  simulate: async () => (await import('./commands/simulate')).simulate,
  privacy: async () => (await import('./commands/privacy')).privacy,
  purge: async () => (await import('./commands/purge')).purge,
  migrate: async () => (await import('./commands/migrate')).migrate,
  users: async () => (await import('./commands/users')).users,
  import: async () => (await import('./commands/import')).importCommand,
  webhooks: async () => (await import('./commands/webhooks')).webhooks,
};

/**
 * Runs the `spur` command line and resolves with the exit code.
 * Long-running commands (serve) resolve when they have shut down.
 */
export async function main(argv: string[], io: Io = defaultIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    const text = topic === undefined ? undefined : await commandHelp(topic);
    io.out(text ?? helpText());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    io.out(`${require('../package.json').version}\n`);
    return 0;
  }
  const load = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!load) {
    io.err(`spur: unknown command '${name}'\n\n${helpText()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out((await commandHelp(name))!);
    return 0;
  }
  const command = await load();
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
