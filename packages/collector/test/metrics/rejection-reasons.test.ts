// Every reason validation gives falls into a kind of its own, never `other`: the events below
// break each rule of ingest/validate.ts and input-limits.ts, run through the real validator.
import { parseEvent } from '../../src/ingest/validate';
import { rejectionReason, type RejectionReason } from '../../src/metrics/rejection-reasons';
import { createMetrics } from '../../src/metrics/collector-metrics';

const base = { type: 'track', event: 'E', anonymousId: 'a', messageId: 'm' };
const deep = (levels: number): unknown => (levels === 0 ? 1 : { x: deep(levels - 1) });

const CASES: [string, unknown, RejectionReason][] = [
  ['not an object', 'text', 'not_an_object'],
  ['an unknown type', { ...base, type: 'purchase' }, 'unknown_type'],
  ['an absurd type', { ...base, type: 42 }, 'unknown_type'],
  ['a date without zone', { ...base, timestamp: '2024-05-01T10:00:00' }, 'invalid_time'],
  ['a bad sentAt', { ...base, sentAt: 'soon' }, 'invalid_time'],
  ['no ids', { type: 'track', event: 'E' }, 'missing_field'],
  ['a track without event', { ...base, event: undefined }, 'missing_field'],
  ['an alias without previousId', { type: 'alias', userId: 'u' }, 'missing_field'],
  ['a long id', { ...base, userId: 'u'.repeat(201) }, 'too_large'],
  ['a long string', { ...base, properties: { text: 'x'.repeat(9000) } }, 'too_large'],
  ['a deep object', { ...base, properties: deep(20) }, 'too_large'],
  ['a long array', { ...base, properties: { items: new Array(1001).fill(1) } }, 'too_large'],
  ['many keys', { ...base, properties: Object.fromEntries(Array.from({ length: 501 }, (_, i) => [`k${i}`, i])) }, 'too_large'],
  ['traits in two places', { type: 'identify', userId: 'u', traits: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`a${i}`, i])), context: { traits: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`b${i}`, i])) } }, 'too_large'],
  ['a large event', { ...base, properties: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, 'x'.repeat(4000)])) }, 'too_large'],
  ['a __proto__ key', JSON.parse('{"type":"track","event":"E","anonymousId":"a","properties":{"__proto__":{}}}'), 'forbidden_key'],
  ['a constructor key', { ...base, context: { constructor: 1 } }, 'forbidden_key'],
  ['a NUL', { ...base, properties: { v: 'a\u0000b' } }, 'invalid_text'],
  ['a lone surrogate', { ...base, properties: { v: '\ud800' } }, 'invalid_text'],
  ['a NUL in a key', { ...base, properties: { 'a\u0000': 1 } }, 'invalid_text'],
  ['Infinity', { ...base, properties: { v: Infinity } }, 'invalid_number'],
  ['a huge numeric id', { ...base, userId: 2 ** 60 }, 'invalid_number'],
  ['an empty event name', { ...base, event: '' }, 'invalid_field'],
  ['properties as a list', { ...base, properties: [1] }, 'invalid_field'],
  ['an id as an object', { ...base, anonymousId: { id: 1 } }, 'invalid_field'],
  ['a survey answer without survey_id', { ...base, event: 'Survey Answered', properties: { answer: 'price' } }, 'missing_field'],
  ['a survey free text over 500 characters', { ...base, event: 'Survey Answered', properties: { survey_id: 's', answer: 'a', text: 'x'.repeat(501) } }, 'too_large'],
  ['a survey answer as a number', { ...base, event: 'Survey Answered', properties: { survey_id: 's', answer: 1 } }, 'invalid_field'],
  ['a survey free text as a number', { ...base, event: 'Survey Answered', properties: { survey_id: 's', answer: 'a', text: 1 } }, 'invalid_field'],
  ['a survey cart value as text', { ...base, event: 'Survey Shown', properties: { survey_id: 's', cart_value: '10' } }, 'invalid_field'],
];

describe('rejectionReason', () => {
  it.each(CASES)('%s', (_name, raw, kind) => {
    const result = parseEvent(raw, undefined, () => 'generated');
    if (result.ok) throw new Error('the event was accepted');
    expect(rejectionReason(result.reason)).toBe(kind);
  });

  it('puts an unknown text under other', () => {
    expect(rejectionReason('something new')).toBe('other');
  });
});

describe('createMetrics without an analytics cache', () => {
  it('says spur_analytics_enabled 0 and has no lag', async () => {
    const { text } = await createMetrics().scrape();
    expect(text).toMatch(/^spur_analytics_enabled 0$/m);
    expect(text).not.toMatch(/spur_analytics_lag/);
  });
});
