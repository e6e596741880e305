// Liveness and readiness. /healthz touches nothing (the process answers); /readyz asks storage,
// so a load balancer stops sending events to a collector that cannot commit them.
import { Router } from 'express';
import { RETRY_AFTER_SECONDS } from '../errors';
import type { Storage } from '../storage/types';

export function createHealthRouter(deps: { storage: Storage }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  router.get('/readyz', async (_req, res) => {
    try {
      await deps.storage.ping();
      res.json({ ok: true });
    } catch {
      // Answered here, not by the error middleware: failing probes are expected and not logged.
      res
        .status(503)
        .set('Retry-After', String(RETRY_AFTER_SECONDS))
        .json({ error: { code: 'not_ready', message: 'storage is not answering' } });
    }
  });
  return router;
}
