// Storing events: the write program every append runs in, for every backend. Per group of appends
// (one transaction): events of erased subjects are left out (suppression), the others inserted
// once per messageId (a duplicate is not inserted again; one that differs from the stored event
// is kept among the rejected events as a conflict, once per payload), the identity links and
// aliases they make recorded, and the rejected events kept. The backend is asked once per step
// for the whole group, never once per event.
import type { StoredEvent } from '@spur/sdk';
import type { ConflictKey, EventRow, Program, RejectedEvent, RejectedGroup, Storage, WriteProgram, WriteTransaction } from '../storage/types';
import { CONFLICT_REASON } from '../storage/types';
import { encodeFacts } from '../analytics/stored-facts';
import { rejectedValues } from '../storage/rejected-values';
import { enqueueWebhooks, webhookCandidates } from '../webhooks/payload';
import { conflictKey } from './conflicts';
import { identityWrites } from './identity';
import { createSuppressor } from './suppression';

/** One ingest request's worth of writes, committed atomically with others of its group. */
export interface AppendInput {
  /** The write key the request was authorized with. */
  writeKey: string;
  /** Valid events; `messageId` is the dedupe key across all time. */
  events: StoredEvent[];
  /** Events that failed validation; kept so nothing is silently dropped. */
  rejected: RejectedEvent[];
}

export interface AppendResult {
  /**
   * Per input event: true if stored now, false if its messageId was already stored (duplicate)
   * or it was suppressed.
   */
  stored: boolean[];
  /** How many of the events carry an id of an erased data subject and were not stored; absent when none. */
  suppressed?: number;
}

/**
 * An append as it travels to the transaction (possibly to another thread): per event its lookup
 * columns and its body, serialized once, where the events were built, as flat strings, which
 * cross threads at the cost of a copy.
 */
export interface AppendRows {
  writeKey: string;
  /** FIELDS values per event: messageId, type, anonymousId, userId, timestamp, receivedAt, previousId, body, facts. */
  rows: (string | null)[];
  rejected: RejectedEvent[];
}

/** Values per event in AppendRows.rows; the body (JSON) and the facts are the last. */
export const FIELDS = 9;

/** What the program did with one append. */
export interface AppendOutcome {
  stored: boolean[];
  suppressed: number;
}

/** The rows of an append. */
export function toRows(input: AppendInput): AppendRows {
  const rows: (string | null)[] = new Array(input.events.length * FIELDS);
  let at = 0;
  for (const e of input.events) {
    rows[at++] = e.messageId;
    rows[at++] = e.type;
    rows[at++] = e.anonymousId ?? null;
    rows[at++] = e.userId ?? null;
    rows[at++] = e.timestamp;
    rows[at++] = e.receivedAt;
    rows[at++] = e.previousId ?? null;
    // The write key has its own column. Copied only when present: a copy per event is not free.
    rows[at++] = JSON.stringify(e.writeKey === undefined ? e : { ...e, writeKey: undefined });
    // What the analytics read of it, stored with it: a catch-up reads these, not the body. Made
    // here, where the event is an object still, not from the body on the writer thread.
    rows[at++] = encodeFacts(e);
  }
  return { writeKey: input.writeKey, rows, rejected: input.rejected };
}

/** The append program, as backends load it. */
export const APPEND: WriteProgram<AppendRows, AppendOutcome> = { module: __filename, factory: 'createAppendProgram', grouped: true };

/** Stores an append; resolves after it is durably committed, with what was stored. */
export async function append(storage: Storage, input: AppendInput): Promise<AppendResult> {
  const { stored, suppressed } = await storage.write(APPEND, toRows(input));
  return suppressed > 0 ? { stored, suppressed } : { stored };
}

// An event of the group that was not suppressed: its row (handed to insertEvents as it is: one
// object per event, the writer's hot path), and where its answer goes.
interface Candidate extends EventRow {
  previousId: string | null;
  append: number;
  index: number;
}

/** Makes the append program: one per store (it keeps the suppressions between transactions). */
export function createAppendProgram(): Program<AppendRows, AppendOutcome> {
  const suppressor = createSuppressor();
  return async (tx, appends) => {
    // First, inside the write lock: an erasure committed by any process before it is seen.
    await suppressor.sync(tx);
    const suppressing = suppressor.active;
    const outcomes: AppendOutcome[] = appends.map((a) => ({ stored: new Array<boolean>(a.rows.length / FIELDS).fill(false), suppressed: 0 }));
    const candidates: Candidate[] = [];
    appends.forEach(({ writeKey, rows }, append) => {
      for (let at = 0, index = 0; at < rows.length; at += FIELDS, index++) {
        const anonymousId = rows[at + 2];
        const userId = rows[at + 3];
        const receivedAt = rows[at + 5]!;
        const previousId = rows[at + 6];
        // An erased subject's id: neither the event nor a link nor a conflict is kept. A resend of
        // an erased event lands here too, so erasure stays final for its messageId.
        if (
          suppressing &&
          (suppressor.suppresses(userId, receivedAt) || suppressor.suppresses(anonymousId, receivedAt) || suppressor.suppresses(previousId, receivedAt))
        ) {
          outcomes[append].suppressed++;
          continue;
        }
        const type = rows[at + 1]!;
        const timestamp = rows[at + 4]!;
        candidates.push({ messageId: rows[at]!, type, anonymousId, userId, timestamp, receivedAt, writeKey, body: rows[at + 7]!, facts: rows[at + 8], previousId, append, index });
      }
    });

    // The customer rule looks at the database as it was before this transaction; events stored
    // in it count in their order (identityWrites).
    const aliased = candidates.filter((c) => c.type === 'alias' && c.previousId !== null).map((c) => c.previousId!);
    const identity = identityWrites(aliased.length ? await tx.knownCustomers([...new Set(aliased)]) : new Set());
    const inserted = candidates.length ? await tx.insertEvents(candidates) : [];
    const duplicates: Candidate[] = [];
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i];
      outcomes[c.append].stored[c.index] = inserted[i];
      if (!inserted[i]) duplicates.push(c);
      // Identity is recorded once per stored event; a duplicate adds nothing, nor does an event
      // without a customer id (identityWrites ignores those: most events, so not even called).
      else if (c.userId) identity.add(c);
    }
    // Webhooks of the events stored now, in this transaction: committed with them or not at all.
    const firing = webhookCandidates(candidates.filter((_, i) => inserted[i]));
    if (firing.length) await enqueueWebhooks(tx.webhooks, firing);
    const links = identity.links();
    if (links.length) await tx.upsertLinks(links);
    const aliases = identity.aliases();
    if (aliases.length) await tx.insertAliases(aliases);

    const conflicts = await findConflicts(tx, duplicates);
    const groups: RejectedGroup[] = [];
    appends.forEach((a, append) => {
      for (const c of conflicts) if (c.append === append) groups.push(c.group);
      groups.push(...rejectedGroups(a.rejected, suppressing ? (id, at) => suppressor.suppresses(id, at) : undefined));
    });
    if (groups.length) await tx.insertRejected(groups);
    return outcomes;
  };
}

// The conflicts among duplicates: once per distinct payload, whether recorded before or earlier
// in this transaction.
async function findConflicts(tx: WriteTransaction, duplicates: Candidate[]): Promise<{ append: number; group: RejectedGroup }[]> {
  if (!duplicates.length) return [];
  const stored = await tx.storedBodies([...new Set(duplicates.map((d) => d.messageId))]);
  const found: { append: number; key: ConflictKey; row: EventRow }[] = [];
  for (const d of duplicates) {
    const body = stored.get(d.messageId);
    const key = body === undefined ? null : conflictKey(body, d.body);
    if (key !== null) found.push({ append: d.append, key: { messageId: d.messageId, key }, row: d });
  }
  if (!found.length) return [];
  const recorded = await tx.conflictsRecorded(found.map((f) => f.key));
  const seen = new Set<string>();
  const out: { append: number; group: RejectedGroup }[] = [];
  found.forEach(({ append, key, row }, i) => {
    const id = JSON.stringify([key.messageId, key.key]);
    if (recorded[i] || seen.has(id)) return;
    seen.add(id);
    const entries = [{ reason: CONFLICT_REASON, messageId: key.messageId, raw: row.body }];
    out.push({ append, group: { writeKey: row.writeKey, receivedAt: row.receivedAt, entries, conflict: key } });
  });
  return out;
}

/**
 * Rejected events as stored groups: consecutive ones with the same write key and receipt time
 * share one. With `suppresses`, one that carries an erased id anywhere is not kept: an erasure
 * would take it.
 */
function rejectedGroups(rejected: readonly RejectedEvent[], suppresses?: (id: string, receivedAt: string) => boolean): RejectedGroup[] {
  const groups: RejectedGroup[] = [];
  let group: RejectedGroup | null = null;
  for (let i = 0; i < rejected.length; i++) {
    const r = rejected[i];
    // Parsed for its values only when they are looked at here; the backend indexes the rest itself.
    const values = suppresses ? rejectedValues(r.raw) : undefined;
    if (!values?.some((v) => suppresses!(v, r.receivedAt))) {
      group ??= { writeKey: r.writeKey, receivedAt: r.receivedAt, entries: [], ...(values && { values: [] }) };
      group.entries.push({ reason: r.reason, ...(r.messageId !== undefined && { messageId: r.messageId }), raw: r.raw });
      if (values) group.values!.push(...values);
    }
    const next = rejected[i + 1];
    if (group && (!next || next.writeKey !== r.writeKey || next.receivedAt !== r.receivedAt)) {
      groups.push(group);
      group = null;
    }
  }
  return groups;
}
