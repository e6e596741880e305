// Data subject requests under /v1/privacy (admin token): GET answers an access request with one
// JSON document, streamed with backpressure; DELETE erases the subject (privacy.ts).
import { once } from 'node:events';
import { Router } from 'express';
import type { AnalyticsService } from '../analytics-service';
import { subjectAccess, subjectErasure } from '../privacy';
import type { Storage } from '../storage/types';
import { requireAdmin } from './admin';

export interface PrivacyDeps {
  storage: Storage;
  adminToken?: string;
  analytics: AnalyticsService;
  now: () => number;
  /** SPUR_SUPPRESS_DAYS. @defaultValue 30 */
  suppressDays?: number;
}

export function createPrivacyRouter(deps: PrivacyDeps): Router {
  const router = Router();
  router.use('/v1/privacy', requireAdmin(deps.adminToken));

  router.get('/v1/privacy/subjects/:customerId', async (req, res) => {
    const access = await subjectAccess(deps.storage, req.params.customerId, { analytics: deps.analytics, now: deps.now });
    res.status(200);
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    let gone = false;
    res.once('close', () => (gone = true));
    try {
      for await (const chunk of access.chunks) {
        if (gone) return; // the client left: stop reading storage for it
        if (!res.write(chunk)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
      }
      res.end();
    } catch (err) {
      // Part of the document is out: cutting the connection is the only way left to say it failed.
      res.destroy(err as Error);
      throw err;
    }
  });

  router.delete('/v1/privacy/subjects/:customerId', async (req, res) => {
    const erasure = await subjectErasure(deps.storage, req.params.customerId, { now: deps.now, suppressDays: deps.suppressDays });
    res.setHeader('Cache-Control', 'no-store');
    res.status(200).json(erasure);
  });
  return router;
}
