// Liveness and readiness. /healthz touches nothing (the process answers); /readyz asks storage
// whether it can take a write now, so a load balancer stops sending events to a collector that
// cannot commit them, and an operator sees why (disk_full, read_only, locked, ...).
import { Router } from 'express';
import { RETRY_AFTER_SECONDS, StorageUnavailableError } from '../errors';
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
    } catch (err) {
      // Answered here, not by the error middleware: failing probes are expected and not logged.
      // Only storage failures are described; anything else could carry internals.
      const known = err instanceof StorageUnavailableError;
      res
        .status(503)
        .set('Retry-After', String(RETRY_AFTER_SECONDS))
        .json({
          error: {
            code: 'not_ready',
            reason: known ? err.reason : 'unavailable',
            message: known ? `storage cannot take writes: ${err.message}` : 'storage is not answering',
          },
        });
    }
  });
  return router;
}
