// What is stored already of the orders an import is about to store: nothing, the same order (an
// earlier import, or another file), or another one under the same order_id (a conflict, which the
// rules keep among the rejected events when it is sent). Looked up before the orders are sent, so
// that the summary can say which was which; the stored event is found by whom it belongs to,
// through the storage contract's reads, which every backend has.
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
  const users = [...new Set(events.filter((e) => typeof e.userId === 'string').map((e) => e.userId as string))];
  const anonymous = [...new Set(events.filter((e) => typeof e.userId !== 'string').map((e) => e.anonymousId as string))];
  const wanted = new Set(events.map((e) => e.messageId as string));
  const bodies = await storage.read(async (reads) => {
    const found = new Map<string, string>();
    const keep = (rows: readonly { body: string }[]) => {
      for (const { body } of rows) {
        // `{"messageId":"…"`: the stored body begins with it (toStoredEvent).
        const id = body.slice(14, body.indexOf('"', 14));
        if (wanted.has(id)) found.set(id, body);
      }
    };
    if (users.length) keep(await reads.customerEvents(users));
    for (const id of anonymous) keep(await reads.anonymousOnlyEvents(id));
    return found;
  });
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
