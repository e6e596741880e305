// Managing the dashboard's accounts (`spur users add|list|remove|passwd|role`): the rules for names,
// roles and passwords, over any storage backend. Errors are AccountErrors whose message says what
// to change; nothing is written when one is thrown.
import { ROLES, type AccountRow, type AccountStorage, type Role } from '../storage/accounts';
import { hashPassword, passwordProblem } from './passwords';
import { normalizeName } from './sign-in';

/** A refused account change: the message is for the person who typed the command. */
export class AccountError extends Error {
  constructor(
    message: string,
    /** 'usage': the input is wrong; 'missing': no such account; 'exists': the name is taken. */
    readonly kind: 'usage' | 'missing' | 'exists',
  ) {
    super(message);
    this.name = 'AccountError';
  }
}

/**
 * Names: 1 to 64 characters of lower-case letters, digits and `. _ - @` (an email address fits),
 * starting with a letter or digit. Typed in any case; kept lower-case, so `Ada` and `ada` are one.
 */
const NAME = /^[a-z0-9][a-z0-9._@-]{0,63}$/;

export function checkName(text: string): string {
  const name = normalizeName(text);
  if (!NAME.test(name)) {
    throw new AccountError(`invalid name ${JSON.stringify(text)}: 1 to 64 letters, digits, '.', '_', '-' or '@', starting with a letter or digit`, 'usage');
  }
  return name;
}

export function checkRole(text: string | undefined): Role {
  if (text === undefined) throw new AccountError(`a role is needed: --role ${ROLES.join('|')}`, 'usage');
  if (!(ROLES as readonly string[]).includes(text)) throw new AccountError(`role must be ${ROLES.join(' or ')} (got ${JSON.stringify(text)})`, 'usage');
  return text as Role;
}

export function checkPassword(password: string): void {
  const problem = passwordProblem(password);
  if (problem) throw new AccountError(problem, 'usage');
}

/** An account as listed: everything but the hash. */
export type AccountInfo = Omit<AccountRow, 'passwordHash'>;

const info = ({ passwordHash: _hash, ...rest }: AccountRow): AccountInfo => rest;

export async function addAccount(accounts: AccountStorage, input: { name: string; role: string | undefined; password: string; now: number }): Promise<AccountInfo> {
  const name = checkName(input.name);
  const role = checkRole(input.role);
  checkPassword(input.password);
  const at = new Date(input.now).toISOString();
  const row: AccountRow = { name, role, passwordHash: await hashPassword(input.password), createdAt: at, passwordChangedAt: at };
  if (!(await accounts.addAccount(row))) throw new AccountError(`there is an account named ${name} already (spur users passwd or role change it)`, 'exists');
  return info(row);
}

export async function listAccounts(accounts: AccountStorage): Promise<AccountInfo[]> {
  return (await accounts.accounts()).map(info);
}

const missing = (name: string) => new AccountError(`there is no account named ${name}`, 'missing');

/** Sets a new password; the account's sessions end (every browser signs in again). */
export async function changePassword(accounts: AccountStorage, input: { name: string; password: string; now: number }): Promise<void> {
  const name = checkName(input.name);
  checkPassword(input.password);
  if (!(await accounts.setPassword(name, await hashPassword(input.password), new Date(input.now).toISOString()))) throw missing(name);
}

export async function changeRole(accounts: AccountStorage, input: { name: string; role: string | undefined }): Promise<void> {
  const name = checkName(input.name);
  if (!(await accounts.setRole(name, checkRole(input.role)))) throw missing(name);
}

/** Removes the account and ends its sessions at once. */
export async function removeAccount(accounts: AccountStorage, text: string): Promise<void> {
  const name = checkName(text);
  if (!(await accounts.removeAccount(name))) throw missing(name);
}
