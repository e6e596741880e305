// Suppression after an erasure: for SPUR_SUPPRESS_DAYS, an event carrying an erased id is not
// stored (a client's resend must not bring the subject back). Ids are kept as keyed hashes
// (HMAC-SHA256 with the database's own random salt), never as text, so that the suppressions
// and the audit of erasures name nobody, and a hash is no dictionary lookup shared by every spur
// database.
import { createHmac } from 'node:crypto';
import type { WriteTransaction } from '../storage/types';

/** The salted hash the suppressions and the audit keep instead of an id. */
export function hashId(salt: string, id: string): string {
  return createHmac('sha256', salt).update(id).digest('hex');
}

/** Ids hashed per suppressor at most, remembered between transactions: a cache, not a record of ids. */
const HASH_CACHE = 100_000;

/**
 * The suppressions as a write program sees them. The table is the truth, shared by every process
 * on the database; the suppressor keeps it in memory and reloads it when the generation moved
 * (read in each write transaction: one row), so that an erasure committed by another process
 * holds from the next transaction here. Ids are hashed only while a suppression exists, once per
 * id seen.
 */
export interface Suppressor {
  /** Reloads when the database changed; call first in each write transaction. */
  sync(tx: Pick<WriteTransaction, 'privacyState' | 'suppressions'>): Promise<void>;
  /** Whether any suppression is loaded (nothing to check otherwise). */
  readonly active: boolean;
  /** True when an event carrying `id`, received at `receivedAt` (ISO), must not be stored. */
  suppresses(id: string | null | undefined, receivedAt: string): boolean;
}

export function createSuppressor(): Suppressor {
  let loaded = -1;
  let salt = '';
  let until = new Map<string, string>();
  let hashes = new Map<string, string>();
  return {
    async sync(tx) {
      const state = await tx.privacyState();
      if (state.generation === loaded) return;
      loaded = state.generation;
      salt = state.salt;
      until = new Map(await tx.suppressions());
      hashes = new Map();
    },
    get active() {
      return until.size > 0;
    },
    suppresses(id, receivedAt) {
      if (!id || until.size === 0) return false;
      let hash = hashes.get(id);
      if (hash === undefined) {
        if (hashes.size >= HASH_CACHE) hashes.clear();
        hashes.set(id, (hash = hashId(salt, id)));
      }
      const end = until.get(hash);
      return end !== undefined && receivedAt < end;
    },
  };
}
