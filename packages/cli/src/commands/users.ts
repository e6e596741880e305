import type { AccountInfo, Storage } from '@spur/collector';
import { parseFlags, UsageError, type Io } from '../io';
import { readPassword } from '../password-input';

const options = {
  db: { type: 'string' },
  'database-url': { type: 'string' },
  role: { type: 'string' },
  'password-stdin': { type: 'boolean' },
} as const;

/**
 * Which store, as `spur serve` chooses it: PostgreSQL when SPUR_DATABASE_URL / --database-url is
 * set (or SPUR_DB / --db is a postgres:// URL), else the SQLite file SPUR_DB / --db; a flag wins
 * over its variable.
 */
function where(values: { db?: string; 'database-url'?: string }, io: Io): { db: string; databaseUrl?: string; shown: string } {
  const databaseUrl = values['database-url'] ?? (io.env.SPUR_DATABASE_URL || undefined);
  const db = values.db ?? (io.env.SPUR_DB || './data/spur.db');
  return { db, ...(databaseUrl !== undefined && { databaseUrl }), shown: databaseUrl ?? db };
}

async function open(target: { db: string; databaseUrl?: string }, mustExist: boolean): Promise<Storage> {
  const { openStorage } = await import('@spur/collector');
  try {
    return await openStorage({ ...target, mustExist });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new UsageError(`no database at ${target.db}: set SPUR_DB or --db to the collector's database file (or SPUR_DATABASE_URL)`);
    }
    throw err;
  }
}

function table(accounts: AccountInfo[]): string {
  if (accounts.length === 0) return 'no accounts yet: add one with spur users add NAME --role admin\n';
  const rows = [['name', 'role', 'created', 'password changed'], ...accounts.map((a) => [a.name, a.role, a.createdAt.slice(0, 16).replace('T', ' '), a.passwordChangedAt.slice(0, 16).replace('T', ' ')])];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()).join('\n') + '\n';
}

/**
 * `spur users add|list|remove|passwd|role`: the dashboard's accounts, in the collector's database
 * (SPUR_DB / --db, or SPUR_DATABASE_URL / --database-url, as `spur serve` opens it).
 */
export async function users(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags(args, options, true);
  const [action, name, ...rest] = positionals;
  const actions = ['add', 'list', 'remove', 'passwd', 'role'];
  if (!actions.includes(action)) throw new UsageError(`expected one of ${actions.join(', ')}`);
  if (action === 'list' ? name !== undefined : !name || rest.length > 0) throw new UsageError(action === 'list' ? 'list takes no name' : `expected one account name after ${action}`);
  if (values.role !== undefined && action !== 'add' && action !== 'role') throw new UsageError('--role is for add and role');
  if (values['password-stdin'] && action !== 'add' && action !== 'passwd') throw new UsageError('--password-stdin is for add and passwd');
  const collector = await import('@spur/collector');
  // Checked before a password is asked for: a typo must not cost typing it twice.
  const checked = name === undefined ? undefined : check(() => collector.checkName(name));
  if (action === 'add' || action === 'role') check(() => collector.checkRole(values.role));
  const target = where(values, io);
  const password = action === 'add' || action === 'passwd' ? await readPassword(io, `Password for ${checked}`, values['password-stdin'] === true) : '';
  if (action === 'add' || action === 'passwd') check(() => collector.checkPassword(password));
  const storage = await open(target, action !== 'add');
  try {
    const now = Date.now();
    switch (action) {
      case 'add': {
        const added = await collector.addAccount(storage.accounts, { name: name!, role: values.role, password, now });
        io.err(`spur users: added ${added.name} (${added.role}) to ${target.shown}\n`);
        break;
      }
      case 'list':
        io.out(table(await collector.listAccounts(storage.accounts)));
        break;
      case 'remove':
        await collector.removeAccount(storage.accounts, name!);
        io.err(`spur users: removed ${checked}; its sessions ended\n`);
        break;
      case 'passwd':
        await collector.changePassword(storage.accounts, { name: name!, password, now });
        io.err(`spur users: new password for ${checked}; its sessions ended (sign in again)\n`);
        break;
      case 'role':
        await collector.changeRole(storage.accounts, { name: name!, role: values.role });
        io.err(`spur users: ${checked} is ${values.role} now\n`);
        break;
    }
  } catch (err) {
    if (!(err instanceof collector.AccountError)) throw err;
    if (err.kind === 'usage') throw new UsageError(err.message);
    io.err(`spur users: ${err.message}\n`);
    return 1;
  } finally {
    await storage.close();
  }
  return 0;
}

function check<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
