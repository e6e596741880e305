// Which rejected events are a data subject's. A rejected event failed validation, so the ids it
// carries may be anywhere in it: an event is the subject's when any of its values (rejected-values.ts)
// is one of the subject's customer ids, one of its own anonymous ids, or an email address of its
// identify traits (trimmed, any case). An event that carries only a shared anonymous id (a device
// another customer identified on too) and no userId is the subject's when the subject owned the
// device when the event arrived, as for stored events. Candidates come from storage's index of
// values (rejectedCandidates); each is confirmed on its decoded values, so a false match costs a read.
import { ownerAt, type IdentityLink } from './identity';
import { emailsIn, normalizeValue, rejectedValues } from '../storage/rejected-values';
import type { RejectedBatch, RejectedEntry, RejectedEvent, StorageReads, WriteTransaction } from '../storage/types';

/** A rejected event with the number of the row that holds it (the cursor of subjectRejected). */
export interface RejectedRow extends RejectedEvent {
  id: number;
}

/** Candidate rows read per step. */
const ROWS_PER_SLICE = 200;

/** Who the subject is, as far as rejected events go. */
export interface SubjectIds {
  /** Customer ids (aliases merged). */
  members: ReadonlySet<string>;
  /** Anonymous ids of the subject alone. */
  exclusive: ReadonlySet<string>;
  /** Shared anonymous ids, each with all of its links. */
  sharedLinks: ReadonlyMap<string, IdentityLink[]>;
  /** Stored bodies of the subject's identify events: their traits' emails count as its ids. */
  identifies: readonly string[];
}

export interface RejectedMatcher {
  /** The values to look the subject up by. */
  values: string[];
  owns(batch: RejectedBatch, entry: RejectedEntry): boolean;
}

// The top-level userId of a rejected event: absent (undefined), or anything else it holds
// (text that is not a JSON object counts as holding one: it cannot be read).
function topUserId(raw: string): unknown {
  try {
    const event = JSON.parse(raw) as unknown;
    if (event === null || typeof event !== 'object' || Array.isArray(event)) return raw;
    const userId = (event as Record<string, unknown>).userId;
    return userId === null || userId === '' ? undefined : userId;
  } catch {
    return raw;
  }
}

export function rejectedMatcher(ids: SubjectIds): RejectedMatcher {
  const emails = new Set<string>();
  for (const body of ids.identifies) for (const email of emailsIn((JSON.parse(body) as { traits?: unknown }).traits)) emails.add(email);
  const own = new Set([...ids.members, ...ids.exclusive, ...emails].map(normalizeValue));
  const shared = new Map([...ids.sharedLinks].map(([id, links]) => [normalizeValue(id), links]));
  return {
    values: [...new Set([...own, ...shared.keys()])],
    owns(batch, entry) {
      const values = rejectedValues(entry.raw).map(normalizeValue);
      if (values.some((v) => own.has(v))) return true;
      if (topUserId(entry.raw) !== undefined) return false;
      return values.some((v) => {
        const links = shared.get(v);
        return links !== undefined && ids.members.has(ownerAt(links, batch.receivedAt)!);
      });
    },
  };
}

/** The subject's rejected events in candidate rows after `cursor`; `cursor` is null at the end. */
export async function rejectedSlice(r: StorageReads, match: RejectedMatcher, cursor: number): Promise<{ rows: RejectedRow[]; cursor: number | null }> {
  const ids = await r.rejectedCandidates(match.values, cursor, ROWS_PER_SLICE);
  const rows: RejectedRow[] = [];
  for (const batch of ids.length ? await r.rejectedRows(ids) : []) {
    for (const entry of batch.entries) {
      if (!match.owns(batch, entry)) continue;
      const { reason, messageId, raw } = entry;
      rows.push({ id: batch.id, ...(messageId !== undefined && { messageId }), reason, writeKey: batch.writeKey, receivedAt: batch.receivedAt, raw });
    }
  }
  return { rows, cursor: ids.length < ROWS_PER_SLICE ? null : ids[ids.length - 1] };
}

/** Removes the subject's rejected events (rewriting groups shared with others); returns how many went. */
export async function eraseRejected(tx: WriteTransaction, match: RejectedMatcher): Promise<number> {
  let erased = 0;
  for (let after = 0; ; ) {
    const ids = await tx.rejectedCandidates(match.values, after, ROWS_PER_SLICE);
    for (const batch of ids.length ? await tx.rejectedRows(ids) : []) {
      const keep = batch.entries.filter((entry) => !match.owns(batch, entry));
      erased += batch.entries.length - keep.length;
      if (keep.length < batch.entries.length) await tx.rewriteRejected(batch, keep);
    }
    if (ids.length < ROWS_PER_SLICE) return erased;
    after = ids[ids.length - 1];
  }
}
