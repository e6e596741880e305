// The rules over a storage: what the collector's parts talk to. A Store is the Storage it wraps,
// plus the operations whose outcome the rules decide (appending, profiles, data subjects,
// erasure), the same for every backend. Creating one is cheap: it holds no state of its own (the
// write programs keep theirs where the backend runs them).
import type { Profile, StoredEvent } from '@spur/sdk';
import type { RawEvent, Seq, Storage } from '../storage/types';
import { append, type AppendInput, type AppendResult } from './append';
import { eraseSubject, type ErasureOutcome } from './erasure';
import { readProfile, readProfileEvents } from './profiles';
import { findSubject, subjectEvents, subjectRejected, type DataSubject, type SubjectEventKey, type SubjectLookup } from './subjects';
import type { RejectedRow } from './subject-rejected';

export interface Store extends Storage {
  /**
   * Stores events and rejected events; resolves only after the data is durably committed, with
   * per event whether it was stored now. A messageId already stored is a duplicate (`stored:
   * false`); when what the client authored differs (conflicts.ts), the newcomer is also kept
   * among the rejected events as a conflict (once per distinct payload); a plain resend is not
   * one. Records the links and aliases the events make (identity.ts), and stores nothing that
   * carries an erased subject's id (suppression.ts). Rejects with StorageUnavailableError when
   * the database cannot take it.
   */
  append(input: AppendInput): Promise<AppendResult>;
  /** Profile of a customer id or of any anonymous id; null when the id was never seen. */
  getProfile(id: string): Promise<Profile | null>;
  /** The profile's events in time order (timestamp, then receivedAt); null when unknown. */
  getProfileEvents(id: string, options?: { limit?: number }): Promise<StoredEvent[] | null>;
  /** What `id` names, for a data subject request. */
  findSubject(id: string): Promise<SubjectLookup>;
  /**
   * Keys of the subject's stored events in time order (timestamp, receivedAt, row): events with
   * one of its customer ids, and anonymous-only events of its anonymous ids that it owns at their
   * time or that are Cart Abandoned events naming it. Read page by page.
   */
  subjectEvents(subject: DataSubject): Promise<SubjectEventKey[]>;
  /** The stored JSON of events by row number, in the order asked; rows gone since are skipped. */
  eventsBySeq(seqs: readonly Seq[]): Promise<RawEvent[]>;
  /** The subject's rejected events, a slice per call from `cursor` (start with 0; null at the end). */
  subjectRejected(subject: DataSubject, cursor: number): Promise<{ rows: RejectedRow[]; cursor: number | null }>;
  /** Erases the subject `id` names (erasure.ts eraseSubject). */
  eraseSubject(id: string, options: { at: string; suppressUntil: string | null }): Promise<ErasureOutcome>;
}

const STORE = Symbol('spur.store');

/** The store over `storage`; a Store given is returned as it is (its own methods may be wrapped). */
export function createStore(storage: Storage | Store): Store {
  if (STORE in storage) return storage as Store;
  const store: Store & { [STORE]: true } = {
    [STORE]: true,
    get accounts() {
      return storage.accounts;
    },
    read: (fn) => storage.read(fn),
    write: (program, input) => storage.write(program, input),
    scrub: () => storage.scrub(),
    eventsAfter: (cursor, limit) => storage.eventsAfter(cursor, limit),
    factsAfter: (cursor, limit, prefix) => storage.factsAfter(cursor, limit, prefix),
    readsOnCallingThread: () => storage.readsOnCallingThread(),
    backfillFacts: (task) => storage.backfillFacts(task),
    eventCountEstimate: () => storage.eventCountEstimate(),
    identityGraph: () => storage.identityGraph(),
    eventPage: (range, afterSeq, limit) => storage.eventPage(range, afterSeq, limit),
    identifyPage: (afterSeq, limit) => storage.identifyPage(afterSeq, limit),
    countEvents: (range) => storage.countEvents(range),
    listRejected: (options) => storage.listRejected(options),
    listErasures: () => storage.listErasures(),
    purge: (options) => storage.purge(options),
    generation: () => storage.generation(),
    ping: () => storage.ping(),
    close: () => storage.close(),
    append: (input) => append(storage, input),
    getProfile: (id) => readProfile(storage, id),
    getProfileEvents: (id, options) => readProfileEvents(storage, id, options?.limit),
    findSubject: (id) => findSubject(storage, id),
    subjectEvents: (subject) => subjectEvents(storage, subject),
    eventsBySeq: (seqs) => storage.read(async (r) => r.eventBodies(seqs)),
    subjectRejected: (subject, cursor) => subjectRejected(storage, subject, cursor),
    eraseSubject: (id, options) => eraseSubject(storage, id, options),
  };
  return store;
}
