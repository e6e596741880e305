// GET /metrics: the collector's Prometheus metrics (metrics/collector-metrics.ts), behind the
// admin guard: with the admin token, or the metrics token when one is configured, so that a
// scraper need not hold a token that reads and erases customers' data.
import { Router, type RequestHandler } from 'express';
import type { CollectorMetrics } from '../metrics/collector-metrics';

export interface MetricsRouteDeps {
  metrics: CollectorMetrics;
  /** The admin guard (admin.ts adminGuard), accepting the metrics token too. */
  guard: RequestHandler[];
}

export function createMetricsRouter(deps: MetricsRouteDeps): Router {
  const router = Router();
  router.get('/metrics', ...deps.guard, async (_req, res) => {
    const { contentType, text } = await deps.metrics.scrape();
    res.set('Content-Type', contentType).send(text);
  });
  return router;
}
