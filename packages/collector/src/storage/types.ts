// The storage contract: what a backend (SQLite today, PostgreSQL next) implements. A backend
// reads and writes; it decides nothing about events. Which events are duplicates or conflicts,
// which ids are linked or aliased, what is suppressed and who a data subject is are decided by
// the rules (rules/), the same for every backend, and executed through the primitives below,
// inside the transactions the rules ask for. The contract suite (test/storage/contract.ts) runs
// the rules over every backend.
//
// Reads and writes are batch-oriented: the rules ask once per group of appends (insert these
// events, the bodies of these duplicates, these links), never once per event, so that a networked
// backend pays one round trip per step of a group, not per event. A primitive answers a value or a
// promise of one (Answer<T>): SQLite answers at once on its own thread, PostgreSQL over the network.
import type { StoredEvent } from '@spur/sdk';
import type { AccountStorage } from './accounts';
import type { WebhookWrites } from './webhooks';

/** Reason kept with an event whose messageId was already stored with another payload. */
export const CONFLICT_REASON = 'conflict: messageId already stored with a different payload';

/** Write key recorded on events the collector derives itself (Cart Abandoned). */
export const DERIVED_WRITE_KEY = 'spur:derived';

/** A primitive's answer: at once, or later. */
export type Answer<T> = T | Promise<T>;

/** An anonymous id seen together with a customer id; firstSeen is the earliest such event time. */
export interface IdentityLink {
  anonymousId: string;
  userId: string;
  /** Normalized ISO time: compares correctly as text. */
  firstSeen: string;
}

/** alias event: previousId was merged into userId. */
export interface AliasEdge {
  previousId: string;
  userId: string;
}

/** The identity graph, as storage holds it. */
export interface IdentityGraph {
  links: readonly IdentityLink[];
  /** In the order recorded; when one previousId appears twice, the first wins (as in storage). */
  aliases: readonly AliasEdge[];
}

/** An event as insertEvents takes it: its lookup columns and the stored body (JSON). */
export interface EventRow {
  messageId: string;
  type: string;
  anonymousId: string | null;
  userId: string | null;
  /** The corrected event time, normalized ISO (compares as text). */
  timestamp: string;
  receivedAt: string;
  writeKey: string;
  /** The event as the admin API returns it, without its write key. */
  body: string;
  /**
   * The event's facts: short text the rules derive from it at ingest (analytics/stored-facts.ts),
   * stored with the row and gone with it, handed back by factsAfter. Opaque to storage; null or
   * absent: none (rows stored before facts existed).
   */
  facts?: string | null;
}

/** Storage.factsAfter's answer. */
export interface FactsPage {
  /**
   * JSON text `[key,row,key,row,...]` (`[]` when there are no rows): as UTF-8 bytes, which move
   * to another thread without a copy, or as a string where the backend holds the rows as strings.
   */
  page: Uint8Array | string;
  rows: number;
  cursor: string | null;
}

/** One step of the facts backfill (Storage.backfillFacts): the rows it looks at, at most. */
export interface FactsBackfillTask {
  /**
   * The facts layout this build writes: rows without facts, or whose facts start `[n,` with n
   * below it, are rewritten; facts of this version or a newer one are left as they are.
   */
  version: number;
  /** Rows looked at in this step at most, in commit order from where the backfill stands. */
  limit: number;
  /** The facts of a stored body (EventRow.facts as ingest makes them); throws for a body it cannot read. */
  encode(body: string): string;
}

/** What one step of the facts backfill did. */
export interface FactsBackfillStep {
  /** Rows looked at (fewer than the limit: it reached the last row committed). */
  looked: number;
  /** Rows whose facts it wrote (a row deleted meanwhile is not written, never stored again). */
  written: number;
  /** Rows whose body `encode` threw for: left as they are (the catch-up reads their body). */
  failed: number;
  /** About how many stored rows are after this step (0 when it reached the end); for progress only. */
  remaining: number;
  /** Another process is doing a step of this backfill now: nothing was done, try again later. */
  busy: boolean;
}

/**
 * A stored event's row number: a number that orders events by arrival within one database and
 * names a row for eventBodies and deleteEvents. Not a catch-up position (see eventsAfter).
 */
export type Seq = number;

/** A stored event as its JSON text, with its row number and time. */
export interface RawEvent {
  seq: Seq;
  timestamp: string;
  body: string;
}

/** A stored event without its body: enough to order it, own it and fetch it. */
export interface EventKey {
  seq: Seq;
  type: string;
  timestamp: string;
  receivedAt: string;
  writeKey: string;
}

/** A time range of events, epoch ms: [from, to); an absent end is open. */
export interface EventRange {
  from?: number;
  to?: number;
}

/** An event that failed validation, as kept in the rejected-events table. */
export interface RejectedEvent {
  /** The event as received, serialized as JSON. */
  raw: string;
  reason: string;
  /** The client's messageId when it sent a string one. */
  messageId?: string;
  writeKey: string;
  receivedAt: string;
}

/** One rejected event inside a stored group. */
export interface RejectedEntry {
  reason: string;
  messageId?: string;
  raw: string;
}

/**
 * Rejected events received together (one request's with one write key and receipt time, or one
 * conflict), stored as one row (storage/rejected-codec.ts). A backend indexes the values of each
 * entry (storage/rejected-values.ts) as keyed hashes, so that rejectedCandidates finds them.
 */
export interface RejectedGroup {
  writeKey: string;
  receivedAt: string;
  entries: RejectedEntry[];
  /** The values of the entries (rejectedValues), when the caller has them: each raw is parsed once. */
  values?: string[];
  /** For a conflict (one entry): its messageId and key, the dedupe of conflictsRecorded. */
  conflict?: ConflictKey;
}

/** A recorded conflict: the messageId and `<fingerprint>@<client timestamp>` of the newcomer. */
export interface ConflictKey {
  messageId: string;
  key: string;
}

/** A stored group of rejected events, with the number of its row. */
export interface RejectedBatch {
  id: number;
  writeKey: string;
  receivedAt: string;
  entries: RejectedEntry[];
}

/** What one erasure removed, per kind. */
export interface ErasureCounts {
  /** Stored events, Cart Abandoned events excluded. */
  events: number;
  /** Cart Abandoned events the collector derived from them. */
  derivedEvents: number;
  identityLinks: number;
  aliases: number;
  rejectedEvents: number;
  /** Anonymous ids of the subject only, gone with everything they carried. */
  anonymousIds: number;
  /** Ids whose later events are suppressed (0 when suppression is off). */
  suppressedIds: number;
}

/** The one trace an erasure leaves: a keyed hash of the requested id, the counts, the time. */
export interface ErasureRecord {
  /** HMAC-SHA256 of the requested id, keyed with the database's own random salt (hex). */
  subjectHash: string;
  erasedAt: string;
  counts: ErasureCounts;
}

/** What a retention purge removed (or, dry, would remove). */
export interface PurgeCounts {
  /** Events (Cart Abandoned included) whose timestamp is before the cutoff. */
  events: number;
  /** Rejected events received before their cutoff. */
  rejectedEvents: number;
}

/**
 * Reads the rules compose: identity, a subject's events, rejected events by value. Inside
 * Storage.read they all see one committed state of the database; inside a write transaction,
 * that transaction's state (its own writes included). Ids are compared exactly (no case folding).
 */
export interface StorageReads {
  /**
   * Those of `ids` that are customer ids: the userId of a stored event, of an identity link or of
   * an alias edge. The one definition, for profiles, subjects and the alias rule.
   */
  knownCustomers(ids: readonly string[]): Answer<Set<string>>;
  /** Those of `ids` that are anonymous ids: the anonymousId of a stored event or of a link. */
  knownAnonymous(ids: readonly string[]): Answer<Set<string>>;
  /** The alias edges whose previousId is one of `ids` (at most one each: the first alias wins). */
  aliasesFrom(ids: readonly string[]): Answer<AliasEdge[]>;
  /** The alias edges whose userId is one of `ids`. */
  aliasesInto(ids: readonly string[]): Answer<AliasEdge[]>;
  /** The alias edges from or into `id`, in the order recorded (time, then previousId). */
  aliasesOf(id: string): Answer<AliasEdge[]>;
  /** The links whose userId is one of `userIds`. */
  linksOfCustomers(userIds: readonly string[]): Answer<IdentityLink[]>;
  /** The links whose anonymousId is one of `anonymousIds`. */
  linksOfAnonymous(anonymousIds: readonly string[]): Answer<IdentityLink[]>;
  /** Every stored event whose userId is one of `userIds`, with its row number, in no set order. */
  customerEvents(userIds: readonly string[]): Answer<RawEvent[]>;
  /** The stored bodies of the events with these messageIds, by messageId (absent: not stored). */
  storedBodies(messageIds: readonly string[]): Answer<Map<string, string>>;
  /**
   * Every stored event with this anonymousId and no userId (only an anonymous id's own events:
   * what a link decides the owner of), in no set order.
   */
  anonymousOnlyEvents(anonymousId: string): Answer<RawEvent[]>;
  /** Keys of the events whose userId is `userId`, row number after `after`, in row order, `limit` at most. */
  customerEventKeys(userId: string, after: Seq, limit: number): Answer<EventKey[]>;
  /**
   * A page of keys of the events with this anonymousId and no userId, from `cursor` (null: the
   * start; opaque: the backend's own), about `limit` at most (a page may hold fewer, even none,
   * and the next more: the backend bounds the work of one page); `cursor` null at the end.
   * Each key of a Cart Abandoned event (DERIVED_WRITE_KEY) carries the customer id its properties
   * name (`customer_id`), or null.
   */
  anonymousEventKeys(
    anonymousId: string,
    cursor: string | null,
    limit: number,
  ): Answer<{ keys: (EventKey & { derivedCustomerId: string | null })[]; cursor: string | null }>;
  /** The stored bodies of the events with these row numbers, in the order asked; rows gone are skipped. */
  eventBodies(seqs: readonly Seq[]): Answer<RawEvent[]>;
  /**
   * Numbers of the rows of rejected events after `after` that hold one of `values` (compared as
   * normalizeValue makes them: emails trimmed and lower-cased), ascending, `limit` at most. Found
   * through the index, at a cost that grows with what matches; a row may be a false match (the
   * index keeps short hashes): the caller confirms on the decoded events.
   */
  rejectedCandidates(values: readonly string[], after: number, limit: number): Answer<number[]>;
  /** The rows of rejected events with these numbers, decoded, ascending; rows gone are skipped. */
  rejectedRows(ids: readonly number[]): Answer<RejectedBatch[]>;
}

/**
 * What a write program gets: the reads, and the writes of one transaction. Everything it writes
 * commits together or not at all. The backend serializes write transactions (of every process on
 * the database, with one another and with purges): SQLite by its one write lock, taken up front
 * (BEGIN IMMEDIATE); PostgreSQL by locking the one privacy_state row first thing (SELECT … FOR
 * UPDATE), so that the rules see each other's writes as SQLite makes them: a duplicate, a customer
 * or a suppression committed by another process is seen by the next transaction anywhere.
 */
export interface WriteTransaction extends StorageReads {
  /** Webhook endpoints, the outbox and the delivery log (webhooks.ts). */
  readonly webhooks: WebhookWrites;
  /** The database's random salt (keys the hashes of ids) and generation (see Storage.generation). */
  privacyState(): Answer<{ salt: string; generation: number }>;
  /** Every suppression: [HMAC-SHA256 of an erased id keyed with the salt (hex), until (ISO)]. */
  suppressions(): Answer<[string, string][]>;
  /**
   * Inserts each event whose messageId is not stored yet, in the order given, and answers per
   * row whether it was inserted now; a messageId twice in `rows` is inserted once (the first).
   * Idempotent: an event is stored once, forever (PostgreSQL: one multi-row `INSERT … ON
   * CONFLICT (message_id) DO NOTHING RETURNING message_id`). Row numbers of one call grow in the
   * order given. The backend also keeps what it needs to find an anonymous id's events later.
   */
  insertEvents(rows: readonly EventRow[]): Answer<boolean[]>;
  /**
   * Records each link, or moves an existing link's firstSeen back to the earlier time. Order does
   * not matter (min is commutative); the caller gives each (anonymousId, userId) pair once.
   */
  upsertLinks(links: readonly IdentityLink[]): Answer<void>;
  /** Records each alias whose previousId has none yet, in the order given: the first alias of an id wins, also within one call. */
  insertAliases(aliases: readonly (AliasEdge & { createdAt: string })[]): Answer<void>;
  /** Per key, whether that conflict is recorded already (a group of its own with that key). */
  conflictsRecorded(keys: readonly ConflictKey[]): Answer<boolean[]>;
  /** Stores the groups in the order given (row numbers grow in that order), with their index. */
  insertRejected(groups: readonly RejectedGroup[]): Answer<void>;
  /** Deletes the events with these row numbers; answers how many there were. */
  deleteEvents(seqs: readonly Seq[]): Answer<number>;
  /** Deletes what the backend keeps to find the events of these anonymous ids, where none is left. */
  forgetAnonymous(anonymousIds: readonly string[]): Answer<void>;
  /** Deletes the links of these customer ids; answers how many. */
  deleteLinks(userIds: readonly string[]): Answer<number>;
  /** Deletes the alias edges from or into these ids; answers how many (each once). */
  deleteAliases(ids: readonly string[]): Answer<number>;
  /** Keeps only `keep` of a stored group's entries (its row goes when none is left), index included. */
  rewriteRejected(batch: RejectedBatch, keep: readonly RejectedEntry[]): Answer<void>;
  /** Deletes the suppressions that ended at or before `now`. */
  expireSuppressions(now: string): Answer<void>;
  /** Suppresses each id hash until `until`, or later where it already was. */
  suppress(idHashes: readonly string[], until: string): Answer<void>;
  /** The latest erasure of this subject hash whose copies are not scrubbed from the files yet. */
  unscrubbedErasure(subjectHash: string): Answer<{ erasedAt: string; suppressedUntil: string | null; counts: ErasureCounts } | undefined>;
  /** Keeps an erasure's record (unscrubbed until Storage.scrub succeeds). */
  recordErasure(record: ErasureRecord & { suppressedUntil: string | null }): Answer<void>;
  /** Increases the generation: every analytics cache on the database starts over. */
  bumpGeneration(): Answer<void>;
}

/**
 * A program of the rules that runs inside a write transaction of the backend: `inputs` of one
 * transaction in, one output per input out (in order). It may keep state between transactions
 * (a cache it checks against the database in each). Inputs and outputs are plain data: a backend
 * may run the program on another thread (SQLite's writer).
 */
export type Program<I, O> = (tx: WriteTransaction, inputs: readonly I[]) => Promise<O[]>;

/**
 * Names a program by where it lives, so that any thread can load it: `module` (an absolute path)
 * exports `factory`, a function that makes the program; a backend calls it once per open store.
 * I and O are the program's input and output.
 */
export interface WriteProgram<I, O> {
  readonly module: string;
  readonly factory: string;
  /**
   * true: the inputs of every caller of the moment share one transaction and one commit (group
   * commit), and a failure fails them all. false: each input has a transaction of its own.
   */
  readonly grouped: boolean;
  /** Never set: carries I and O for the compiler. */
  readonly types?: (input: I) => O;
}

export interface Storage {
  /** The dashboard's accounts, sessions, sign-in failures and saved funnels (accounts.ts). */
  readonly accounts: AccountStorage;
  /**
   * Runs `fn` over reads that all see one committed state of the database (SQLite: one read
   * transaction; PostgreSQL: REPEATABLE READ, READ ONLY, on one connection), so that links and
   * events of different moments never meet. Keep it short: it holds a snapshot.
   */
  read<T>(fn: (reads: StorageReads) => Promise<T>): Promise<T>;
  /**
   * Runs `program` over `input` in a write transaction (grouped with the inputs of other callers
   * of the moment when the program says so) and resolves with its output only after COMMIT is
   * durable (SQLite: synchronous=FULL; PostgreSQL: synchronous_commit=on). Rejects with
   * StorageUnavailableError when the database cannot take it; then nothing of the transaction is
   * stored. Write transactions are serialized across processes (see WriteTransaction).
   */
  write<I, O>(program: WriteProgram<I, O>, input: I): Promise<O>;
  /**
   * Makes sure no copy of what committed transactions deleted is left in the database's files
   * (SQLite: the WAL emptied into the main file and cut to zero bytes; readers of old snapshots
   * can delay it), and marks every erasure recorded so far scrubbed. Resolves false when it could
   * not finish in the backend's wait; asking again tries again.
   */
  scrub(): Promise<boolean>;
  /**
   * Up to `limit` stored events after `cursor` (null: from the first), in commit order, and the
   * cursor to resume from (unchanged when there were none). The cursor is opaque and the
   * backend's own; no event committed later is ever before it (SQLite: the row number, rows being
   * numbered in commit order by the one writer; PostgreSQL: the inserting transaction's id, read
   * only below the snapshot's xmin, then the row's). How the analytics cache catches up, reading
   * only what is new.
   */
  eventsAfter(cursor: string | null, limit: number): Promise<{ rows: StoredEvent[]; cursor: string | null }>;
  /**
   * eventsAfter for a cache that needs only the events' facts: the same rows (`rows` of them) and
   * cursor (the two share cursors), as one page: the JSON text of an array `[key,row,key,row,...]`,
   * each row its facts (EventRow.facts) when they start with `prefix`, else its body (rows stored
   * without facts, or with facts of another layout), each key a number; ordered by key, the rows
   * are in commit order. Reads no body it does not return, and parses nothing.
   */
  factsAfter(cursor: string | null, limit: number, prefix: string): Promise<FactsPage>;
  /**
   * One step of rewriting stale facts (rows stored by an older build: none, or of an older
   * layout) into `task.version`'s: looks at up to `task.limit` rows after where the backfill of
   * that version stands, in commit order, and writes `encode(body)` into the facts of the stale
   * ones, in one short transaction that also records where it stands, in the database (a restart,
   * or another process on the database, goes on from there; SQLite may look at up to 50,000 rows
   * again after a restart when none of them needed writing). Only the facts column changes: a row
   * keeps its place in commit order (eventsAfter never hands it out again), a row deleted
   * meanwhile (erasure, retention) is not written. Two processes never write the same facts twice
   * (PostgreSQL: the step's row is locked, and another process answers `busy` without waiting;
   * SQLite: two processes may look at the same rows, and the second writes nothing, since each
   * UPDATE tests the row's staleness again).
   */
  backfillFacts(task: FactsBackfillTask): Promise<FactsBackfillStep>;
  /**
   * True when a read's work is done by the calling thread (SQLite reads the rows before the call
   * returns), false when a server does it while this thread waits (PostgreSQL). A large analytics
   * catch-up parses its pages on a thread of its own only in the first case (jobs/catch-up.ts):
   * there it frees this thread to read the next page; in the second, this thread waits anyway.
   */
  readsOnCallingThread(): boolean;
  /**
   * About how many events are stored, cheaply (for progress reports only, never correctness):
   * SQLite: the span of row numbers; PostgreSQL: e.g. the planner's estimate. 0 when empty.
   */
  eventCountEstimate(): Promise<number>;
  /** Every identity link and alias, read at one moment. */
  identityGraph(): Promise<IdentityGraph>;
  /**
   * Up to `limit` events with their time in `range`, after row `afterSeq`, in row order, as the
   * stored JSON text: the events export, page by page, without parsing and re-serialising.
   */
  eventPage(range: EventRange, afterSeq: Seq, limit: number): Promise<RawEvent[]>;
  /**
   * Up to `limit` identify events that name a customer id, after row `afterSeq`, in row order:
   * the order importer's customer lookup reads their traits. The database passes over the other
   * events (no body of theirs is read out).
   */
  identifyPage(afterSeq: Seq, limit: number): Promise<RawEvent[]>;
  /** How many stored events have their time in `range`. */
  countEvents(range: EventRange): Promise<number>;
  /** Rejected events, oldest first. */
  listRejected(options?: { limit?: number }): Promise<RejectedEvent[]>;
  /** Erasures, oldest first. */
  listErasures(): Promise<ErasureRecord[]>;
  /**
   * Deletes events whose timestamp is before `before` (none when null) and rejected events
   * received before `rejectedBefore` (default: `before`; none when null), in small
   * transactions so that appends go on meanwhile, and suppressions expired by `now`. Bumps
   * generation() when events went. `dryRun` only counts.
   */
  purge(options: { before: string | null; rejectedBefore?: string | null; now: string; dryRun?: boolean }): Promise<PurgeCounts>;
  /**
   * A counter that every erasure and every purge that deleted events increases, in the
   * database: caches of stored events (the analytics engine) start over when it changed.
   */
  generation(): Promise<number>;
  /**
   * Resolves when the database can take a write now; used by /readyz. Rejects with
   * StorageUnavailableError whose `reason` names the failure (disk_full, read_only, locked, ...).
   * A backend commits a real write (cheaply, with the writes of the moment) rather than only
   * reading, and keeps reporting a failed grouped write for a while even if its own probe passes.
   */
  ping(): Promise<void>;
  /** Commits what is queued, then closes. Idempotent; later calls fail with StorageUnavailableError. */
  close(): Promise<void>;
}
