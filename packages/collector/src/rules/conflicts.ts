// Duplicates and conflicts. A messageId is stored once, forever: an event whose messageId is
// stored already is a duplicate. What a client authored in it tells a plain retry (same messageId,
// same event) from a conflict (same messageId, different event), which is kept apart among the
// rejected events, once per distinct payload. A retry of the same event still differs in what
// the collector derives per request (receivedAt, sentAt, the corrected timestamp, context.ip and
// the user agent families), so only client-authored fields count.
import { createHash } from 'node:crypto';
import type { StoredEvent } from '@spur/sdk';

// JSON with object keys sorted at every depth, so that a client re-serializing the same event in
// another key order is not a conflict. Arrays keep their order: it is part of the payload.
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Hash (128 bits, hex) of the client-authored fields: type, event, name, userId, anonymousId,
 * previousId, groupId, properties and traits. Left out: context (the collector rewrites ip and user agent,
 * and clients may refresh it on a resend), sentAt, receivedAt and the corrected timestamp, which
 * change per request, and the client's timestamp, which is compared apart (clientTimestamp).
 */
export function eventFingerprint(e: StoredEvent): string {
  const authored = {
    type: e.type,
    event: e.event,
    name: e.name,
    userId: e.userId,
    anonymousId: e.anonymousId,
    previousId: e.previousId,
    groupId: e.groupId,
    properties: e.properties,
    traits: e.traits,
  };
  return createHash('sha256').update(canonical(authored)).digest('hex').slice(0, 32);
}

/**
 * The time the client gave the event (originalTimestamp), or null when unknown. An event sent
 * without a timestamp gets the receipt time, which changes per request; so an originalTimestamp
 * equal to receivedAt to the millisecond is not known to be the client's (a client on a good
 * clock that sends at once can hit it too) and is not compared.
 */
export function clientTimestamp(e: Pick<StoredEvent, 'originalTimestamp' | 'receivedAt'>): string | null {
  return e.originalTimestamp === e.receivedAt ? null : e.originalTimestamp;
}

/**
 * True when `stored` and `incoming`, under one messageId, are different events: their
 * fingerprints differ, or both carry a known client timestamp and those differ.
 */
export function isConflict(
  stored: { fingerprint: string; clientTimestamp: string | null },
  incoming: { fingerprint: string; clientTimestamp: string | null },
): boolean {
  if (stored.fingerprint !== incoming.fingerprint) return true;
  return stored.clientTimestamp !== null && incoming.clientTimestamp !== null && stored.clientTimestamp !== incoming.clientTimestamp;
}

/**
 * Whether an incoming event whose messageId is stored already conflicts with the stored one
 * (both as their stored JSON). Fingerprints are computed here, from the bodies, rather than
 * stored with every event: duplicates are rare, and hashing every insert cost about 40% of the
 * storage's throughput (bench/README.md). Returns the conflict's dedupe key,
 * `<fingerprint>@<client timestamp>`, or null for a plain resend.
 */
export function conflictKey(storedBody: string, incomingBody: string): string | null {
  const existing = JSON.parse(storedBody) as StoredEvent;
  const incoming = JSON.parse(incomingBody) as StoredEvent;
  const fingerprint = eventFingerprint(incoming);
  const mine = { fingerprint, clientTimestamp: clientTimestamp(incoming) };
  if (!isConflict({ fingerprint: eventFingerprint(existing), clientTimestamp: clientTimestamp(existing) }, mine)) return null;
  return `${fingerprint}@${mine.clientTimestamp ?? ''}`;
}
