// Signing in: the limits on failed attempts, the password check, the session. One answer for an
// unknown name and a wrong password (the same message and status, and the same time: a name with
// no account still costs a full scrypt), so the page tells nobody which names exist.
//
// Limits, counted in the database so that every collector behind a balancer shares them, over a
// sliding window of FAILURE_WINDOW_MS (15 minutes):
//  - per account name: ACCOUNT_FAILURES (10) failed attempts; then the name is refused (429) until
//    the oldest of them is 15 minutes old, whatever the password, from any address. A successful
//    sign-in forgets the name's failures. Names without an account are counted the same way, or the
//    limit itself would tell which names exist.
//  - per client address (an IPv6 address by its /64): ADDRESS_FAILURES (30) failed attempts, for
//    an office whose people share one address; then that address is refused likewise.
// Refused attempts are not checked (the password is not even hashed) and do not count again. Keys
// are SHA-256 hashes of the name and the address, so the table never holds what someone typed as a
// name (a password in the wrong field) nor an address in the clear; rows older than the window are
// deleted with the next failure.
import { createHash } from 'node:crypto';
import { clientKey, retryAfterSeconds } from '../rate-limit';
import type { AccountStorage, Role } from '../storage/accounts';
import { burn, hashPassword, verifyPassword } from './passwords';
import { startSession } from './sessions';

export const FAILURE_WINDOW_MS = 15 * 60 * 1000;
export const ACCOUNT_FAILURES = 10;
export const ADDRESS_FAILURES = 30;

/** The one message for an unknown name and a wrong password. */
export const SIGN_IN_FAILED = 'The name or the password is wrong.';

const hash = (text: string) => createHash('sha256').update(text).digest('hex');
const accountKey = (name: string) => `account:${hash(name)}`;
const addressKey = (ip: string | undefined) => `address:${hash(clientKey(ip))}`;

/** How an account name is compared: names are stored lower-case (users.ts), so `Ada` signs in as `ada`. */
export const normalizeName = (name: string) => name.trim().toLowerCase();

export type SignInResult =
  | { ok: true; account: string; role: Role; token: string; expiresAt: string }
  | { ok: false; status: 401 | 429; message: string; retryAfterSeconds?: number };

export interface SignInRequest {
  name: string;
  password: string;
  /** The client's address (req.ip). */
  ip: string | undefined;
  now: number;
}

/** Checks a sign-in and, when it is good, starts a session. */
export async function signIn(accounts: AccountStorage, request: SignInRequest): Promise<SignInResult> {
  const { password, ip, now } = request;
  const name = normalizeName(request.name);
  const keys = [accountKey(name), addressKey(ip)];
  // The window is the last FAILURE_WINDOW_MS: a failure exactly that old no longer counts.
  const since = new Date(now - FAILURE_WINDOW_MS + 1).toISOString();
  const [forName, forAddress] = await accounts.failures(keys, since);
  const limited = [
    { count: forName, limit: ACCOUNT_FAILURES },
    { count: forAddress, limit: ADDRESS_FAILURES },
  ].filter((c) => c.count.count >= c.limit);
  if (limited.length > 0) {
    // Free again when the oldest failure leaves the window (the later of the two limits).
    const wait = Math.max(...limited.map((c) => Date.parse(c.count.oldest!) + FAILURE_WINDOW_MS - now)) / 1000;
    const minutes = Math.max(1, Math.ceil(wait / 60));
    return { ok: false, status: 429, message: `Too many failed sign-ins. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`, retryAfterSeconds: Number(retryAfterSeconds(wait)) };
  }
  const account = name === '' || password === '' ? undefined : await accounts.account(name);
  let ok = false;
  if (account) {
    const verified = await verifyPassword(password, account.passwordHash);
    ok = verified.ok;
    // Parameters raised since this hash was made: store one made with today's.
    if (ok && verified.stale) await accounts.setPassword(account.name, await hashPassword(password), new Date(now).toISOString()).catch(() => undefined);
  } else {
    await burn(password);
  }
  if (!ok || !account) {
    await accounts.addFailure(keys, new Date(now).toISOString(), since);
    return { ok: false, status: 401, message: SIGN_IN_FAILED };
  }
  await accounts.clearFailures(keys[0]);
  const { token, row } = await startSession(accounts, account.name, now);
  return { ok: true, account: account.name, role: account.role, token, expiresAt: row.expiresAt };
}
