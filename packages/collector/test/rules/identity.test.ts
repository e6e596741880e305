import type { StoredEvent } from '@spur/sdk';
import { canonicalId, currentOwner, mergeTraits, ownerAt, summarizeProfile, type IdentityLink } from '../../src/rules/identity';

const link = (userId: string, firstSeen: string): IdentityLink => ({ anonymousId: 'A', userId, firstSeen });
const T1 = '2024-01-01T00:00:00.000Z';
const T2 = '2024-02-01T00:00:00.000Z';

describe('ownerAt', () => {
  it('leaves an unlinked anonymous id anonymous', () => {
    expect(ownerAt([], T1)).toBeNull();
  });

  it('gives events before the first identify to the first customer (back-fill)', () => {
    expect(ownerAt([link('U1', T1)], '2023-12-31T00:00:00.000Z')).toBe('U1');
  });

  it('gives events from a later identify on to the later customer, earlier ones to the earlier', () => {
    const links = [link('U2', T2), link('U1', T1)];
    expect(ownerAt(links, '2024-01-15T00:00:00.000Z')).toBe('U1');
    expect(ownerAt(links, T2)).toBe('U2');
    expect(ownerAt(links, '2024-03-01T00:00:00.000Z')).toBe('U2');
  });

  it('breaks a tie of firstSeen by customer id, the same way every time', () => {
    expect(ownerAt([link('b', T1), link('a', T1)], T2)).toBe('b');
    expect(ownerAt([link('a', T1), link('b', T1)], T2)).toBe('b');
  });
});

describe('currentOwner', () => {
  it('is the link with the greatest firstSeen', () => {
    expect(currentOwner([link('U2', T2), link('U1', T1)])).toBe('U2');
    expect(currentOwner([])).toBeNull();
  });
});

describe('canonicalId', () => {
  it('follows an alias chain to its end', () => {
    const aliases: Record<string, string> = { a: 'b', b: 'c' };
    expect(canonicalId('a', (id) => aliases[id])).toBe('c');
    expect(canonicalId('c', (id) => aliases[id])).toBe('c');
  });

  it('resolves every member of a cycle to the smallest id of the cycle', () => {
    const aliases: Record<string, string> = { x: 'b', b: 'c', c: 'a', a: 'b' };
    for (const id of ['x', 'a', 'b', 'c']) expect(canonicalId(id, (i) => aliases[i])).toBe('a');
  });
});

describe('profile summary', () => {
  const event = (timestamp: string, extra: Partial<StoredEvent> = {}): StoredEvent => ({
    type: 'identify',
    messageId: timestamp,
    userId: 'U',
    timestamp,
    originalTimestamp: timestamp,
    receivedAt: timestamp,
    ...extra,
  });

  it('merges identify traits in time order, later values winning', () => {
    const traits = mergeTraits([
      event(T1, { traits: { email: 'old@example.com', plan: 'free' } }),
      event(T2, { traits: { email: 'new@example.com' } }),
      event(T2, { type: 'track', event: 'X', traits: { ignored: true } }),
    ]);
    expect(traits).toEqual({ email: 'new@example.com', plan: 'free' });
  });

  it('keeps an own "__proto__" trait (as JSON.parse makes it) out, as data and as prototype', () => {
    const hostile = JSON.parse('{"plan":"gold","__proto__":{"admin":true},"constructor":"x"}');
    const traits = mergeTraits([event(T1, { traits: hostile })]);
    expect(Object.getPrototypeOf(traits)).toBe(Object.prototype);
    expect((traits as Record<string, unknown>).admin).toBeUndefined();
    expect(Object.keys(traits)).toEqual(['plan', 'constructor']);
  });

  it('uses the customer id as id when known, else the anonymous id', () => {
    expect(summarizeProfile({ customerId: null, anonymousIds: ['A'] }, []).id).toBe('A');
    const p = summarizeProfile({ customerId: 'U', anonymousIds: ['A'] }, [event(T1), event(T2)]);
    expect(p).toEqual({ id: 'U', customerId: 'U', anonymousIds: ['A'], traits: {}, firstSeen: T1, lastSeen: T2, eventCount: 2 });
  });
});
