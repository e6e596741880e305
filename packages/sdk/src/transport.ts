// Sending one batch to the collector, and the retry policy for its answer.
import { warn } from './config';

/**
 * Browsers refuse a keepalive request once the keepalive bodies a page has in flight would pass
 * 64 KiB (the Fetch standard's inflight keepalive bytes), and only a keepalive request outlives
 * the page that sent it.
 */
export const KEEPALIVE_QUOTA = 65536;
/**
 * Parcels and the batches sent when the page is hidden or goes away stay under this, leaving room
 * for the envelope (~80 B and the write key); an event too big on its own goes alone. spur's JSON
 * is ASCII (track.ts), so its length is its size in bytes.
 */
export const KEEPALIVE_LIMIT = 64000;
/**
 * Batches sent while the page is shown, with ordinary requests, stay under this: well under the
 * collector's 500 KiB cap on a request (512,000 B; room for the envelope and a long write key).
 * Each request costs Chrome's main thread ~0.6–1 ms whatever its size, so a burst should take as
 * few as it can: 1,000 events are 2 requests, not the 12 that keepalive's 64 KiB would need.
 */
export const LIMIT = 480000;
/** A request that has not been answered by then is aborted and retried: a hung collector must not hold the queue. */
export const TIMEOUT = 10000;

/** Exponential backoff with full jitter: a random wait up to 1 s, 2 s, 4 s, ... at most 5 min. */
export const backoff = (attempt: number): number => Math.random() * Math.min(300000, 1000 * 2 ** attempt);

/** The next batch: the first parcels (each `[key, events]`) that fit `limit` together, at least one. */
export function batchOf<T extends [unknown, string[], ...unknown[]]>(parcels: T[], limit: number): T[] {
  const batch: T[] = [];
  let size = 0;
  for (const parcel of parcels) {
    // (Not join().length: a copy of 64 KB per parcel, for the garbage collector.)
    for (const json of parcel[1]) size += json.length + 1;
    if (batch.length && size > limit) break;
    batch.push(parcel);
  }
  return batch;
}

/**
 * The `/v1/batch` body around events that are JSON already (in arrays of arrays, which join
 * flat): `{batch, sentAt, writeKey, dropped}`, `dropped`: how many events were dropped (outbox
 * bound, 7-day TTL) since the last batch, usually 0.
 */
export function body(events: (string | string[])[], writeKey: string, dropped: number): string {
  return `{"batch":[${events}],${JSON.stringify({ sentAt: new Date().toISOString(), writeKey, dropped }).slice(1)}`;
}

/** What send() resolves to when the collector refused the write key (401) or this page's origin (403). */
export const REFUSED = -1;

/**
 * POSTs one batch as text/plain, a simple request: no CORS preflight, which a keepalive request
 * could not wait for anyway. (A body beyond the keepalive quota went as a Blob: for 366 KB Chrome's
 * main thread spends ~1.9 ms on a Blob and ~3 ms on a string, about 1 µs per event of a burst;
 * its 25 B gzip went to idb-keyval and to the 401/403 handling.) Credentials let the collector
 * read and re-issue spur_aid. Calls fetch synchronously, which pagehide needs. Never rejects.
 *
 * Resolves to undefined when the events may leave the outbox, else to a retry delay: ms
 * (Retry-After) or, when NaN, a backoff; or to REFUSED. 2xx: the collector kept every event (the
 * ones listed under `rejected` with their reason). Network errors, timeouts, 429 and 5xx are
 * retried. 401 (write key missing or unknown) and 403 (origin not allowed for the key) refuse
 * every request of this page alike: REFUSED, and in debug mode the collector's message (what to fix).
 * Any other answer (400 malformed, 413 size) would be the same next time for this batch: dropped.
 */
export async function send(
  fetchFn: typeof fetch | undefined,
  url: string,
  data: string,
  keepalive: boolean,
): Promise<number | undefined> {
  const abort = new AbortController();
  // Never cleared: aborting a request that has been answered does nothing.
  setTimeout(() => abort.abort(), TIMEOUT);
  try {
    // window.fetch is looked up now: missing, it is a network error, not a crash.
    const res = await (fetchFn || fetch)(url, {
      method: 'POST',
      body: data,
      credentials: 'include',
      keepalive,
      signal: abort.signal,
    });
    // Chrome counts a keepalive request against the page's 64 KiB until its body is read: unread,
    // the next keepalive batch fails. The answer counts even if reading its body does not (an
    // empty 204, a proxy's HTML page).
    const answer = await res.json().catch(() => 0);
    const { status } = res;
    // (Retry-After in seconds; missing, or a date: NaN.)
    if (status == 429 || status > 499) return ((res.headers.get('Retry-After') as unknown as number) || NaN) * 1000;
    // 401 or 403 (the only statuses s with s | 2 == 403): a write key the collector does not know,
    // or an origin the key does not allow. The fix is the same: the key, for this page's origin,
    // which the collector's `{"error":{"code","message"}}` names (it knows both; spur.js would
    // pay 33 B gzip to say it).
    if ((status | 2) == 403) return warn(status, answer?.error?.message), REFUSED;
    // Any other answer (400, 413) drops its batch, without a warning even in debug mode: it cost
    // spur.js 16 B gzip, and these come from the SDK's own bugs or an event over 480 KB.
  } catch {
    return NaN; // Network error, refused connection, abort.
  }
}
