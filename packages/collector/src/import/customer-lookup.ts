// Which known customer an email or phone number belongs to: read once per import from the stored
// identify events (their traits `email` and `phone`, normalised as the import's are), through the
// storage contract's identify pages (StorageReads.identifyPage), so that it works on every
// backend and the database hands over only identify events, not every stored event. Where two
// customers carry one address, the later identify wins (by its time, then by its row): it is what
// the shop knows now.
import type { Storage } from '../storage/types';
import { normalizeEmail, normalizePhone } from './contacts';

/** How an order found its customer: by the file's customer id, an email, a phone, or not at all. */
export type Match = { by: 'customer_id' | 'email' | 'phone'; userId: string } | { by: null };

export interface CustomerLookup {
  /** The customer for an order with these (normalised) keys; customer_id wins, then email, then phone. */
  match(order: { customerId?: string; email?: string; phone?: string }): Match;
  /** Addresses and numbers known. */
  readonly size: number;
}

const PAGE = 5_000;

interface Known {
  userId: string;
  at: string;
}

function remember(map: Map<string, Known>, key: string | null, userId: string, at: string): void {
  if (key === null) return;
  const known = map.get(key);
  if (!known || known.at <= at) map.set(key, { userId, at });
}

/** A lookup over the given identify traits (for tests and for lookups built elsewhere). */
export function customerLookup(emails: ReadonlyMap<string, string>, phones: ReadonlyMap<string, string>): CustomerLookup {
  return {
    match(order) {
      if (order.customerId !== undefined) return { by: 'customer_id', userId: order.customerId };
      const byEmail = order.email === undefined ? undefined : emails.get(order.email);
      if (byEmail !== undefined) return { by: 'email', userId: byEmail };
      const byPhone = order.phone === undefined ? undefined : phones.get(order.phone);
      if (byPhone !== undefined) return { by: 'phone', userId: byPhone };
      return { by: null };
    },
    size: emails.size + phones.size,
  };
}

/**
 * Reads the identify traits of every stored customer. Phone numbers in traits are read as E.164
 * (with `country` for national ones, as the file's are).
 */
export async function loadCustomerLookup(storage: Storage, country?: string): Promise<CustomerLookup> {
  const emails = new Map<string, Known>();
  const phones = new Map<string, Known>();
  let after = 0;
  for (;;) {
    const page = await storage.identifyPage(after, PAGE);
    if (page.length === 0) break;
    after = page[page.length - 1].seq;
    for (const { body } of page) {
      const event = JSON.parse(body) as { type: string; userId?: string; timestamp: string; traits?: Record<string, unknown> };
      if (event.type !== 'identify' || !event.userId || !event.traits) continue;
      const { email, phone } = event.traits;
      if (typeof email === 'string') remember(emails, normalizeEmail(email), event.userId, event.timestamp);
      if (typeof phone === 'string') remember(phones, normalizePhone(phone, country), event.userId, event.timestamp);
    }
  }
  const ids = (map: Map<string, Known>) => new Map([...map].map(([key, known]) => [key, known.userId]));
  return customerLookup(ids(emails), ids(phones));
}
