// Why an event was rejected, as a bounded label. The reasons validation gives name where the
// problem is (`properties.items[3].name has more than 1000 items`), so as label values they would
// be as many as clients can make up: each would be a time series of its own in Prometheus. A
// reason falls into one of a few kinds by the rule it states; the text stays in the answer and
// in rejected_events.

/** The kinds of rejection, in the order their rules are tried; `other` is what none matches. */
export const REJECTION_REASONS = [
  'not_an_object',
  'unknown_type',
  'invalid_time',
  'missing_field',
  'too_large',
  'forbidden_key',
  'invalid_text',
  'invalid_number',
  'invalid_field',
  'other',
] as const;

export type RejectionReason = (typeof REJECTION_REASONS)[number];

// Each rule is the fixed part of one family of reasons of ingest/validate.ts and input-limits.ts,
// anchored at the end where a place or a field comes first.
const RULES: readonly [RegExp, RejectionReason][] = [
  [/^event must be an object$/, 'not_an_object'],
  [/^(type must be one of |unknown event type )/, 'unknown_type'],
  [/ must be an ISO 8601 date$/, 'invalid_time'],
  [/ is required$/, 'missing_field'],
  [/ (is larger than \d+ bytes|is nested deeper than \d+ levels|(has|have) more than \d+ (items|keys)|longer than \d+ characters)$/, 'too_large'],
  [/ has a key "(__proto__|constructor|prototype)", which is not allowed$/, 'forbidden_key'],
  [/ (a NUL character|a lone surrogate \(not valid Unicode\))$/, 'invalid_text'],
  [/ (is a number out of range|must be a string or an integer below 2\^53)$/, 'invalid_number'],
  [/ must be (a non-empty string|a string|an object|a number)$/, 'invalid_field'],
];

/** The kind of a rejection's reason text. */
export function rejectionReason(reason: string): RejectionReason {
  for (const [rule, kind] of RULES) if (rule.test(reason)) return kind;
  return 'other';
}
