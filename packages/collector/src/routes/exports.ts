// GET /v1/exports/:kind (admin token): the exports of exports.ts, streamed with backpressure.
import { Router } from 'express';
import type { AnalyticsService } from '../jobs/catch-up';
import { analyticsOff, notFound } from '../errors';
import { EXPORT_KINDS, runExport, WARNINGS_HEADER, warningsHeader, type ExportKind } from '../exports';
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

export function createExportRouter(deps: ExportDeps): Router {
  const router = Router();
  router.get('/v1/exports/:kind', async (req, res) => {
    const kind = req.params.kind as ExportKind;
    if (!EXPORT_KINDS.includes(kind)) throw notFound(`no export named ${JSON.stringify(req.params.kind)}; there are ${EXPORT_KINDS.join(', ')}`);
    // Checked before runExport, which would otherwise build a one-off cache of its own.
    if (!deps.analytics && kind !== 'events') throw analyticsOff();
    const output = await runExport(deps.storage, kind, req.query, { analytics: deps.analytics, now: deps.now, timeZone: deps.timeZone });
    res.status(200);
    res.setHeader('Content-Type', output.contentType);
    res.setHeader('Content-Disposition', `attachment; filename="${output.filename}"`);
    if (output.totalRows !== undefined) res.setHeader('X-Spur-Total-Rows', String(output.totalRows));
    // In every format: CSV has no place for them, and a client need not parse JSON to see them.
    if (output.warnings.length > 0) res.setHeader(WARNINGS_HEADER, warningsHeader(output.warnings));
    await streamChunks(res, output.chunks);
  });
  return router;
}
