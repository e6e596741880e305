// Erasure of a data subject (GDPR Art. 17): everything subjects.ts shows of it goes, in one
// write transaction of its own (never grouped with appends: its failure fails only itself), and
// its ids are suppressed for a while; the one trace left is an audit record with a keyed hash of
// the id asked for. Everything is read before anything is deleted: ownership depends on links
// that go too. Then storage scrubs its files of the deleted rows' old copies.
import type { ErasureCounts, EventKey, Program, Storage, WriteProgram, WriteTransaction } from '../storage/types';
import { eraseRejected } from './subject-rejected';
import { eventPages, isDerived, lookup, scopeOf, subjectMatcher, type Reading } from './subjects';
import { hashId } from './suppression';
import { subjectNeedles } from '../webhooks/payload';

export type ErasureOutcome =
  | {
      status: 'erased';
      erasedAt: string;
      suppressedUntil: string | null;
      counts: ErasureCounts;
      /**
       * Whether no copy is left in the database files either (SQLite: the WAL was emptied).
       * False when readers kept an old snapshot too long: the data is gone from every table, but
       * older copies remain in the files until asking again (the same id) finishes the erasure.
       */
      scrubbed: boolean;
    }
  | { status: 'unknown' }
  | { status: 'linked' };

/** An erasure asked for: the id, when (ISO), and until when its ids are suppressed (null: not at all). */
export interface EraseInput {
  id: string;
  at: string;
  suppressUntil: string | null;
}

/** The erasure program, as backends load it. */
export const ERASE: WriteProgram<EraseInput, ErasureOutcome> = { module: __filename, factory: 'createEraseProgram', grouped: false };

/**
 * Erases everything stored about the subject `id` names, in one transaction, and keeps an
 * ErasureRecord; resolves once no copy is left in the database files (see `scrubbed`). Asked
 * again for an id whose erasure is not scrubbed yet, tries to finish it and answers that
 * erasure. Until `suppressUntil` (receipt time), events carrying one of its customer ids or
 * anonymous ids of its own are not stored (a shared anonymous id is not suppressed: it is
 * someone else's too). Bumps the generation.
 */
export async function eraseSubject(storage: Storage, id: string, options: { at: string; suppressUntil: string | null }): Promise<ErasureOutcome> {
  const outcome = await storage.write(ERASE, { id, ...options });
  if (outcome.status !== 'erased') return outcome;
  return { ...outcome, scrubbed: await storage.scrub() };
}

/** Makes the erasure program. */
export function createEraseProgram(): Program<EraseInput, ErasureOutcome> {
  return async (tx, inputs) => {
    const outcomes: ErasureOutcome[] = [];
    for (const input of inputs) outcomes.push(await erase(tx, input));
    return outcomes;
  };
}

async function erase(tx: WriteTransaction, task: EraseInput): Promise<ErasureOutcome> {
  const found = await lookup(tx, task.id);
  const { salt } = await tx.privacyState();
  if (found.status === 'unknown') {
    // Erased already, but its old copies are still in the files: answered again, scrubbed next.
    const pending = await tx.unscrubbedErasure(hashId(salt, task.id));
    return pending ? { status: 'erased', ...pending, scrubbed: false } : found;
  }
  if (found.status !== 'found') return found;
  const subject = found.subject;
  const scope = await scopeOf(tx, subject);
  const inTransaction: Reading = async (fn) => fn(tx);
  const keys: EventKey[] = [];
  for await (const page of eventPages(inTransaction, subject, scope)) keys.push(...page);
  const match = await subjectMatcher(inTransaction, scope, [keys]);
  const counts: ErasureCounts = {
    events: 0,
    derivedEvents: 0,
    identityLinks: 0,
    aliases: 0,
    rejectedEvents: 0,
    anonymousIds: scope.exclusive.size,
    suppressedIds: 0,
  };
  for (const key of keys) counts[isDerived(key) ? 'derivedEvents' : 'events']++;
  if (keys.length) await tx.deleteEvents(keys.map((k) => k.seq));
  counts.identityLinks = await tx.deleteLinks([...scope.members]);
  counts.aliases = await tx.deleteAliases([...scope.members]);
  await tx.forgetAnonymous(subject.anonymousIds);
  counts.rejectedEvents = await eraseRejected(tx, match);
  // Webhook deliveries naming the subject, sent or not, go too (webhooks/payload.ts).
  await tx.webhooks.forgetPayloads(subjectNeedles(scope.members, scope.exclusive));
  await tx.expireSuppressions(task.at);
  if (task.suppressUntil !== null) {
    const ids = new Set([subject.requestedId, ...scope.members, ...scope.exclusive]);
    await tx.suppress([...ids].map((id) => hashId(salt, id)), task.suppressUntil);
    counts.suppressedIds = ids.size;
  }
  await tx.recordErasure({ subjectHash: hashId(salt, subject.requestedId), erasedAt: task.at, counts, suppressedUntil: task.suppressUntil });
  await tx.bumpGeneration();
  return { status: 'erased', erasedAt: task.at, suppressedUntil: task.suppressUntil, counts, scrubbed: false };
}
