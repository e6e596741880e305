import type { IdentityLink } from '../../src/rules/identity';
import {
  abandonments,
  cartAbandonedEvents,
  cartAbandonedMessageId,
  countAbandonments,
  detectAbandonedCarts,
  FactTable,
  resolveProfiles,
  type AliasEdge,
  type CartFields,
  type Fact,
} from '../../src/analytics';

const MIN = 60 * 1000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2024, 0, 10, 12);
const iso = (ms: number) => new Date(ms).toISOString();

let seq = 0;
const cartEvent = (name: string, ts: number, cart: CartFields, who: Partial<Fact> = { anonymousId: 'A' }): Fact => ({
  seq: ++seq,
  ts,
  type: 'track',
  name,
  ...who,
  ...(cart.productId && name !== 'Order Completed' ? { productId: cart.productId } : {}),
  cart,
});
const add = (ts: number, productId: string, more: CartFields = {}, who?: Partial<Fact>) =>
  cartEvent('Product Added', ts, { productId, price: 10, currency: 'EUR', ...more }, who);
const remove = (ts: number, productId: string, more: CartFields = {}, who?: Partial<Fact>) => cartEvent('Product Removed', ts, { productId, ...more }, who);
const order = (ts: number, orderId: string, who?: Partial<Fact>, more: CartFields = {}) => cartEvent('Order Completed', ts, { orderId, ...more }, who);
import { random } from './synthetic';

const link = (anonymousId: string, userId: string, ms: number): IdentityLink => ({ anonymousId, userId, firstSeen: iso(ms) });

function detect(facts: Fact[], asOf: number, links: IdentityLink[] = [], aliases: AliasEdge[] = [], range: { from?: number; to?: number } = {}) {
  const view = FactTable.from(facts).view();
  return detectAbandonedCarts(view, resolveProfiles(view, { links, aliases }), { asOf, ...range });
}

describe('abandoned carts', () => {
  it('abandons a cart 30 minutes after its last activity, and not a millisecond earlier (asOf)', () => {
    const facts = [add(T0, 'mug', { quantity: 2 }), add(T0 + 5 * MIN, 'cup', { price: 4.99 })];
    expect(detect(facts, T0 + 35 * MIN - 1)).toEqual([]);
    expect(detect(facts, T0 + 35 * MIN)).toEqual([
      {
        profileId: 'A',
        customerId: null,
        anonymousId: 'A',
        items: [
          { product_id: 'mug', variant: null, name: null, price: 10, quantity: 2, currency: 'EUR' },
          { product_id: 'cup', variant: null, name: null, price: 4.99, quantity: 1, currency: 'EUR' },
        ],
        value: 24.99,
        currency: 'EUR',
        lastActivityAt: iso(T0 + 5 * MIN),
        abandonedAt: iso(T0 + 35 * MIN),
        recovered: false,
        recoveredOrderId: null,
      },
    ]);
  });

  it('is a pure function of the facts and asOf: the same answer every time, whatever the arrival order', () => {
    const facts = [add(T0, 'mug'), remove(T0 + MIN, 'mug'), add(T0 + 2 * MIN, 'cup'), add(T0 + 3 * HOUR, 'pan')];
    const once = detect(facts, T0 + DAY);
    expect(detect([...facts].reverse().map((f, i) => ({ ...f, seq: 1000 + i })), T0 + DAY)).toEqual(once);
    expect(once.map((c) => c.abandonedAt)).toEqual([iso(T0 + 32 * MIN), iso(T0 + 3 * HOUR + 30 * MIN)]);
  });

  it('never takes an abandonment back at a later asOf; facts at or after asOf are not seen', () => {
    // The add at exactly +30m comes after the abandonment of the first cart.
    const facts = [add(T0, 'mug'), add(T0 + 30 * MIN, 'cup')];
    const early = detect(facts, T0 + 30 * MIN);
    expect(early.map((c) => [c.abandonedAt, c.items.length])).toEqual([[iso(T0 + 30 * MIN), 1]]);
    const late = detect(facts, T0 + DAY);
    // Abandonment does not empty the cart: the second time it is left, it holds both items.
    expect(late.map((c) => [c.abandonedAt, c.items.length])).toEqual([
      [iso(T0 + 30 * MIN), 1],
      [iso(T0 + 60 * MIN), 2],
    ]);
  });

  it('leaves a cart emptied by removals alone (partial quantity, then the whole line by default)', () => {
    const facts = [add(T0, 'mug', { quantity: 3 }), remove(T0 + MIN, 'mug', { quantity: 1 }), remove(T0 + 2 * MIN, 'mug')];
    expect(detect(facts, T0 + DAY)).toEqual([]);
    // ...but one unit left is a cart.
    const partial = [add(T0, 'mug', { quantity: 3 }), remove(T0 + MIN, 'mug', { quantity: 2 })];
    expect(detect(partial, T0 + DAY)[0].items[0].quantity).toBe(1);
  });

  it('keeps variants of one product on separate lines, and removes only the named variant', () => {
    const facts = [add(T0, 'tee', { variant: 'S' }), add(T0 + MIN, 'tee', { variant: 'M' }), remove(T0 + 2 * MIN, 'tee', { variant: 'S' })];
    expect(detect(facts, T0 + DAY)[0].items.map((i) => [i.product_id, i.variant])).toEqual([['tee', 'M']]);
  });

  it('does not abandon a cart that is ordered within 30 minutes', () => {
    expect(detect([add(T0, 'mug'), order(T0 + 30 * MIN - 1, 'o1')], T0 + DAY)).toEqual([]);
  });

  it('handles an order without a cart: nothing abandoned, and it can still recover an earlier cart', () => {
    expect(detect([order(T0, 'o1')], T0 + DAY)).toEqual([]);
    const carts = detect([add(T0, 'mug'), order(T0 + 2 * HOUR, 'o2')], T0 + DAY);
    expect(carts.map((c) => [c.recovered, c.recoveredOrderId])).toEqual([[true, 'o2']]);
  });

  it('recovers within 7 days of the abandonment (half-open), with the first order', () => {
    const abandonedAt = T0 + 30 * MIN;
    const within = detect([add(T0, 'mug'), order(abandonedAt + 7 * DAY - 1, 'o1'), order(abandonedAt + 7 * DAY + 5, 'o2')], T0 + 30 * DAY);
    expect(within[0]).toMatchObject({ recovered: true, recoveredOrderId: 'o1' });
    const after = detect([add(T0, 'mug'), order(abandonedAt + 7 * DAY, 'o1')], T0 + 30 * DAY);
    expect(after[0]).toMatchObject({ recovered: false, recoveredOrderId: null });
    // An order not seen yet (after asOf) recovers nothing yet.
    expect(detect([add(T0, 'mug'), order(T0 + 2 * DAY, 'o1')], T0 + DAY)[0].recovered).toBe(false);
  });

  it('recovers a cart left on the phone and bought on the laptop after login (cross-device)', () => {
    const facts = [
      add(T0, 'mug', {}, { anonymousId: 'phone' }),
      { seq: ++seq, ts: T0 + HOUR, type: 'identify', anonymousId: 'laptop', userId: 'U' } as Fact,
      order(T0 + 2 * HOUR, 'o9', { anonymousId: 'laptop', userId: 'U' }),
    ];
    // The phone identified as U two days later: identity is resolved at query time, so it counts.
    const links = [link('laptop', 'U', T0 + HOUR), link('phone', 'U', T0 + 2 * DAY)];
    expect(detect(facts, T0 + 3 * DAY, links)).toEqual([
      expect.objectContaining({ profileId: 'U', customerId: 'U', anonymousId: 'phone', recovered: true, recoveredOrderId: 'o9' }),
    ]);
    // Before the phone was linked, the same facts give an anonymous cart that was not recovered.
    expect(detect(facts, T0 + 3 * DAY, [link('laptop', 'U', T0 + HOUR)])).toEqual([
      expect.objectContaining({ profileId: 'phone', customerId: null, recovered: false }),
    ]);
  });

  it('keeps a shared computer apart: the first customer\'s cart is not recovered by the second customer\'s order', () => {
    const facts = [add(T0, 'mug', {}, { anonymousId: 'S' }), order(T0 + 3 * HOUR, 'o1', { anonymousId: 'S' })];
    const links = [link('S', 'U1', T0 - HOUR), link('S', 'U2', T0 + 2 * HOUR)];
    expect(detect(facts, T0 + DAY, links)).toEqual([expect.objectContaining({ profileId: 'U1', recovered: false })]);
  });

  it('merges aliased customer ids into one cart', () => {
    const facts = [add(T0, 'mug', {}, { userId: 'old' }), order(T0 + HOUR, 'o1', { userId: 'new' })];
    expect(detect(facts, T0 + DAY, [], [{ previousId: 'old', userId: 'new' }])).toEqual([
      expect.objectContaining({ profileId: 'new', customerId: 'new', anonymousId: null, recovered: true }),
    ]);
  });

  it('filters by abandonedAt in [from, to)', () => {
    const facts = [add(T0, 'a', {}, { anonymousId: 'x' }), add(T0, 'b', {}, { anonymousId: 'y' }), add(T0 + HOUR, 'c', {}, { anonymousId: 'z' })];
    const carts = detect(facts, T0 + DAY, [], [], { from: T0 + 30 * MIN, to: T0 + 90 * MIN });
    expect(carts.map((c) => c.profileId)).toEqual(['x', 'y']);
  });

  it('replays only the customers with cart activity near the range, with the same answer as a whole replay', () => {
    // x's cart is left at T0 + 30m; y's activity ends before the range; z's starts after it; w has
    // old activity and a cart left exactly at the range's start; v's is left exactly at its end.
    const facts = [
      add(T0, 'a', {}, { anonymousId: 'x' }),
      add(T0 - DAY, 'b', {}, { anonymousId: 'y' }),
      add(T0 + DAY, 'c', {}, { anonymousId: 'z' }),
      add(T0 - 3 * DAY, 'd', {}, { anonymousId: 'w' }),
      order(T0 - 3 * DAY + MIN, 'o1', { anonymousId: 'w' }),
      add(T0 - 20 * MIN, 'e', {}, { anonymousId: 'w' }),
      add(T0 + 2 * HOUR - 30 * MIN, 'f', {}, { anonymousId: 'v' }),
      // x comes back within 7 days and orders: a recovery after the range is still seen.
      order(T0 + 3 * DAY, 'o2', { anonymousId: 'x' }),
    ];
    const view = FactTable.from(facts).view();
    const profiles = resolveProfiles(view, { links: [], aliases: [] });
    const range = { from: T0 + 10 * MIN, to: T0 + 2 * HOUR };
    const heard: string[] = [];
    const listener = { cart: (_at: number, _held: unknown, _left: unknown, lastRow: number) => heard.push(profiles.id(profiles.ofRow[lastRow])) };
    const near = abandonments(view, profiles, { asOf: T0 + 10 * DAY, ...range }, listener);
    const whole = abandonments(view, profiles, { asOf: T0 + 10 * DAY }).filter((a) => a.at >= range.from && a.at < range.to);
    expect(near).toEqual(whole);
    expect(near.map((a) => [a.cart.profileId, a.cart.recovered])).toEqual([
      ['w', false],
      ['x', true],
    ]);
    // Those with no cart row in [from - 30m, to - 30m) were never replayed.
    expect([...new Set(heard)].sort()).toEqual(['w', 'x']);
  });
});

describe('countAbandonments (the overview\'s cart figures)', () => {
  it('counts exactly the carts abandonments() answers in a range, kept by a row mask, and their recoveries', () => {
    // A random shop: 300 visitors adding, removing and ordering over 60 days, some logging in
    // (links join visitors), so carts are left, recovered, left twice, and span range edges.
    const rnd = random(16);
    const facts: Fact[] = [];
    const links: IdentityLink[] = [];
    for (let v = 0; v < 300; v++) {
      const who = { anonymousId: `v${v}` };
      let t = T0 + Math.floor(rnd() * 60 * DAY);
      for (let k = 0; k < 2 + Math.floor(rnd() * 12); k++) {
        t += Math.floor(rnd() * (rnd() < 0.5 ? 40 * MIN : 3 * DAY));
        const r = rnd();
        if (r < 0.6) facts.push(add(t, `p${Math.floor(rnd() * 9)}`, { price: 1 + Math.floor(rnd() * 50) }, who));
        else if (r < 0.75) facts.push(remove(t, `p${Math.floor(rnd() * 9)}`, {}, who));
        else facts.push(order(t, `o${v}-${k}`, who));
      }
      if (rnd() < 0.3) links.push(link(`v${v}`, `c${v % 40}`, T0));
    }
    const view = FactTable.from(facts).view();
    const profiles = resolveProfiles(view, { links, aliases: [] });
    const keep = new Uint8Array(view.length).map(() => (rnd() < 0.7 ? 1 : 0));
    let compared = 0;
    for (const [from, to] of [
      [T0 + 10 * DAY, T0 + 40 * DAY],
      [T0 + 29 * DAY + 7 * HOUR, T0 + 31 * DAY],
      [undefined, T0 + 20 * DAY],
      [T0 + 50 * DAY, undefined],
      [undefined, undefined],
    ]) {
      for (const mask of [null, keep]) {
        const options = { asOf: T0 + 62 * DAY, from, to };
        const carts = abandonments(view, profiles, options).filter((a) => mask === null || mask[a.lastRow] === 1);
        const expected = { abandoned: carts.length, recovered: carts.filter((a) => a.cart.recovered).length };
        expect([from, to, mask !== null, countAbandonments(view, profiles, options, mask)]).toEqual([from, to, mask !== null, expected]);
        compared += carts.length;
      }
    }
    // Enough carts to mean something, with recoveries among them.
    expect(compared).toBeGreaterThan(300);
    expect(countAbandonments(view, profiles, { asOf: T0 + 62 * DAY }, null).recovered).toBeGreaterThan(10);
  });
});

describe('Cart Abandoned events', () => {
  const facts = [add(T0, 'mug', { name: 'Mug', variant: 'blue' }, { anonymousId: 'phone' })];

  it('carries items, value, currency and profile, at abandonedAt, with the anonymous id of the last activity', () => {
    const view = FactTable.from(facts).view();
    const carts = detectAbandonedCarts(view, resolveProfiles(view, { links: [link('phone', 'U', T0 - DAY)], aliases: [] }), { asOf: T0 + DAY });
    const [event] = cartAbandonedEvents(carts);
    expect(event).toEqual({
      type: 'track',
      event: 'Cart Abandoned',
      messageId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      anonymousId: 'phone',
      timestamp: iso(T0 + 30 * MIN),
      properties: {
        products: [{ product_id: 'mug', quantity: 1, variant: 'blue', name: 'Mug', price: 10, currency: 'EUR' }],
        value: 10,
        currency: 'EUR',
        profile_id: 'U',
        customer_id: 'U',
        last_activity_at: iso(T0),
      },
    });
  });

  it('gets the same messageId on every run, and after a later identify moves the cart to a customer', () => {
    const view = FactTable.from(facts).view();
    const before = detectAbandonedCarts(view, resolveProfiles(view, { links: [], aliases: [] }), { asOf: T0 + DAY });
    const again = detectAbandonedCarts(view, resolveProfiles(view, { links: [], aliases: [] }), { asOf: T0 + 2 * DAY });
    const after = detectAbandonedCarts(view, resolveProfiles(view, { links: [link('phone', 'U', T0 + HOUR)], aliases: [] }), { asOf: T0 + DAY });
    expect(after[0].profileId).toBe('U');
    expect(new Set([before, again, after].map((c) => cartAbandonedMessageId(c[0]))).size).toBe(1);
    // A different abandonment gets a different id.
    const other = detect([add(T0 + MIN, 'mug', {}, { anonymousId: 'phone' })], T0 + DAY);
    expect(cartAbandonedMessageId(other[0])).not.toBe(cartAbandonedMessageId(before[0]));
  });

  it('uses the customer id when the last cart activity had no anonymous id', () => {
    const [event] = cartAbandonedEvents(detect([add(T0, 'mug', {}, { userId: 'U' })], T0 + DAY));
    expect(event.userId).toBe('U');
    expect(event.anonymousId).toBeUndefined();
  });
});
