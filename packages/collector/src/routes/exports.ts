// GET /v1/exports/:kind (admin token): the exports of exports.ts, streamed with backpressure; and
// two of them under the paths of what they show: GET /v1/customers/:id/history (the history
// export of one customer) and GET /v1/insights/segments (the segments export, JSON by default).
import { Router, type Response } from 'express';
import type { AnalyticsService } from '../jobs/catch-up';
import { analyticsOff, badRequest, notFound } from '../errors';
import { EXPORT_KINDS, runExport, WARNINGS_HEADER, warningsHeader, type ExportKind, type ExportOutput } from '../exports';
import type { Storage } from '../storage/types';
import { streamChunks } from './stream';

export interface ExportDeps {
  storage: Storage;
  /** None: analytics off; every export but `events` answers 503 (analyticsOff). */
  analytics?: AnalyticsService;
  now: () => number;
  /** SPUR_TIME_ZONE. @defaultValue 'UTC' */
  timeZone?: string;
}

async function send(res: Response, output: ExportOutput): Promise<void> {
  res.status(200);
  res.setHeader('Content-Type', output.contentType);
  res.setHeader('Content-Disposition', `attachment; filename="${output.filename}"`);
  if (output.totalRows !== undefined) res.setHeader('X-Spur-Total-Rows', String(output.totalRows));
  // In every format: CSV has no place for them, and a client need not parse JSON to see them.
  if (output.warnings.length > 0) res.setHeader(WARNINGS_HEADER, warningsHeader(output.warnings));
  await streamChunks(res, output.chunks);
}

export function createExportRouter(deps: ExportDeps): Router {
  const router = Router();
  const run = (kind: ExportKind, query: Record<string, unknown>) => {
    // Checked before runExport, which would otherwise build a one-off cache of its own.
    if (!deps.analytics && kind !== 'events') throw analyticsOff();
    return runExport(deps.storage, kind, query, { analytics: deps.analytics, now: deps.now, timeZone: deps.timeZone });
  };
  router.get('/v1/exports/:kind', async (req, res) => {
    const kind = req.params.kind as ExportKind;
    if (!EXPORT_KINDS.includes(kind)) throw notFound(`no export named ${JSON.stringify(req.params.kind)}; there are ${EXPORT_KINDS.join(', ')}`);
    await send(res, await run(kind, req.query));
  });
  router.get('/v1/customers/:id/history', async (req, res) => {
    if ('customer' in req.query) throw badRequest('the customer is the one in the path; this route does not take customer', 'invalid_query');
    await send(res, await run('history', { ...req.query, customer: req.params.id }));
  });
  router.get('/v1/insights/segments', async (req, res) => {
    await send(res, await run('segments', req.query));
  });
  return router;
}
