// How the rejected events received together are kept: one blob per row of rejected_events
// (sqlite/rejected.ts; a PostgreSQL backend keeps the same). A flood of small invalid events cost 36 times the bytes sent when each
// had a row of its own with its reason, write key and receipt time as text (bench/rejected-bytes.js):
// now a row holds every rejected event of a request, reasons are short codes where the
// reason is one of the common fixed ones, and the blob is deflated when that makes it smaller.
// The raw text of each event is kept exactly as given, so access and listing show it as sent.
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { CONFLICT_REASON, type RejectedEntry } from './types';

export type { RejectedEntry } from './types';

/**
 * Reasons stored as their index. Append only: a stored code must keep its meaning. A reason not
 * listed (most name where the problem is) is stored as text.
 */
const REASONS = [
  CONFLICT_REASON,
  'event must be an object',
  'anonymousId or userId is required',
  'type must be one of track, page, identify, alias, group, screen',
  'event is required',
  'event must be a non-empty string',
  'userId must be a non-empty string',
  'anonymousId must be a non-empty string',
  'userId is required',
  'previousId is required',
  'groupId is required',
  'name must be a non-empty string',
  'messageId must be a non-empty string',
  'timestamp must be an ISO 8601 date',
  'originalTimestamp must be an ISO 8601 date',
  'sentAt must be an ISO 8601 date',
  'properties must be an object',
  'traits must be an object',
  'context must be an object',
];
const CODES = new Map(REASONS.map((reason, code) => [reason, code]));

const PLAIN = 0;
const DEFLATED = 1;
/** Smaller blobs are not worth deflating (the deflate stream would be about as long). */
const DEFLATE_FROM = 64;

// Layout, before deflating: a JSON header of [reason code or text, messageId or 0, raw length]
// per event, a newline (JSON.stringify never writes one), then the raw texts back to back:
// embedded as JSON strings they would be escaped, and quotes are most of a JSON event.
export function encodeEntries(entries: readonly RejectedEntry[]): Buffer {
  const header = entries.map((e) => [CODES.get(e.reason) ?? e.reason, e.messageId ?? 0, e.raw.length]);
  let text = JSON.stringify(header) + '\n';
  for (const e of entries) text += e.raw;
  const plain = Buffer.from(text, 'utf8');
  if (plain.length >= DEFLATE_FROM) {
    const deflated = deflateRawSync(plain);
    if (deflated.length < plain.length) return Buffer.concat([Buffer.of(DEFLATED), deflated]);
  }
  return Buffer.concat([Buffer.of(PLAIN), plain]);
}

/** The entries of a blob written by encodeEntries. */
export function decodeEntries(blob: Uint8Array): RejectedEntry[] {
  const bytes = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  const payload = bytes.subarray(1);
  const text = (bytes[0] === DEFLATED ? inflateRawSync(payload) : payload).toString('utf8');
  const newline = text.indexOf('\n');
  const header = JSON.parse(text.slice(0, newline)) as [number | string, string | 0, number][];
  let at = newline + 1;
  return header.map(([reason, messageId, length]) => {
    const raw = text.slice(at, (at += length));
    return {
      reason: typeof reason === 'number' ? REASONS[reason] : reason,
      ...(messageId !== 0 && { messageId }),
      raw,
    };
  });
}
