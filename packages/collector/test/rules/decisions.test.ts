// The rules' decisions on plain data, without a database: which links and aliases stored events
// make (the customer and alias rules), what suppression holds back, which duplicates conflict,
// which rejected events are a subject's. Backends only store what these decide.
import { conflictKey } from '../../src/rules/conflicts';
import { identityWrites } from '../../src/rules/identity';
import { rejectedMatcher } from '../../src/rules/subject-rejected';
import { createSuppressor, hashId } from '../../src/rules/suppression';

const T1 = '2024-01-01T00:00:00.000Z';
const T2 = '2024-01-02T00:00:00.000Z';
const T3 = '2024-01-03T00:00:00.000Z';
const event = (type: string, fields: { anonymousId?: string; userId?: string; previousId?: string }, timestamp: string) => ({
  type,
  anonymousId: fields.anonymousId ?? null,
  userId: fields.userId ?? null,
  previousId: fields.previousId ?? null,
  timestamp,
});

describe('identityWrites', () => {
  it('links an anonymous id to a customer at the earliest time it was seen with it, once per pair', () => {
    const writes = identityWrites(new Set());
    writes.add(event('track', { anonymousId: 'A', userId: 'U' }, T2));
    writes.add(event('identify', { anonymousId: 'A', userId: 'U' }, T1));
    writes.add(event('track', { anonymousId: 'A' }, T3));
    expect(writes.links()).toEqual([{ anonymousId: 'A', userId: 'U', firstSeen: T1 }]);
    expect(writes.aliases()).toEqual([]);
  });

  it('makes an alias of an anonymous previousId a link too, and of a customer previousId an alias edge only', () => {
    const writes = identityWrites(new Set(['OLD']));
    writes.add(event('alias', { previousId: 'anon-9', userId: 'U' }, T1));
    writes.add(event('alias', { previousId: 'OLD', userId: 'U' }, T2));
    expect(writes.links()).toEqual([{ anonymousId: 'anon-9', userId: 'U', firstSeen: T1 }]);
    expect(writes.aliases()).toEqual([
      { previousId: 'anon-9', userId: 'U', createdAt: T1 },
      { previousId: 'OLD', userId: 'U', createdAt: T2 },
    ]);
  });

  it('counts a userId stored earlier in the same transaction as a customer, as if each event were written alone', () => {
    const writes = identityWrites(new Set());
    writes.add(event('track', { anonymousId: 'A', userId: 'NEW' }, T1));
    writes.add(event('alias', { previousId: 'NEW', userId: 'U' }, T2));
    expect(writes.links()).toEqual([{ anonymousId: 'A', userId: 'NEW', firstSeen: T1 }]);
    expect(writes.aliases()).toEqual([{ previousId: 'NEW', userId: 'U', createdAt: T2 }]);
  });

  it('ignores an alias of an id to itself', () => {
    const writes = identityWrites(new Set());
    writes.add(event('alias', { previousId: 'U', userId: 'U' }, T1));
    expect([writes.links(), writes.aliases()]).toEqual([[], []]);
  });
});

describe('createSuppressor', () => {
  const SALT = 'a'.repeat(64);
  const state = (generation: number, suppressions: [string, string][]) => ({
    privacyState: () => ({ salt: SALT, generation }),
    suppressions: () => suppressions,
  });

  it('holds back an erased id received before its until-time, by keyed hash, and nothing else', async () => {
    const suppressor = createSuppressor();
    await suppressor.sync(state(1, [[hashId(SALT, 'cus_1'), T2]]));
    expect(suppressor.active).toBe(true);
    expect(suppressor.suppresses('cus_1', T1)).toBe(true);
    expect(suppressor.suppresses('cus_1', T2)).toBe(false); // ended
    expect(suppressor.suppresses('cus_2', T1)).toBe(false);
    expect(suppressor.suppresses(null, T1)).toBe(false);
    // The hash is keyed: another database's salt names another hash.
    expect(hashId('b'.repeat(64), 'cus_1')).not.toBe(hashId(SALT, 'cus_1'));
  });

  it('reloads when the generation moved (an erasure by any process), and only then', async () => {
    const suppressor = createSuppressor();
    await suppressor.sync(state(1, []));
    expect(suppressor.active).toBe(false);
    await suppressor.sync(state(1, [[hashId(SALT, 'cus_1'), T3]]));
    expect(suppressor.suppresses('cus_1', T1)).toBe(false); // same generation: not read again
    await suppressor.sync(state(2, [[hashId(SALT, 'cus_1'), T3]]));
    expect(suppressor.suppresses('cus_1', T1)).toBe(true);
  });
});

describe('conflictKey', () => {
  const stored = { type: 'track', event: 'Order Completed', messageId: 'm', properties: { total: 10 }, originalTimestamp: T1, receivedAt: T2 };

  it('is null for a resend whose collector-derived fields differ', () => {
    const resend = { ...stored, receivedAt: T3, sentAt: T3, context: { ip: '10.0.0.0' } };
    expect(conflictKey(JSON.stringify(stored), JSON.stringify(resend))).toBeNull();
  });

  it('names the newcomer by fingerprint and client timestamp when what the client authored differs', () => {
    const other = { ...stored, properties: { total: 11 } };
    expect(conflictKey(JSON.stringify(stored), JSON.stringify(other))).toMatch(new RegExp(`^[0-9a-f]{32}@${T1.replace(/\./g, '\\.')}$`));
    const moved = { ...stored, originalTimestamp: T3 };
    expect(conflictKey(JSON.stringify(stored), JSON.stringify(moved))).not.toBeNull();
  });
});

describe('rejectedMatcher', () => {
  const batch = (receivedAt: string) => ({ id: 1, writeKey: 'wk', receivedAt, entries: [] });
  const entry = (raw: unknown) => ({ reason: 'invalid', raw: JSON.stringify(raw) });
  const match = rejectedMatcher({
    members: new Set(['U']),
    exclusive: new Set(['A']),
    sharedLinks: new Map([['S', [{ anonymousId: 'S', userId: 'U', firstSeen: T1 }, { anonymousId: 'S', userId: 'V', firstSeen: T2 }]]]),
    identifies: [JSON.stringify({ traits: { email: ' Cee@Example.com ' } })],
  });

  it("finds the subject's ids and identify emails anywhere in a rejected event", () => {
    expect(match.owns(batch(T1), entry({ userId: ['U'] }))).toBe(true);
    expect(match.owns(batch(T1), entry({ properties: { nested: { who: 'A' } } }))).toBe(true);
    expect(match.owns(batch(T1), entry({ context: { traits: { email: 'cee@example.com' } } }))).toBe(true);
    expect(match.owns(batch(T1), entry({ userId: 'W' }))).toBe(false);
  });

  it("counts a shared anonymous id only without a userId, while the subject owned it", () => {
    expect(match.owns(batch('2024-01-01T12:00:00.000Z'), entry({ anonymousId: 'S', event: 42 }))).toBe(true);
    expect(match.owns(batch(T3), entry({ anonymousId: 'S', event: 42 }))).toBe(false); // V's by then
    expect(match.owns(batch('2024-01-01T12:00:00.000Z'), entry({ anonymousId: 'S', userId: 'V' }))).toBe(false);
  });
});
