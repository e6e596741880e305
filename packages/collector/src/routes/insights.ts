// GET /v1/insights/:kind (admin token): the insights of insights.ts, as one JSON document.
import { Router } from 'express';
import type { AnalyticsService } from '../jobs/catch-up';
import { analyticsOff, notFound } from '../errors';
import { INSIGHT_KINDS, runInsight, type InsightKind } from '../insights';
import type { Storage } from '../storage/types';

export interface InsightDeps {
  storage: Storage;
  /** None: analytics off; every insight answers 503 (analyticsOff). */
  analytics?: AnalyticsService;
  now: () => number;
}

export function createInsightRouter(deps: InsightDeps): Router {
  const router = Router();
  router.get('/v1/insights/:kind', async (req, res) => {
    const kind = req.params.kind as InsightKind;
    if (!INSIGHT_KINDS.includes(kind)) throw notFound(`no insight named ${JSON.stringify(req.params.kind)}; there are ${INSIGHT_KINDS.join(', ')}`);
    // Checked before runInsight, which would otherwise build a one-off cache of its own.
    if (!deps.analytics) throw analyticsOff();
    res.status(200).json(await runInsight(deps.storage, kind, req.query, { analytics: deps.analytics, now: deps.now }));
  });
  return router;
}
