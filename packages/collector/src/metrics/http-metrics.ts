// Every HTTP request the collector answers, counted and timed by route. The route is what the
// collector made of the path, never the path itself: a client can send any number of spellings
// (`/V1/Batch/`, `/v1/profiles/<every customer id>`, made-up paths), and each label value would
// be a time series of its own. An ingest request is named by its path as listed
// (routes/ingest-paths.ts), any other by the pattern of the route that answered it
// (`/v1/profiles/:id`), one refused by the admin guard by its prefix, and the rest `unmatched`.
import { performance } from 'node:perf_hooks';
import type { Request, RequestHandler } from 'express';
import { ADMIN_PATHS } from '../routes/admin';
import { ingestRoute } from '../routes/ingest-paths';
import type { CollectorMetrics } from './collector-metrics';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);

/** The admin prefix a path falls under as Express matches it (any case, whole segments), with `/*`. */
function adminPrefix(path: string): string | undefined {
  const lower = path.toLowerCase();
  const prefix = ADMIN_PATHS.find((p) => lower === p || lower.startsWith(`${p}/`));
  return prefix === undefined ? undefined : `${prefix}/*`;
}

/** The pattern of the route that answered, when one did. */
function routePattern(req: Request): string | undefined {
  const path: unknown = (req.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? path : undefined;
}

/** Middleware for the top of the app: counts and times each request once its answer is done. */
export function countRequests(metrics: CollectorMetrics): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    // Decided now, while req.path is the collector's own: mounted in a shop's app, the shop's
    // prefix is back on the path by the time the answer is done.
    const known = ingestRoute(req)?.path;
    const admin = known === undefined ? adminPrefix(req.path) : undefined;
    res.on('close', () => {
      // A route's handler may answer for an admin prefix (the guard passed): its pattern wins.
      const route = known ?? routePattern(req) ?? admin ?? 'unmatched';
      const method = METHODS.has(req.method) ? req.method : 'other';
      // Closed before the answer was complete: the client went away, or the server cut it.
      const status = res.writableFinished ? String(res.statusCode) : 'aborted';
      metrics.request(route, method, status, (performance.now() - started) / 1000);
    });
    next();
  };
}
