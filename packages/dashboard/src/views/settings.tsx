// Settings (admins only): what the collector runs with, and who may sign in. Read-only: settings
// are the collector's environment (SPUR_*), accounts are changed with `spur users`.
import { getJson, type Session } from '../api';
import { LoadStatus } from '../components/status';
import { useData } from '../components/use-data';
import { shopTime } from '../dates';

interface SettingsAnswer {
  settings: { timeZone: string; sessionMinutes: number; abandonMinutes: number; retentionDays: number | null; suppressDays: number; analytics: string };
  accounts: { name: string; role: string; createdAt: string; passwordChangedAt: string }[];
}

export function SettingsView({ session }: { session: Session }) {
  const loaded = useData('settings', (signal) => getJson<SettingsAnswer>('/v1/settings', signal));
  const s = loaded.data?.settings;
  const rows: [string, string, string][] = s
    ? [
        ["Shop's time zone", s.timeZone, 'SPUR_TIME_ZONE'],
        ['Session ends after', `${s.sessionMinutes} minutes without events`, 'SPUR_SESSION_MINUTES'],
        ['Cart abandoned after', `${s.abandonMinutes} minutes without cart activity`, 'SPUR_ABANDON_MINUTES'],
        ['Events kept', s.retentionDays === null ? 'forever' : `${s.retentionDays} days`, 'SPUR_RETENTION_DAYS'],
        ['After an erasure, ids suppressed for', `${s.suppressDays} days`, 'SPUR_SUPPRESS_DAYS'],
        ['Analytics', s.analytics, 'SPUR_ANALYTICS'],
      ]
    : [];
  return (
    <>
      <h1>Settings</h1>
      <LoadStatus loaded={loaded} />
      {loaded.data && (
        <>
          <section>
            <h2>Collector</h2>
            <table class="settings">
              <caption class="visually-hidden">The collector's settings</caption>
              <thead>
                <tr>
                  <th scope="col">Setting</th>
                  <th scope="col">Value</th>
                  <th scope="col">Set with</th>
                </tr>
              </thead>
              <tbody>
                {rows.map(([what, value, env]) => (
                  <tr>
                    <td data-label="Setting">{what}</td>
                    <td data-label="Value">{value}</td>
                    <td data-label="Set with">
                      <code>{env}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <section>
            <h2>Accounts</h2>
            <table class="settings">
              <caption class="visually-hidden">Accounts of the dashboard</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Role</th>
                  <th scope="col">Created</th>
                  <th scope="col">Password changed</th>
                </tr>
              </thead>
              <tbody>
                {loaded.data.accounts.map((a) => (
                  <tr>
                    <td data-label="Name">{a.name}</td>
                    <td data-label="Role">{a.role}</td>
                    <td data-label="Created">{shopTime(a.createdAt, session.timeZone, false)}</td>
                    <td data-label="Password changed">{shopTime(a.passwordChangedAt, session.timeZone, false)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p class="hint">
              Add, remove and change accounts with <code>spur users</code> on the collector's machine (<code>spur users --help</code>).
            </p>
          </section>
        </>
      )}
    </>
  );
}
