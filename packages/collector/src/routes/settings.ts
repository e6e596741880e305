// GET /v1/settings (admins only): the settings a dashboard user may want to know, and the
// accounts. Read-only: settings are the collector's environment (SPUR_*), accounts are changed
// with `spur users`, so that the database never holds a setting that disagrees with the process.
import { Router } from 'express';
import { listAccounts } from '../accounts/users';
import type { AccountStorage } from '../storage/accounts';

/** What the Settings view shows of the collector's configuration. */
export interface VisibleSettings {
  timeZone: string;
  sessionMinutes: number;
  abandonMinutes: number;
  retentionDays: number | null;
  suppressDays: number;
  analytics: 'on' | 'off';
}

export function createSettingsRouter(deps: { storage: { readonly accounts: AccountStorage }; settings: VisibleSettings }): Router {
  const router = Router();
  router.get('/v1/settings', async (_req, res) => {
    res.json({ settings: deps.settings, accounts: await listAccounts(deps.storage.accounts) });
  });
  return router;
}
