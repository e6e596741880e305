// Data subject requests under /v1/privacy (admin token): GET answers an access request with one
// JSON document, streamed with backpressure; DELETE erases the subject (privacy.ts).
import { Router } from 'express';
import type { AnalyticsService } from '../jobs/catch-up';
import { analyticsOff } from '../errors';
import { subjectAccess, subjectErasure } from '../privacy';
import type { Storage } from '../storage/types';
import { streamChunks } from './stream';

export interface PrivacyDeps {
  storage: Storage;
  /** None: analytics off; an access request (which lists the subject's carts) answers 503, an erasure works. */
  analytics?: AnalyticsService;
  now: () => number;
  /** SPUR_SUPPRESS_DAYS. @defaultValue 30 */
  suppressDays?: number;
}

export function createPrivacyRouter(deps: PrivacyDeps): Router {
  const router = Router();

  router.get('/v1/privacy/subjects/:customerId', async (req, res) => {
    // subjectAccess would otherwise build a one-off cache of every event for the carts.
    if (!deps.analytics) throw analyticsOff();
    const access = await subjectAccess(deps.storage, req.params.customerId, { analytics: deps.analytics, now: deps.now });
    res.status(200);
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    await streamChunks(res, access.chunks);
  });

  router.delete('/v1/privacy/subjects/:customerId', async (req, res) => {
    const erasure = await subjectErasure(deps.storage, req.params.customerId, { now: deps.now, suppressDays: deps.suppressDays });
    res.status(200).json(erasure);
  });
  return router;
}
