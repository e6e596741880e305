// The forensic scenario: a customer with two devices, an identify with traits, orders, a
// conflicting resend, rejected events carrying the ids in odd places, and a device shared with
// another customer who stays. And the scan: the database files, byte by byte, for what an
// erasure must leave nowhere.
import { existsSync, readFileSync } from 'node:fs';
import type { Express } from 'express';
import { ev, MUG, send } from './shop';

/** The subject's ids and what only it sent. */
export const SUBJECT = {
  customerId: 'cus-qf-8fz2q1',
  deviceA: 'dev-qf-a7hq3k',
  deviceB: 'dev-qf-b9mx4w',
  email: 'Quinta.Forensic@Example.org',
  phone: '+49 170 5550199',
  name: 'Quinta Zyxwvut',
};
/** The other customer, who shares a device with the subject and must keep everything. */
export const OTHER = { customerId: 'cus-keep-5tn6', email: 'keep.person@example.net', order: 'ord-keep-7777' };
export const SHARED_DEVICE = 'dev-shared-2pl8x';

/** What must not be found anywhere after the erasure (compared without regard to ASCII case). */
export const SUBJECT_NEEDLES = [
  SUBJECT.customerId,
  SUBJECT.deviceA,
  SUBJECT.deviceB,
  SUBJECT.email,
  '5550199',
  SUBJECT.name,
  'Zyxwvut',
  'Quxburg',
  'ord-qf-0042',
  'ord-qf-0043',
  'ord-qf-0044',
  'QF-SECRET-COUPON',
  'qf-msg-',
  'qf-rej-',
];
/** What must still be there (shows that the scan finds what is stored). */
export const OTHER_NEEDLES = [OTHER.customerId, OTHER.email, OTHER.order, SHARED_DEVICE, 'keep-msg-'];

const S = SUBJECT;
const traits = { email: S.email, phone: S.phone, name: S.name, address: { city: 'Quxburg' } };
const order = ev('track', { messageId: 'qf-msg-04', anonymousId: S.deviceA, userId: S.customerId, event: 'Order Completed', properties: { order_id: 'ord-qf-0042', total: 25, currency: 'EUR' } }, -280);

/** The subject's history on its devices, and the shared device's first part. */
export const FIRST = [
  ev('page', { messageId: 'qf-msg-01', anonymousId: S.deviceA, name: 'Home' }, -310),
  ev('identify', { messageId: 'qf-msg-02', anonymousId: S.deviceA, userId: S.customerId, traits }, -300),
  ev('track', { messageId: 'qf-msg-03', anonymousId: S.deviceA, userId: S.customerId, event: 'Product Added', properties: MUG }, -290),
  order,
  ev('track', { messageId: 'qf-msg-05', anonymousId: S.deviceB, event: 'Product Viewed', properties: MUG }, -250),
  ev('identify', { messageId: 'qf-msg-06', anonymousId: S.deviceB, userId: S.customerId, traits: { email: S.email } }, -240),
  ev('track', { messageId: 'qf-msg-07', anonymousId: S.deviceB, userId: S.customerId, event: 'Order Completed', properties: { order_id: 'ord-qf-0043', total: 12.5 } }, -230),
  ev('track', { messageId: 'qf-msg-08', anonymousId: SHARED_DEVICE, event: 'Product Viewed', properties: MUG }, -400),
  ev('identify', { messageId: 'qf-msg-09', anonymousId: SHARED_DEVICE, userId: S.customerId, traits: { email: S.email } }, -390),
];

/** The other customer takes over the shared device; it has an order and a rejected event of its own. */
export const OTHERS = [
  ev('identify', { messageId: 'keep-msg-01', anonymousId: SHARED_DEVICE, userId: OTHER.customerId, traits: { email: OTHER.email, name: 'Keeper Person' } }, -100),
  ev('track', { messageId: 'keep-msg-02', anonymousId: SHARED_DEVICE, event: 'Product Viewed', properties: MUG }, -90),
  ev('track', { messageId: 'keep-msg-03', userId: OTHER.customerId, event: 'Order Completed', properties: { order_id: OTHER.order, total: 12.5 } }, -80),
  { type: 'track', messageId: 'keep-msg-rej', userId: OTHER.customerId, event: 5 },
];

/**
 * Later: a conflicting resend of an order (same messageId, another payload), an event that
 * arrives late and moves a link's first time back (an update of its row), and rejected events
 * that carry the subject's ids or email only in odd places.
 */
export const LATER = [
  { ...order, properties: { order_id: 'ord-qf-0042', total: 99, coupon: 'QF-SECRET-COUPON' } },
  ev('track', { messageId: 'qf-msg-10', anonymousId: S.deviceB, userId: S.customerId, event: 'Cart Viewed' }, -260),
  { type: 'track', messageId: 'qf-rej-1', event: 'Order Completed', userId: [S.customerId], properties: { order_id: 'ord-qf-0044' } },
  { type: 'track', messageId: 'qf-rej-2', event: 'Newsletter', properties: { customer: { ref: S.customerId } } },
  { type: 'track', messageId: 'qf-rej-3', event: 'Signup', properties: { email: `  ${S.email.toUpperCase()} ` } },
  { type: 'identify', messageId: 'qf-rej-4', context: { traits: { email: S.email.toLowerCase(), phone: S.phone, name: S.name } } },
  { type: 'track', messageId: 'qf-rej-5', anonymousId: S.deviceB, event: 7 },
  { type: 'page', messageId: 'qf-rej-6', anonymousId: 'someone-else-0', properties: { history: [[{ who: ['x', S.customerId] }]] }, timestamp: 'yesterday' },
];
/** The rejected events of LATER that are the subject's, by messageId (the conflict included). */
export const SUBJECT_REJECTED = ['qf-msg-04', 'qf-rej-1', 'qf-rej-2', 'qf-rej-3', 'qf-rej-4', 'qf-rej-5', 'qf-rej-6'];

/** Sends the whole scenario; `between` runs after the first part (e.g. a checkpoint). */
export async function sendScenario(app: Express, between: () => void = () => {}): Promise<void> {
  await send(app, FIRST);
  await send(app, OTHERS);
  between();
  const answer = await send(app, LATER);
  expect(answer.rejected).toHaveLength(SUBJECT_REJECTED.length - 1); // the conflict is answered as a duplicate
  expect(answer.duplicates).toBe(1);
}

/** The database files that exist now: main file, WAL, shared memory, rollback journal. */
export function databaseFiles(file: string): string[] {
  return ['', '-wal', '-shm', '-journal'].map((suffix) => file + suffix).filter((path) => existsSync(path));
}

// ASCII letters folded to lower case, byte by byte (UTF-16 code units of ASCII included).
function fold(bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  for (let i = 0; i < out.length; i++) if (out[i] >= 0x41 && out[i] <= 0x5a) out[i] += 0x20;
  return out;
}

/** Every place a needle occurs in the files, as UTF-8, UTF-16LE or UTF-16BE, ignoring ASCII case. */
export function findNeedles(file: string, needles: readonly string[]): string[] {
  const found: string[] = [];
  for (const path of databaseFiles(file)) {
    const haystack = fold(readFileSync(path));
    for (const needle of needles) {
      const lower = needle.toLowerCase();
      const le = Buffer.from(lower, 'utf16le');
      const encodings: [string, Buffer][] = [
        ['utf-8', Buffer.from(lower, 'utf8')],
        ['utf-16le', le],
        ['utf-16be', Buffer.from(le).swap16()],
      ];
      for (const [encoding, bytes] of encodings) {
        const offset = haystack.indexOf(bytes);
        if (offset !== -1) found.push(`${needle} (${encoding}) in ${path.slice(file.length) || 'main file'} at ${offset}`);
      }
    }
  }
  return found;
}

/** The needles found nowhere in the files. */
export const missing = (file: string, needles: readonly string[]) =>
  needles.filter((needle) => findNeedles(file, [needle]).length === 0);
