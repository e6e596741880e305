// Sending one batch to the collector, and the retry policy for its answer.
import { warn } from './config';
import type { BatchRequest, SpurEvent } from './types';

/**
 * Browsers refuse keepalive requests once the bodies in flight add up to 64 KiB, and a batch sent
 * on pagehide must be keepalive to outlive the page. Batches are split below that, leaving room
 * for the envelope; an event too big on its own goes without keepalive.
 */
export const KEEPALIVE_LIMIT = 60000;
const BASE = 1000;
const CAP = 300000;

/** Exponential backoff with full jitter: a random wait up to 1 s, 2 s, 4 s, ... at most 5 min. */
export function backoff(attempt: number, random = Math.random): number {
  return random() * Math.min(CAP, BASE * 2 ** attempt);
}

/**
 * What to do after one attempt: undefined when the events may leave the outbox, else retry,
 * after this many ms (Retry-After) or, when NaN, after a backoff.
 * 2xx: the collector kept every event (the ones listed under `rejected` with their reason).
 * Network errors, 429 and 5xx are retried. Any other answer (400 malformed, 401 key, 403 origin,
 * 413 size) would be the same next time: drop.
 */
export function verdict(status: number, retryAfter?: string | null): number | undefined {
  if (status === 429 || status >= 500) return retryAfter ? Number(retryAfter) * 1000 : NaN;
  if (status < 200 || status > 299) warn('dropped a batch', status);
}

const bytes = (text: string) => new Blob([text]).size;

/** Splits events into batches of at most `max` events whose JSON stays under the keepalive limit. */
export function chunk(events: SpurEvent[], max: number): SpurEvent[][] {
  const batches: SpurEvent[][] = [];
  let batch: SpurEvent[] = [];
  let size = 0;
  for (const event of events) {
    const n = bytes(JSON.stringify(event)) + 1;
    if (batch.length && (batch.length >= max || size + n > KEEPALIVE_LIMIT)) {
      batches.push(batch);
      batch = [];
      size = 0;
    }
    batch.push(event);
    size += n;
  }
  if (batch.length) batches.push(batch);
  return batches;
}

/**
 * POSTs one batch. text/plain keeps it a simple request, so no CORS preflight; credentials let
 * the collector read and re-issue spur_aid. Calls fetch synchronously, which pagehide needs.
 * Never rejects.
 */
export async function send(
  fetchFn: typeof fetch,
  endpoint: string,
  writeKey: string,
  events: SpurEvent[],
): Promise<number | undefined> {
  try {
    const body = JSON.stringify({ batch: events, sentAt: new Date().toISOString(), writeKey } as BatchRequest);
    const res = await fetchFn(`${endpoint}/v1/batch`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body,
      credentials: 'include',
      keepalive: bytes(body) < 65536,
    });
    return verdict(res.status, res.headers.get('Retry-After'));
  } catch {
    return NaN; // Network error.
  }
}
