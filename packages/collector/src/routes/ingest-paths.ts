// Every path a client posts events to, listed once, and the one function that decides whether a
// request is for one of them: ingestRoute. The rate limits, the body limits, the fast path, the
// re-issue of the visitor cookie and the ingest router all ask it, so a spelling of a path is
// either that route with every limit or no ingest route at all (404).
import type { EventType } from '@spur/sdk';

/** A path's event type, or 'batch' for a body of `{ batch: [...] }`. */
export type IngestKind = EventType | 'batch';

const SINGLE: readonly EventType[] = ['track', 'page', 'identify', 'alias', 'group', 'screen'];

function table(): Map<string, IngestKind> {
  const paths = new Map<string, IngestKind>();
  // The Segment HTTP Tracking API; RudderStack's libraries post to the same paths.
  paths.set('/v1/batch', 'batch');
  for (const type of SINGLE) paths.set(`/v1/${type}`, type);
  // Segment's browser library (analytics-next) posts to the initial of the type, /b for batches.
  paths.set('/v1/b', 'batch');
  for (const type of SINGLE) paths.set(`/v1/${type[0]}`, type);
  // RudderStack's browser SDK in beacon mode, with the write key in the query string.
  paths.set('/beacon/v1/batch', 'batch');
  // Jitsu: one event per request, browser and server-to-server.
  for (const type of SINGLE) {
    paths.set(`/api/s/${type}`, type);
    paths.set(`/api/s/s2s/${type}`, type);
  }
  return paths;
}

/** Ingest path -> what its body holds. */
export const INGEST_ROUTES: ReadonlyMap<string, IngestKind> = table();

/** Every ingest path. */
export const INGEST_PATHS: readonly string[] = [...INGEST_ROUTES.keys()];

/** An ingest route: its path as listed, and what its body holds. */
export interface IngestRoute {
  path: string;
  kind: IngestKind;
}

const ROUTES = new Map<string, IngestRoute>([...INGEST_ROUTES].map(([path, kind]) => [path, { path, kind }]));

/**
 * The ingest route a path names, or undefined. The spellings Express routes to a path of its own
 * (letters in any case, one trailing slash) name the route; anything else does not: doubled
 * slashes, dot segments, percent-encoded characters. The query string is not part of the path.
 */
export function ingestRouteOf(path: string): IngestRoute | undefined {
  // The common case first, without making a new string.
  const exact = ROUTES.get(path);
  if (exact !== undefined) return exact;
  // ASCII only: toLowerCase maps some other letters onto ASCII ones (the Kelvin sign to k).
  if (!/^[\x21-\x7e]+$/.test(path)) return undefined;
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return ROUTES.get(trimmed.toLowerCase());
}

/**
 * The ingest route of a request (by `req.path`: relative to where the collector is mounted, as
 * Express parsed it, absolute-form targets and query strings included), or undefined.
 */
export function ingestRoute(req: { path: string }): IngestRoute | undefined {
  return ingestRouteOf(req.path);
}
