// Liveness and readiness. /healthz touches nothing (the process answers); /readyz asks storage
// whether it can take a write now, so a load balancer stops sending events to a collector that
// cannot commit them, and an operator sees why (disk_full, read_only, locked, starting, ...).
// Ingest does not need the analytics cache: /readyz is 200 while it catches up after a start
// (the body says how far), so ingest traffic keeps flowing to a collector that just restarted.
// /readyz/analytics is for what does need it (exports, a dashboard): 503 until it is caught up.
// A process with analytics off is ready for ingest (`analytics: "off"`) and never for analytics.
import { Router, type Response } from 'express';
import type { AnalyticsStatus } from '../jobs/catch-up';
import { ANALYTICS_OFF_MESSAGE, RETRY_AFTER_SECONDS, StorageUnavailableError } from '../errors';
import type { Storage } from '../storage/types';

export interface HealthDeps {
  storage: Storage;
  /** How far the analytics cache is (the collector's: caught up, and the carts due recorded); none: analytics off. */
  analytics?: { status(): AnalyticsStatus };
}

function notReady(res: Response, reason: string, message: string, extra: Record<string, unknown> = {}): void {
  res
    .status(503)
    .set('Retry-After', String(RETRY_AFTER_SECONDS))
    .json({ error: { code: 'not_ready', reason, message, ...extra } });
}

export function createHealthRouter(deps: HealthDeps): Router {
  const router = Router();

  /** Resolves true when storage can take a write; otherwise answers 503 and resolves false. */
  async function storageReady(res: Response): Promise<boolean> {
    try {
      await deps.storage.ping();
      return true;
    } catch (err) {
      // Answered here, not by the error middleware: failing probes are expected and not logged.
      // Only storage failures are described; anything else could carry internals.
      if (!(err instanceof StorageUnavailableError)) notReady(res, 'unavailable', 'storage is not answering');
      else notReady(res, err.reason, `storage cannot take writes: ${err.message}`);
      return false;
    }
  }

  router.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  router.get('/readyz', async (_req, res) => {
    if (await storageReady(res)) res.json({ ok: true, analytics: deps.analytics ? deps.analytics.status() : 'off' });
  });
  router.get('/readyz/analytics', async (_req, res) => {
    if (!(await storageReady(res))) return;
    // Not Retry-After: this process never will be; a load balancer sends analytics elsewhere.
    if (!deps.analytics) return void res.status(503).json({ error: { code: 'not_ready', reason: 'analytics_off', message: ANALYTICS_OFF_MESSAGE } });
    const analytics = deps.analytics.status();
    if (analytics.ready) return void res.json({ ok: true, analytics });
    // A share, not row counts: this answer is public, and counts would tell anyone the shop's traffic.
    const percent = Math.floor(analytics.progress * 100);
    notReady(res, 'analytics_catching_up', `the analytics cache is catching up with the stored events (${percent}%); exports wait for it`, { analytics });
  });
  return router;
}
