// How an imported order names its customer when the file gives no customer id: an email (trimmed,
// lower-cased) or a phone number (E.164), compared with what known customers' identify traits
// carry. Neither is stored in clear in the order: an unmatched order's anonymous id is a hash of
// the normalised contact, so two orders of one email are one customer and the address itself
// stays out of the events (data minimisation).
import { createHash } from 'node:crypto';

/**
 * Country calling codes for `--country`: national numbers (without a leading + or 00) are read as
 * numbers of this country. A short list of the shops' usual markets; others give numbers with +.
 */
export const COUNTRY_CODES: Readonly<Record<string, string>> = {
  AT: '43', AU: '61', BE: '32', BG: '359', CA: '1', CH: '41', CY: '357', CZ: '420', DE: '49', DK: '45', EE: '372', ES: '34',
  FI: '358', FR: '33', GB: '44', GR: '30', HR: '385', HU: '36', IE: '353', IS: '354', IT: '39', JP: '81', LI: '423', LT: '370',
  LU: '352', LV: '371', MT: '356', NL: '31', NO: '47', NZ: '64', PL: '48', PT: '351', RO: '40', SE: '46', SI: '386', SK: '421',
  TR: '90', UA: '380', UK: '44', US: '1',
};

// One address: something, one @, a domain with a dot; no spaces. Not RFC 5322: enough to tell a
// mistyped column from an address.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The email as compared: trimmed and lower-cased; null when it is not an address. */
export function normalizeEmail(raw: string): string | null {
  const email = raw.trim().toLowerCase();
  return EMAIL.test(email) ? email : null;
}

/**
 * The phone number in E.164 (`+4930123456`): separators (spaces, dashes, dots, slashes,
 * parentheses) dropped, `00` read as `+`; a national number (no + or 00) only with a `country`
 * (its trunk 0 dropped, the calling code put in front). Null when it cannot be one: E.164 has 8 to
 * 15 digits and no leading 0 after the +.
 */
export function normalizePhone(raw: string, country?: string): string | null {
  let digits = raw.trim().replace(/[\s\-./()]/g, '');
  if (digits.startsWith('00')) digits = `+${digits.slice(2)}`;
  if (!digits.startsWith('+')) {
    const code = country === undefined ? undefined : COUNTRY_CODES[country.toUpperCase()];
    if (code === undefined || !/^\d+$/.test(digits)) return null;
    digits = `+${code}${digits.replace(/^0/, '')}`;
  }
  return /^\+[1-9]\d{7,14}$/.test(digits) ? digits : null;
}

const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32);

/** How an order without a customer id names its customer: a normalised email, else a phone, else nothing. */
export interface Contact {
  email?: string;
  phone?: string;
}

/**
 * The anonymous id an imported order without a customer id carries: from its email, else its
 * phone, else its order id (a customer of its own). Stable across imports and files.
 */
export function contactId(contact: Contact, orderId: string): string {
  if (contact.email !== undefined) return `import-${hash(`email:${contact.email}`)}`;
  if (contact.phone !== undefined) return `import-${hash(`phone:${contact.phone}`)}`;
  return `import-${hash(`order:${orderId}`)}`;
}

/** The messageId of the Order Completed of `orderId`: the same in every import, so stored once. */
export const orderMessageId = (orderId: string) => `import-order-${hash(`import:orders:${orderId}`)}`;

/** The messageId of the identify that links an order's contact to the customer it matched. */
export const linkMessageId = (orderId: string) => `import-link-${hash(`import:links:${orderId}`)}`;
