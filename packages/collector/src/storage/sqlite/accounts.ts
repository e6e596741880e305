// Accounts, sessions, sign-in failures and saved funnels on SQLite (storage/accounts.ts). Reads
// run on the main thread's connection; writes are operations by name that the writer thread runs
// in transactions of their own (writer.ts `accounts`), so that a sign-in never waits on the main
// thread for the write lock while the writer commits a group of appends.
import type { Database } from 'better-sqlite3';
import type { AccountRow, FailureCount, Role, SavedFunnelRow, SessionRow, SessionWithRole } from '../accounts';

const ACCOUNT = 'name, role, password_hash AS passwordHash, created_at AS createdAt, password_changed_at AS passwordChangedAt';
const FUNNEL = 'id, name, definition, created_by AS createdBy, created_at AS createdAt';

/** The reads of AccountStorage (synchronous). */
export function createAccountReads(db: Database) {
  const q = {
    accounts: db.prepare(`SELECT ${ACCOUNT} FROM accounts ORDER BY name`),
    account: db.prepare(`SELECT ${ACCOUNT} FROM accounts WHERE name = ?`),
    session: db.prepare(
      `SELECT s.id, s.account, s.created_at AS createdAt, s.last_seen_at AS lastSeenAt, s.expires_at AS expiresAt, a.role
       FROM account_sessions s JOIN accounts a ON a.name = s.account WHERE s.id = ?`,
    ),
    failures: db.prepare('SELECT count(*) AS count, min(at) AS oldest FROM sign_in_failures WHERE key = ? AND at >= ?'),
    funnels: db.prepare(`SELECT ${FUNNEL} FROM saved_funnels ORDER BY name`),
  };
  return {
    accounts: () => q.accounts.all() as AccountRow[],
    account: (name: string) => q.account.get(name) as AccountRow | undefined,
    session: (id: string) => q.session.get(id) as SessionWithRole | undefined,
    failures: (keys: readonly string[], since: string): FailureCount[] =>
      keys.map((key) => ({ key, ...(q.failures.get(key, since) as { count: number; oldest: string | null }) })),
    funnels: () => q.funnels.all() as SavedFunnelRow[],
  };
}

/** The writes of AccountStorage, by name: what the writer thread runs for an `accounts` message. */
export function createAccountWrites(db: Database) {
  const s = {
    addAccount: db.prepare(
      `INSERT INTO accounts (name, role, password_hash, created_at, password_changed_at)
       VALUES (@name, @role, @passwordHash, @createdAt, @passwordChangedAt) ON CONFLICT (name) DO NOTHING`,
    ),
    setPassword: db.prepare('UPDATE accounts SET password_hash = ?, password_changed_at = ? WHERE name = ?'),
    setRole: db.prepare('UPDATE accounts SET role = ? WHERE name = ?'),
    removeAccount: db.prepare('DELETE FROM accounts WHERE name = ?'),
    endSessionsOf: db.prepare('DELETE FROM account_sessions WHERE account = ?'),
    addSession: db.prepare(
      `INSERT INTO account_sessions (id, account, created_at, last_seen_at, expires_at)
       VALUES (@id, @account, @createdAt, @lastSeenAt, @expiresAt)`,
    ),
    touchSession: db.prepare('UPDATE account_sessions SET last_seen_at = @at WHERE id = @id AND last_seen_at < @at'),
    endSession: db.prepare('DELETE FROM account_sessions WHERE id = ?'),
    endExpired: db.prepare('DELETE FROM account_sessions WHERE expires_at <= ? OR last_seen_at < ?'),
    addFailure: db.prepare('INSERT INTO sign_in_failures (key, at) VALUES (?, ?)'),
    forgetFailures: db.prepare('DELETE FROM sign_in_failures WHERE at < ?'),
    clearFailures: db.prepare('DELETE FROM sign_in_failures WHERE key = ?'),
    saveFunnel: db.prepare(
      `INSERT INTO saved_funnels (name, definition, created_by, created_at) VALUES (@name, @definition, @createdBy, @createdAt)
       ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, created_by = excluded.created_by, created_at = excluded.created_at
       RETURNING ${FUNNEL}`,
    ),
    deleteFunnel: db.prepare('DELETE FROM saved_funnels WHERE id = ?'),
  };
  return {
    addAccount: (row: AccountRow) => s.addAccount.run(row).changes === 1,
    setPassword(name: string, passwordHash: string, at: string) {
      const changed = s.setPassword.run(passwordHash, at, name).changes === 1;
      if (changed) s.endSessionsOf.run(name);
      return changed;
    },
    setRole: (name: string, role: Role) => s.setRole.run(role, name).changes === 1,
    removeAccount(name: string) {
      s.endSessionsOf.run(name);
      return s.removeAccount.run(name).changes === 1;
    },
    addSession: (row: SessionRow) => void s.addSession.run(row),
    touchSession: (id: string, at: string) => void s.touchSession.run({ id, at }),
    endSession: (id: string) => void s.endSession.run(id),
    endExpiredSessions: (now: string, idleBefore: string) => s.endExpired.run(now, idleBefore).changes,
    addFailure(keys: readonly string[], at: string, forgetBefore: string) {
      s.forgetFailures.run(forgetBefore);
      for (const key of keys) s.addFailure.run(key, at);
    },
    clearFailures: (key: string) => void s.clearFailures.run(key),
    saveFunnel: (row: Omit<SavedFunnelRow, 'id'>) => s.saveFunnel.get(row) as SavedFunnelRow,
    deleteFunnel: (id: number) => s.deleteFunnel.run(id).changes === 1,
  };
}

export type AccountWrites = ReturnType<typeof createAccountWrites>;
/** The name of a write operation and its arguments, as they cross to the writer thread. */
export type AccountWrite = { [K in keyof AccountWrites]: { op: K; args: Parameters<AccountWrites[K]> } }[keyof AccountWrites];
