// Every path a client posts events to, listed once. The ingest routes, the fast path, the rate
// limit and the re-issue of the visitor cookie (app.ts) all read this table, so a path added
// here gets every limit the others get.
import type { EventType } from '../../../sdk/src/types';

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
