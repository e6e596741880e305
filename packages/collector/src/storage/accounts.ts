// The storage contract of the dashboard's accounts: named people with a role and a password hash,
// their sign-in sessions, failed sign-in attempts and saved funnels. Every backend keeps them in
// the database (SQLite migration 7, PostgreSQL migration 4), so that several collectors behind a
// load balancer share accounts, sessions and the sign-in limits. As everywhere in storage, a
// backend only reads and writes: what a session's expiry, a limit or a password means is decided
// above it (src/accounts/).

/** What an account may do: `viewer` reads figures and exports; `admin` also the data subject tools and settings. */
export type Role = 'viewer' | 'admin';

export const ROLES: readonly Role[] = ['viewer', 'admin'];

/** One person who signs in to the dashboard. Times are ISO strings. */
export interface AccountRow {
  name: string;
  role: Role;
  /** The password as a PHC-style scrypt string (accounts/passwords.ts); never the password. */
  passwordHash: string;
  createdAt: string;
  passwordChangedAt: string;
}

/** A signed-in browser. The token itself is never stored: `id` is its SHA-256 (hex). */
export interface SessionRow {
  id: string;
  account: string;
  createdAt: string;
  lastSeenAt: string;
  /** Absolute end, whatever the activity. */
  expiresAt: string;
}

/** A session with its account's current role (read with it, so a role change applies at once). */
export interface SessionWithRole extends SessionRow {
  role: Role;
}

/** Failed sign-ins of one key (an account name's or an address's hash) since a time. */
export interface FailureCount {
  key: string;
  count: number;
  /** The oldest of them (ISO), null when none. */
  oldest: string | null;
}

/** A funnel someone saved in the dashboard: its query as JSON text, opaque to storage. */
export interface SavedFunnelRow {
  id: number;
  name: string;
  definition: string;
  createdBy: string;
  createdAt: string;
}

/** Reads and writes of accounts, sessions, sign-in failures and saved funnels. */
export interface AccountStorage {
  /** Every account, by name. */
  accounts(): Promise<AccountRow[]>;
  account(name: string): Promise<AccountRow | undefined>;
  /** Adds an account; false (nothing written) when the name is taken. */
  addAccount(row: AccountRow): Promise<boolean>;
  /** Replaces the password hash and ends every session of the account; false when there is no such account. */
  setPassword(name: string, passwordHash: string, at: string): Promise<boolean>;
  /** Changes the role; false when there is no such account. */
  setRole(name: string, role: Role): Promise<boolean>;
  /** Removes the account and its sessions; false when there was none. */
  removeAccount(name: string): Promise<boolean>;
  addSession(row: SessionRow): Promise<void>;
  /** The session with this id and its account's role; undefined when gone (or its account is). */
  session(id: string): Promise<SessionWithRole | undefined>;
  /** Moves lastSeenAt forward (never back). */
  touchSession(id: string, at: string): Promise<void>;
  endSession(id: string): Promise<void>;
  /** Ends sessions whose expiresAt is at or before `now` or whose lastSeenAt is before `idleBefore`; answers how many. */
  endExpiredSessions(now: string, idleBefore: string): Promise<number>;
  /** Per key, the failures recorded at or after `since`. */
  failures(keys: readonly string[], since: string): Promise<FailureCount[]>;
  /** Records one failure for each key at `at`, and forgets every failure before `forgetBefore`. */
  addFailure(keys: readonly string[], at: string, forgetBefore: string): Promise<void>;
  /** Forgets the failures of `key` (a successful sign-in). */
  clearFailures(key: string): Promise<void>;
  /** Saved funnels, by name. */
  funnels(): Promise<SavedFunnelRow[]>;
  /** Saves a funnel under its name, replacing one of the same name; answers it with its id. */
  saveFunnel(row: Omit<SavedFunnelRow, 'id'>): Promise<SavedFunnelRow>;
  /** false when there was no funnel with this id. */
  deleteFunnel(id: number): Promise<boolean>;
}
