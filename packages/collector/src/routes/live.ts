// GET /v1/live: committed events as they arrive, as Server-Sent Events, for scripts with the
// admin token and for the dashboard's Live view (any signed-in account: viewers see the same
// events in the exports). Each message is `event: events`, `id: <generation>:<cursor>` and a JSON
// array of LiveEvent; `?event=Order%20Completed&event=page` keeps only those track event names
// or event types. A reconnecting client sends Last-Event-ID (the `lastEventId` query parameter
// does the same for clients that cannot set headers) and gets what was committed after it; if
// that id is unusable (events were purged or erased since, or it is no id of this stream) the
// stream starts from now and says so in a comment. A comment line every 15 s keeps proxies from
// closing a quiet stream. At most MAX_WATCHERS streams per collector.
import { Router } from 'express';
import { analyticsOff, badRequest, HttpError } from '../errors';
import type { LiveFeed } from '../jobs/live-feed';

export const MAX_WATCHERS = 50;
/** Names in one filter at most. */
export const MAX_FILTER = 20;
const KEEPALIVE_MS = 15_000;

function filterOf(value: unknown): Set<string> {
  const names = value === undefined ? [] : Array.isArray(value) ? value : [value];
  if (names.length > MAX_FILTER || !names.every((n): n is string => typeof n === 'string' && n !== '' && n.length <= 200)) {
    throw badRequest(`event: up to ${MAX_FILTER} event names or types of 1 to 200 characters (event=Order%20Completed&event=page)`);
  }
  return new Set(names);
}

export function createLiveRouter(deps: { feed?: LiveFeed }): Router {
  const router = Router();
  router.get('/v1/live', async (req, res) => {
    // The feed starts from the analytics cache's cursor: an ingest-only process has none.
    if (!deps.feed) throw analyticsOff();
    const feed = deps.feed;
    const filter = filterOf(req.query.event);
    if (feed.subscribers >= MAX_WATCHERS) throw new HttpError(503, 'busy', `at most ${MAX_WATCHERS} live streams per collector`, { 'Retry-After': '30' });
    const lastEventId = req.get('last-event-id') ?? (typeof req.query.lastEventId === 'string' ? req.query.lastEventId : undefined);
    const start = await feed.start(lastEventId);
    if (req.destroyed) return; // gone while the start was read
    res.status(200).set({ 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
    res.flushHeaders();
    res.write(': spur live events\n\n');
    if (start.note) res.write(`: ${start.note}\n\n`);
    // The start's id first: a client that reconnects before any event resumes from here.
    res.write(`id: ${start.id}\nevent: ready\ndata: {}\n\n`);
    const unsubscribe = feed.subscribe(start.cursor, {
      filter,
      send: (events, id) => res.write(`id: ${id}\nevent: events\ndata: ${JSON.stringify(events)}\n\n`),
      end: () => res.end(),
    });
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
    keepalive.unref();
    req.on('close', () => {
      clearInterval(keepalive);
      unsubscribe();
    });
  });
  return router;
}
