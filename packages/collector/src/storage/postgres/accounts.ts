// Accounts, sessions, sign-in failures and saved funnels on PostgreSQL (storage/accounts.ts),
// shared by every collector on the database: a session made by one is valid on all, a failed
// sign-in counts on all. Each write is one statement, or one transaction where two tables change
// together (a new password ends the account's sessions).
import type { AccountRow, AccountStorage, FailureCount, SavedFunnelRow, SessionWithRole } from '../accounts';
import type { PostgresConnection } from './connection';

const ACCOUNT = 'name, role, password_hash AS "passwordHash", created_at AS "createdAt", password_changed_at AS "passwordChangedAt"';
const FUNNEL = 'id::integer AS id, name, definition, created_by AS "createdBy", created_at AS "createdAt"';

/** AccountStorage over the collector's pool; `guarded` refuses calls once storage is closed. */
export function createPgAccounts(connection: PostgresConnection, guarded: <A extends unknown[], T>(fn: (...args: A) => Promise<T>) => (...args: A) => Promise<T>): AccountStorage {
  const q = connection;
  const accounts: AccountStorage = {
    accounts: async () => (await q.query<AccountRow>(`SELECT ${ACCOUNT} FROM accounts ORDER BY name`)).rows,
    account: async (name) => (await q.query<AccountRow>(`SELECT ${ACCOUNT} FROM accounts WHERE name = $1`, [name])).rows[0],
    addAccount: async (row) =>
      (
        await q.query(
          `INSERT INTO accounts (name, role, password_hash, created_at, password_changed_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (name) DO NOTHING`,
          [row.name, row.role, row.passwordHash, row.createdAt, row.passwordChangedAt],
        )
      ).rowCount === 1,
    setPassword: (name, passwordHash, at) =>
      connection.transaction(async (client) => {
        const changed = (await client.query('UPDATE accounts SET password_hash = $1, password_changed_at = $2 WHERE name = $3', [passwordHash, at, name])).rowCount === 1;
        if (changed) await client.query('DELETE FROM account_sessions WHERE account = $1', [name]);
        return changed;
      }),
    setRole: async (name, role) => (await q.query('UPDATE accounts SET role = $1 WHERE name = $2', [role, name])).rowCount === 1,
    removeAccount: (name) =>
      connection.transaction(async (client) => {
        await client.query('DELETE FROM account_sessions WHERE account = $1', [name]);
        return (await client.query('DELETE FROM accounts WHERE name = $1', [name])).rowCount === 1;
      }),
    addSession: async (row) => {
      await q.query('INSERT INTO account_sessions (id, account, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5)', [
        row.id,
        row.account,
        row.createdAt,
        row.lastSeenAt,
        row.expiresAt,
      ]);
    },
    session: async (id) =>
      (
        await q.query<SessionWithRole>(
          `SELECT s.id, s.account, s.created_at AS "createdAt", s.last_seen_at AS "lastSeenAt", s.expires_at AS "expiresAt", a.role
           FROM account_sessions s JOIN accounts a ON a.name = s.account WHERE s.id = $1`,
          [id],
        )
      ).rows[0],
    touchSession: async (id, at) => {
      await q.query('UPDATE account_sessions SET last_seen_at = $2 WHERE id = $1 AND last_seen_at < $2', [id, at]);
    },
    endSession: async (id) => {
      await q.query('DELETE FROM account_sessions WHERE id = $1', [id]);
    },
    endExpiredSessions: async (now, idleBefore) =>
      (await q.query('DELETE FROM account_sessions WHERE expires_at <= $1 OR last_seen_at < $2', [now, idleBefore])).rowCount ?? 0,
    failures: async (keys, since) => {
      const { rows } = await q.query<{ key: string; count: string; oldest: string | null }>(
        `SELECT k.key, count(f.at) AS count, min(f.at) AS oldest
         FROM unnest($1::text[]) AS k(key) LEFT JOIN sign_in_failures f ON f.key = k.key AND f.at >= $2
         GROUP BY k.key`,
        [keys, since],
      );
      const byKey = new Map(rows.map((r) => [r.key, r]));
      return keys.map((key): FailureCount => ({ key, count: Number(byKey.get(key)?.count ?? 0), oldest: byKey.get(key)?.oldest ?? null }));
    },
    addFailure: (keys, at, forgetBefore) =>
      connection.transaction(async (client) => {
        await client.query('DELETE FROM sign_in_failures WHERE at < $1', [forgetBefore]);
        await client.query('INSERT INTO sign_in_failures (key, at) SELECT k, $2 FROM unnest($1::text[]) AS k', [keys, at]);
      }),
    clearFailures: async (key) => {
      await q.query('DELETE FROM sign_in_failures WHERE key = $1', [key]);
    },
    funnels: async () => (await q.query<SavedFunnelRow>(`SELECT ${FUNNEL} FROM saved_funnels ORDER BY name`)).rows,
    saveFunnel: async (row) =>
      (
        await q.query<SavedFunnelRow>(
          `INSERT INTO saved_funnels (name, definition, created_by, created_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, created_by = excluded.created_by, created_at = excluded.created_at
           RETURNING ${FUNNEL}`,
          [row.name, row.definition, row.createdBy, row.createdAt],
        )
      ).rows[0],
    deleteFunnel: async (id) => (await q.query('DELETE FROM saved_funnels WHERE id = $1', [id])).rowCount === 1,
  };
  return Object.fromEntries(Object.entries(accounts).map(([name, fn]) => [name, guarded(fn as (...a: unknown[]) => Promise<unknown>)])) as unknown as AccountStorage;
}
