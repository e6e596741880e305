// Word of events this process has just committed, for the parts that react to them at once: the
// live streams (an event on GET /v1/live within a second of its commit) and the webhook
// dispatcher (a delivery leaves without waiting for its next poll). Events committed by other
// collectors on the same database are found by those parts' own polling.
import type { StoredEvent } from '@spur/sdk';
import type { AppendInput } from '../rules/append';
import type { Store } from '../rules/store';

export interface CommitSignal {
  /** Calls `listener` with the events of each append that stored at least one, after its commit. */
  on(listener: (events: readonly StoredEvent[]) => void): void;
}

/**
 * The store with an append that tells the signal's listeners after each commit; everything else
 * is the store's own (read through the prototype, so getters stay live while storage opens).
 */
export function signalCommits(store: Store): { store: Store; commits: CommitSignal } {
  const listeners: ((events: readonly StoredEvent[]) => void)[] = [];
  const signalled = Object.create(store) as Store;
  signalled.append = async (input: AppendInput) => {
    const result = await store.append(input);
    if (result.stored.some(Boolean)) {
      const stored = input.events.filter((_, i) => result.stored[i]);
      // A listener's failure must not turn a committed append into an error.
      for (const listener of listeners) {
        try {
          listener(stored);
        } catch {
          // reacting is best effort: the listeners poll as well
        }
      }
    }
    return result;
  };
  return { store: signalled, commits: { on: (listener) => void listeners.push(listener) } };
}
