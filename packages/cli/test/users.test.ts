// `spur users`: the dashboard's accounts in the collector's database (a real SQLite file, and
// PostgreSQL through SPUR_DATABASE_URL), the password from standard input or typed at a terminal.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { openStorage } from '@spur/collector';
import { main } from '@spur/cli';
import { verifyPassword } from '../../collector/src/accounts/passwords';
import { describePostgres } from '../../collector/test/postgres/server';
import { BIN } from '../../collector/test/spur-process';
import { captureIo } from './io';

jest.setTimeout(60_000);

const PASSWORD = 'correct horse battery staple';

/** An Io whose standard input is `text` (a pipe: not a terminal). */
function piped(env: NodeJS.ProcessEnv, text: string) {
  return Object.assign(captureIo(env), { stdin: Readable.from([text]) });
}

async function hashOf(env: { db: string; databaseUrl?: string }, name: string): Promise<string | undefined> {
  const storage = await openStorage(env);
  try {
    return (await storage.accounts.account(name))?.passwordHash;
  } finally {
    await storage.close();
  }
}

let dir: string;
let db: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'spur-users-'));
  db = join(dir, 'spur.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('spur users (SQLite)', () => {
  it('adds an account with the password from a pipe (one trailing line break dropped), lists it, changes it, removes it', async () => {
    const add = piped({ SPUR_DB: db }, `${PASSWORD}\n`);
    expect(await main(['users', 'add', 'Ada', '--role', 'admin'], add)).toBe(0);
    expect(add.stderr).toBe(`spur users: added ada (admin) to ${db}\n`);
    expect((await verifyPassword(PASSWORD, (await hashOf({ db }, 'ada'))!)).ok).toBe(true);

    expect(await main(['users', 'add', 'bob', '--role', 'viewer', '--password-stdin', '--db', db], piped({}, 'another long password'))).toBe(0);
    const list = captureIo({ SPUR_DB: db });
    expect(await main(['users', 'list'], list)).toBe(0);
    expect(list.stdout).toMatch(/^name +role +created +password changed\nada +admin +\d{4}-\d\d-\d\d \d\d:\d\d +\d{4}-\d\d-\d\d \d\d:\d\d\nbob +viewer +/);
    expect(list.stdout).not.toContain('scrypt');

    expect(await main(['users', 'passwd', 'ada'], piped({ SPUR_DB: db }, 'a brand new password\r\n'))).toBe(0);
    expect((await verifyPassword('a brand new password', (await hashOf({ db }, 'ada'))!)).ok).toBe(true);
    expect(await main(['users', 'role', 'bob', '--role', 'admin'], captureIo({ SPUR_DB: db }))).toBe(0);
    const removed = captureIo({ SPUR_DB: db });
    expect(await main(['users', 'remove', 'ada'], removed)).toBe(0);
    expect(removed.stderr).toBe('spur users: removed ada; its sessions ended\n');
    const after = captureIo({ SPUR_DB: db });
    await main(['users', 'list'], after);
    expect(after.stdout).toMatch(/^name +role.*\nbob +admin +/);
    expect(after.stdout).not.toContain('ada');
  });

  it('refuses a taken name and an unknown account with exit 1, changing nothing', async () => {
    await main(['users', 'add', 'ada', '--role', 'admin'], piped({ SPUR_DB: db }, PASSWORD));
    const before = await hashOf({ db }, 'ada');
    const taken = piped({ SPUR_DB: db }, 'yet another password');
    expect(await main(['users', 'add', 'ADA', '--role', 'viewer'], taken)).toBe(1);
    expect(taken.stderr).toBe('spur users: there is an account named ada already (spur users passwd or role change it)\n');
    expect(await hashOf({ db }, 'ada')).toBe(before);
    for (const args of [['remove', 'nobody'], ['role', 'nobody', '--role', 'admin']]) {
      const io = captureIo({ SPUR_DB: db });
      expect(await main(['users', ...args], io)).toBe(1);
      expect(io.stderr).toBe('spur users: there is no account named nobody\n');
    }
    expect(await main(['users', 'passwd', 'nobody'], piped({ SPUR_DB: db }, 'a long enough password'))).toBe(1);
  });

  it.each([
    [['add', 'ada'], PASSWORD, 'a role is needed: --role viewer|admin'],
    [['add', 'ada', '--role', 'owner'], PASSWORD, 'role must be viewer or admin (got "owner")'],
    [['add', 'a b', '--role', 'admin'], PASSWORD, 'invalid name "a b": 1 to 64 letters'],
    [['add', 'ada', '--role', 'admin'], 'short', 'a password needs at least 12 characters (got 5)'],
    [['add', 'ada', '--role', 'admin'], '', 'no password on standard input'],
    [['add'], PASSWORD, 'expected one account name after add'],
    [['list', 'ada'], '', 'list takes no name'],
    [['remove', 'ada', '--role', 'admin'], '', '--role is for add and role'],
    [['shout'], '', 'expected one of add, list, remove, passwd, role'],
  ])('spur users %j is a usage error', async (args, input, message) => {
    const io = piped({ SPUR_DB: db }, input);
    expect(await main(['users', ...args], io)).toBe(2);
    expect(io.stderr).toContain(`spur users: ${message}`);
  });

  it('creates no database to list, change or remove accounts in (a typo in --db), only to add one', async () => {
    const io = captureIo({ SPUR_DB: join(dir, 'typo.db') });
    expect(await main(['users', 'list'], io)).toBe(2);
    expect(io.stderr).toContain(`no database at ${join(dir, 'typo.db')}`);
  });

  it('asks for the password twice without echo at a terminal', async () => {
    // `script` gives the command a terminal of its own; what it types arrives as a user's keys.
    const child = spawn('script', ['-qec', `${process.execPath} ${BIN} users add ada --role viewer`, '/dev/null'], {
      env: { ...process.env, SPUR_DB: db },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    const waitFor = async (text: string) => {
      for (let i = 0; i < 200 && !output.includes(text); i++) await new Promise((r) => setTimeout(r, 50));
      if (!output.includes(text)) throw new Error(`no "${text}" in ${JSON.stringify(output)}`);
    };
    await waitFor('Password for ada: ');
    child.stdin.write('typed secret 1234\r');
    await waitFor('Again, to be sure: ');
    child.stdin.write('typed secret 1234\r');
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(output).toContain(`spur users: added ada (viewer) to ${db}`);
    expect(output).not.toContain('typed secret');
    expect((await verifyPassword('typed secret 1234', (await hashOf({ db }, 'ada'))!)).ok).toBe(true);
  });
});

describePostgres('spur users (PostgreSQL)', (pg) => {
  it('keeps accounts in the database SPUR_DATABASE_URL names, as spur serve would open it', async () => {
    const url = await pg.fresh();
    expect(await main(['users', 'add', 'ada', '--role', 'admin'], piped({ SPUR_DATABASE_URL: url, SPUR_DB: db }, PASSWORD))).toBe(0);
    expect((await verifyPassword(PASSWORD, (await hashOf({ db: 'unused', databaseUrl: url }, 'ada'))!)).ok).toBe(true);
    const list = captureIo({ SPUR_DATABASE_URL: url });
    expect(await main(['users', 'list'], list)).toBe(0);
    expect(list.stdout).toMatch(/\nada +admin /);
    expect(await main(['users', 'remove', 'ada', '--database-url', url], captureIo({}))).toBe(0);
  });
});
