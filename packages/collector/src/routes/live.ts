// GET /v1/live: committed events as they arrive, as Server-Sent Events (`event: events`, data a
// JSON array of LiveEvent), for the dashboard's Live view; a comment line every 15 s keeps proxies
// from closing a quiet stream. At most MAX_WATCHERS streams per collector.
import { Router } from 'express';
import { analyticsOff, HttpError } from '../errors';
import type { LiveFeed } from '../jobs/live-feed';

export const MAX_WATCHERS = 50;
const KEEPALIVE_MS = 15_000;

export function createLiveRouter(deps: { feed?: LiveFeed }): Router {
  const router = Router();
  router.get('/v1/live', (req, res) => {
    // The feed starts from the analytics cache's cursor: an ingest-only process has none.
    if (!deps.feed) throw analyticsOff();
    const feed = deps.feed;
    if (feed.subscribers >= MAX_WATCHERS) throw new HttpError(503, 'busy', `at most ${MAX_WATCHERS} live streams per collector`, { 'Retry-After': '30' });
    res.status(200).set({ 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
    res.flushHeaders();
    res.write(': spur live events\n\n');
    const unsubscribe = feed.subscribe(
      (events) => res.write(`event: events\ndata: ${JSON.stringify(events)}\n\n`),
      () => res.end(),
    );
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
    keepalive.unref();
    req.on('close', () => {
      clearInterval(keepalive);
      unsubscribe();
    });
  });
  return router;
}
