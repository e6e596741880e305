import { compareEvents, detailLines, MAX_COMPARED, pickedIn, show } from '../src/compare';
import type { EventLike } from '../src/match';

const added = (productId: string, quantity: number, at: string): EventLike => ({
  type: 'track',
  event: 'Product Added',
  timestamp: at,
  properties: { product_id: productId, quantity, products: [{ product_id: productId, sku: `sku-${productId}` }] },
});
const page: EventLike = { type: 'page', timestamp: '2026-11-21T09:00:00.000Z', properties: { path: '/cart.html' } };

describe('pickedIn(value, vars)', () => {
  it('names the variables a spec value uses, with this run’s values, wherever they stand', () => {
    const vars = { product: 'p-kettle', qty: 2, email: 'a@example.test', runId: 'r1' };
    expect(pickedIn({ event: 'Product Added', properties: { product_id: '{{product}}', quantity: '{{ qty }}', note: 'for {{email}}' } }, vars)).toEqual({
      product: 'p-kettle',
      qty: 2,
      email: 'a@example.test',
    });
    expect(pickedIn(['Product Added', { properties: { x: ['{{runId}}'] } }], vars)).toEqual({ runId: 'r1' });
  });

  it('is undefined when the value uses none (or only unknown ones)', () => {
    expect(pickedIn('Order Completed', { product: 'p' })).toBeUndefined();
    expect(pickedIn({ properties: { a: '{{nope}}' } }, { product: 'p' })).toBeUndefined();
  });
});

describe('compareEvents(matcher, events, from)', () => {
  const events = [page, added('p-mug', 1, '2026-11-21T09:01:00.000Z'), page, added('p-chai', 3, '2026-11-21T09:02:00.000Z')];

  it('compares each event of the expected name, field by field, those after `from` first', () => {
    const compared = compareEvents({ event: 'Product Added', properties: { product_id: 'p-kettle', quantity: 3 } }, events, 2);
    expect(compared).toEqual([
      {
        event: 'Product Added',
        at: '2026-11-21T09:02:00.000Z',
        fields: [
          { path: 'properties.product_id', expected: 'p-kettle', actual: 'p-chai', equal: false },
          { path: 'properties.quantity', expected: 3, actual: 3, equal: true },
        ],
      },
      {
        event: 'Product Added',
        at: '2026-11-21T09:01:00.000Z',
        note: 'before the previous expected event',
        fields: [
          { path: 'properties.product_id', expected: 'p-kettle', actual: 'p-mug', equal: false },
          { path: 'properties.quantity', expected: 3, actual: 1, equal: false },
        ],
      },
    ]);
  });

  it('compares an array as a whole, each expected element contained, and names missing fields', () => {
    const [first] = compareEvents({ event: 'Product Added', properties: { products: [{ product_id: 'p-mug' }], coupon: 'SPRING' } }, events);
    expect(first.fields).toEqual([
      { path: 'properties.products', expected: [{ product_id: 'p-mug' }], actual: [{ product_id: 'p-mug', sku: 'sku-p-mug' }], equal: true },
      { path: 'properties.coupon', expected: 'SPRING', equal: false },
    ]);
  });

  it('picks candidates by type when the matcher names no event, and by nothing when it names neither', () => {
    expect(compareEvents({ type: 'page', properties: { path: '/checkout.html' } }, events).map((c) => c.event)).toEqual(['page /cart.html', 'page /cart.html']);
    expect(compareEvents({ properties: { quantity: 3 } }, events)).toHaveLength(4);
  });

  it('compares nothing for an event name (nothing but the name to compare) and at most MAX_COMPARED events', () => {
    expect(compareEvents('Product Added', events)).toEqual([]);
    const many = Array.from({ length: 12 }, (_, i) => added(`p-${i}`, 1, `2026-11-21T09:${String(i).padStart(2, '0')}:00.000Z`));
    expect(compareEvents({ event: 'Product Added', properties: { product_id: 'p-x' } }, many)).toHaveLength(MAX_COMPARED);
  });
});

describe('detailLines(detail)', () => {
  it('writes the picked values, then a line per compared event', () => {
    const compared = compareEvents({ event: 'Product Added', properties: { product_id: 'p-kettle', quantity: 1, coupon: 'X' } }, [added('p-mug', 1, '2026-11-21T09:01:00.000Z')]);
    expect(detailLines({ picked: { product: 'p-kettle' }, compared })).toEqual([
      'picked: {{product}} = "p-kettle"',
      'Product Added at 2026-11-21T09:01:00.000Z: properties.product_id: expected "p-kettle", got "p-mug"; properties.quantity = 1 as expected; properties.coupon: expected "X", got nothing',
    ]);
    expect(detailLines({})).toEqual([]);
  });

  it('cuts long values', () => {
    expect(show('x'.repeat(500))).toHaveLength(160);
  });
});
