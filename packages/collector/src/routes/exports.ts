// GET /v1/exports/:kind (admin token): the exports of exports.ts, streamed with backpressure.
import { once } from 'node:events';
import { Router } from 'express';
import type { AnalyticsService } from '../analytics-service';
import { notFound } from '../errors';
import { EXPORT_KINDS, runExport, type ExportKind } from '../exports';
import type { Storage } from '../storage/types';
import { requireAdmin } from './admin';

export interface ExportDeps {
  storage: Storage;
  adminToken?: string;
  analytics: AnalyticsService;
  now: () => number;
}

export function createExportRouter(deps: ExportDeps): Router {
  const router = Router();
  router.use('/v1/exports', requireAdmin(deps.adminToken));
  router.get('/v1/exports/:kind', async (req, res) => {
    const kind = req.params.kind as ExportKind;
    if (!EXPORT_KINDS.includes(kind)) throw notFound(`no export named ${JSON.stringify(req.params.kind)}; there are ${EXPORT_KINDS.join(', ')}`);
    const output = await runExport(deps.storage, kind, req.query, { analytics: deps.analytics, now: deps.now });
    res.status(200);
    res.setHeader('Content-Type', output.contentType);
    res.setHeader('Content-Disposition', `attachment; filename="${output.filename}"`);
    res.setHeader('Cache-Control', 'no-store');
    if (output.totalRows !== undefined) res.setHeader('X-Spur-Total-Rows', String(output.totalRows));
    let gone = false;
    res.once('close', () => (gone = true));
    try {
      for await (const chunk of output.chunks) {
        if (gone) return; // the client left: stop reading storage for it
        if (!res.write(chunk)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
      }
      res.end();
    } catch (err) {
      // Headers and some rows are out: a status can no longer say it failed. Cutting the
      // connection without the final chunk does, to every HTTP client (and spur export).
      res.destroy(err as Error);
      throw err;
    }
  });
  return router;
}
