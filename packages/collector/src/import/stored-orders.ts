// What is stored already of the orders an import is about to store: nothing, the same order (an
// earlier import, or another file), or another one under the same order_id (a conflict, which the
// rules keep among the rejected events when it is sent). Looked up before the orders are sent, so
// that the summary can say which was which; the stored events are found by messageId (one
// indexed lookup each, through the storage contract's reads, which every backend has).
import type { JsonObject } from '@spur/sdk';
import { conflictKey } from '../rules/conflicts';
import type { Storage } from '../storage/types';

export type StoredState = 'new' | 'duplicate' | 'conflict';

const SAME = ['type', 'event', 'userId', 'anonymousId'] as const;

/**
 * Per event (Order Completed events as the importer builds them), what is stored under its
 * messageId: nothing ('new'), the same order ('duplicate'), another one ('conflict').
 */
export async function storedStates(storage: Storage, events: readonly JsonObject[]): Promise<StoredState[]> {
  const bodies = await storage.read(async (reads) => reads.storedBodies([...new Set(events.map((e) => e.messageId as string))]));
  return events.map((event) => {
    const body = bodies.get(event.messageId as string);
    if (body === undefined) return 'new';
    const stored = JSON.parse(body) as JsonObject;
    // The usual case first: the same order as this import builds it, field for field (one
    // builder made both, so their properties serialise alike).
    if (SAME.every((key) => stored[key] === event[key]) && stored.originalTimestamp === event.timestamp && JSON.stringify(stored.properties) === JSON.stringify(event.properties)) {
      return 'duplicate';
    }
    // Otherwise as the rules compare them: what the client authored, and its time.
    const incoming = JSON.stringify({ ...event, originalTimestamp: event.timestamp, receivedAt: '' });
    return conflictKey(body, incoming) === null ? 'duplicate' : 'conflict';
  });
}
