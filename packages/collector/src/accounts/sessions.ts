// Dashboard sessions: a random token in a cookie, only its SHA-256 in the database (a copy of the
// table signs nobody in), an absolute lifetime and an idle timeout, and the CSRF token that every
// change made with the session must carry.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AccountStorage, Role, SessionRow } from '../storage/accounts';

/** A session ends this long after sign-in, whatever the activity: a working day and a half. */
export const SESSION_LIFETIME_MS = 12 * 60 * 60 * 1000;
/** A session unused this long ends: a dashboard left open over lunch stays signed in, overnight not. */
export const SESSION_IDLE_MS = 2 * 60 * 60 * 1000;
/** lastSeenAt is written at most this often per session: one write a minute, not one per request. */
export const TOUCH_EVERY_MS = 60 * 1000;

/**
 * The cookie's name. On https it is `__Host-` prefixed: browsers then accept it only with Secure,
 * Path=/ and no Domain, so that no other host of the site (a shop on a sibling subdomain) can set
 * or overwrite it. Plain http (a collector on localhost) cannot have that prefix.
 */
export const sessionCookieName = (secure: boolean) => (secure ? '__Host-spur_session' : 'spur_session');

/** A new session token: 256 random bits, URL-safe. */
export const newSessionToken = () => randomBytes(32).toString('base64url');

/** What the database keeps of a token. */
export const sessionId = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * The session's CSRF token: an HMAC of a fixed label keyed with the session token. It is bound to
 * the session (another session's token never matches), needs no storage, and tells nothing about
 * the session token (a page that leaks it cannot sign in with it).
 */
export const csrfToken = (token: string) => createHmac('sha256', token).update('spur dashboard csrf').digest('base64url');

/** Whether `given` is the session's CSRF token, compared in constant time. */
export function csrfMatches(token: string, given: unknown): boolean {
  if (typeof given !== 'string' || given.length > 100) return false;
  const expected = Buffer.from(csrfToken(token));
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A signed-in person, as the routes see them. */
export interface SignedIn {
  account: string;
  role: Role;
  /** The session token from the cookie (for the CSRF token and sign-out). */
  token: string;
  expiresAt: string;
}

/** Starts a session for `account`; answers the token to put in the cookie. */
export async function startSession(accounts: AccountStorage, account: string, now: number): Promise<{ token: string; row: SessionRow }> {
  const token = newSessionToken();
  const at = new Date(now).toISOString();
  const row: SessionRow = { id: sessionId(token), account, createdAt: at, lastSeenAt: at, expiresAt: new Date(now + SESSION_LIFETIME_MS).toISOString() };
  // Sign-ins are rare: a good moment to forget sessions that ended.
  await accounts.endExpiredSessions(at, new Date(now - SESSION_IDLE_MS).toISOString());
  await accounts.addSession(row);
  return { token, row };
}

/**
 * The person a session token belongs to, or undefined when the session is unknown, expired, idle
 * too long or its account is gone. Moves lastSeenAt on at most every TOUCH_EVERY_MS.
 */
export async function resumeSession(accounts: AccountStorage, token: string, now: number): Promise<SignedIn | undefined> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
  const session = await accounts.session(sessionId(token));
  if (!session) return undefined;
  if (Date.parse(session.expiresAt) <= now || now - Date.parse(session.lastSeenAt) >= SESSION_IDLE_MS) return undefined;
  if (now - Date.parse(session.lastSeenAt) >= TOUCH_EVERY_MS) await accounts.touchSession(session.id, new Date(now).toISOString());
  return { account: session.account, role: session.role, token, expiresAt: session.expiresAt };
}

/** Ends the session of `token` (sign-out). */
export const endSession = (accounts: AccountStorage, token: string) => accounts.endSession(sessionId(token));
