// GET /v1/insights/<kind> (admin token) for the insights of insights.ts, each one JSON document.
// (GET /v1/insights/segments is the segments export, routes/exports.ts.)
import { Router } from 'express';
import type { AnalyticsService } from '../jobs/catch-up';
import { analyticsOff } from '../errors';
import { INSIGHT_KINDS, runInsight } from '../insights';
import type { Storage } from '../storage/types';

export interface InsightDeps {
  storage: Storage;
  /** None: analytics off; every insight answers 503 (analyticsOff). */
  analytics?: AnalyticsService;
  now: () => number;
}

export function createInsightRouter(deps: InsightDeps): Router {
  const router = Router();
  for (const kind of INSIGHT_KINDS) {
    router.get(`/v1/insights/${kind}`, async (req, res) => {
      // Checked before runInsight, which would otherwise build a one-off cache of its own.
      if (!deps.analytics) throw analyticsOff();
      res.status(200).json(await runInsight(deps.storage, kind, req.query, { analytics: deps.analytics, now: deps.now }));
    });
  }
  return router;
}
