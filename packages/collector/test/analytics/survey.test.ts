// The join of exit survey answers to abandoned carts (analytics/survey.ts): the cart its profile had
// open when the answer was given, the abandonment that followed (or the one before, while the cart
// stayed open), the last answer of a cart, and none while the cart was empty.
import { abandonments, answerOfCart, FactTable, joinAnswers, resolveProfiles, surveyAnswers, type Fact } from '../../src/analytics';

const MIN = 60 * 1000;
const T0 = Date.UTC(2024, 0, 10, 12);
const t = (minutes: number) => T0 + minutes * MIN;

let seq = 0;
const add = (m: number, who = 'A', price = 10, cartId?: string): Fact => ({
  seq: ++seq,
  ts: t(m),
  type: 'track',
  name: 'Product Added',
  anonymousId: who,
  productId: 'p',
  cart: { productId: 'p', price, currency: 'EUR' },
  ...(cartId && { survey: { cartId } }),
});
const remove = (m: number, who = 'A'): Fact => ({ seq: ++seq, ts: t(m), type: 'track', name: 'Product Removed', anonymousId: who, productId: 'p', cart: { productId: 'p' } });
const order = (m: number, who = 'A'): Fact => ({ seq: ++seq, ts: t(m), type: 'track', name: 'Order Completed', anonymousId: who, cart: { orderId: `o${seq}` } });
const answer = (m: number, value: string, who = 'A', cartId?: string): Fact => ({
  seq: ++seq,
  ts: t(m),
  type: 'track',
  name: 'Survey Answered',
  anonymousId: who,
  survey: { surveyId: 's', answer: value, ...(cartId && { cartId }) },
});

/** Each answer's value with the abandonment time (minutes after T0) of the cart it joins, or null. */
function joins(facts: Fact[], asOfMinutes = 10_000) {
  const view = FactTable.from(facts).view();
  const profiles = resolveProfiles(view, { links: [], aliases: [] });
  const all = abandonments(view, profiles, { asOf: t(asOfMinutes) });
  const answers = surveyAnswers(view, profiles, t(asOfMinutes));
  const joined = joinAnswers(profiles, all, answers);
  const byCart = answerOfCart(joined);
  return {
    answers: answers.map((a) => [a.answer, joined.has(a) ? (joined.get(a)!.at - T0) / MIN : null]),
    carts: all.map((a) => [(a.at - T0) / MIN, byCart.get(a)?.answer ?? null]),
  };
}

describe('joinAnswers', () => {
  it('joins an answer to the abandonment that follows it on the open cart', () => {
    expect(joins([add(0), answer(5, 'price')]).answers).toEqual([['price', 30]]);
  });

  it('joins an answer given after the abandonment while the cart still held its items', () => {
    expect(joins([add(0), answer(45, 'later')]).answers).toEqual([['later', 30]]);
  });

  it('joins no cart when the cart was empty: bought, emptied, or never filled', () => {
    expect(joins([add(0), order(10), answer(12, 'bought')]).answers).toEqual([['bought', null]]);
    expect(joins([add(0), remove(5), answer(6, 'emptied')]).answers).toEqual([['emptied', null]]);
    expect(joins([answer(1, 'nothing')]).answers).toEqual([['nothing', null]]);
    // An answer on a cart that was then bought within 30 minutes: no abandoned cart to join.
    expect(joins([add(0), answer(5, 'price'), order(20)]).answers).toEqual([['price', null]]);
  });

  it('does not carry an answer over to a cart opened after the one it was given on was emptied', () => {
    expect(joins([add(0), answer(40, 'old'), order(50), add(60)]).carts).toEqual([
      [30, 'old'],
      [90, null],
    ]);
  });

  it('joins the next abandonment of the same cart when it was left twice', () => {
    const facts = [add(0), answer(40, 'first'), add(50), answer(55, 'second')];
    expect(joins(facts).answers).toEqual([
      ['first', 80],
      ['second', 80],
    ]);
    // The cart left at 30 had no answer yet; the one left at 80 has the last of its two.
    expect(joins(facts).carts).toEqual([
      [30, null],
      [80, 'second'],
    ]);
  });

  it("keeps each profile's answers to its own cart", () => {
    expect(joins([add(0, 'A', 10), add(0, 'B', 20), answer(5, 'a', 'A'), answer(6, 'b', 'B')]).carts).toEqual([
      [30, 'a'],
      [30, 'b'],
    ]);
  });

  it('joins the cart its cart_id names, when the cart events named one', () => {
    // Cart c1 is left at 30 and emptied at 100; the next cart, c2, is opened at 200. An answer about
    // c1 that arrives while c2 is open (a tab left open since) joins c1's abandonment.
    const facts = [add(0, 'A', 10, 'c1'), answer(5, 'named', 'A', 'c1'), remove(100), add(200, 'A', 10, 'c2'), answer(210, 'about c1', 'A', 'c1')];
    expect(joins(facts).answers).toEqual([
      ['named', 30],
      ['about c1', 30],
    ]);
    // By time alone, it would have joined the open cart c2 (abandoned at 230).
    expect(joins([add(0, 'A', 10, 'c1'), remove(100), add(200, 'A', 10, 'c2'), answer(210, 'by time', 'A')]).answers).toEqual([['by time', 230]]);
  });

  it("joins a cart named by cart_id under another visitor's id, and falls back to time for an unknown cart_id", () => {
    expect(joins([add(0, 'A', 10, 'c1'), answer(5, 'elsewhere', 'B', 'c1')]).answers).toEqual([['elsewhere', 30]]);
    expect(joins([add(0, 'A', 10, 'c1'), answer(5, 'unknown id', 'A', 'zz')]).answers).toEqual([['unknown id', 30]]);
  });

  it('leaves out answers at or after asOf', () => {
    expect(joins([add(0), answer(40, 'late')], 40).answers).toEqual([]);
  });
});
