// Consent (client.ts keeps to it). With `consent: 'required'` spur writes nothing (no cookie, no
// IndexedDB, no localStorage) and sends nothing until the visitor grants it; what is recorded
// meanwhile waits in memory. Global Privacy Control counts as 'denied' unless the shop ignores it,
// or the visitor grants consent on the site. The visitor's choice is kept in the cookie
// spur_consent, itself strictly necessary: the next page knows it without asking again.

export const CONSENT = 'spur_consent';
/** 180 days: a choice is asked again about every six months (what EU regulators expect), not on every visit. */
export const CONSENT_MAX_AGE = 15552000;

/** The visitor's choice, as `spur.consent()` takes it. */
export type Choice = 'granted' | 'denied';
