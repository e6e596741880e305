// Expectations against a fresh collector in real Chromium: an events expectation that names Cart
// Abandoned, and what a failed events expectation says it compared. The collector's abandonment
// job records the Cart Abandoned event (reading the export writes nothing): the expectation waits
// for it.
import type { JourneySpec } from '../src/spec';
import { failuresOf, useDemo } from './stack';

jest.setTimeout(120_000);

const { play } = useDemo();

const leavesACart = (expect: JourneySpec['expect']): JourneySpec => ({
  name: 'Leaves a cart',
  vars: { product: { pick: ['p-mug', 'p-kettle'] } },
  visits: [
    {
      steps: [
        { goto: '/product.html?id={{product}}' },
        // The shop's Product Viewed comes from the page's JSON-LD once the page has settled.
        { expectRequest: 'Product Viewed' },
        { fill: 'data-testid=quantity', value: '2' },
        { click: 'data-testid=add-to-cart' },
        { waitFor: 'data-testid=cart-count', text: '2' },
      ],
    },
  ],
  expect,
});

describe('expect.events', () => {
  it('waits for a Cart Abandoned it names, as cart: "abandoned" does', async () => {
    const result = await play(
      leavesACart({
        events: [
          { event: 'Product Added', properties: { product_id: '{{product}}' } },
          { event: 'Cart Abandoned', properties: { products: [{ product_id: '{{product}}', quantity: 2 }] } },
        ],
      }),
    );
    expect(failuresOf(result)).toEqual([]);
    const abandoned = result.events.filter((e) => e.event === 'Cart Abandoned');
    expect(abandoned).toHaveLength(1);
    // At the cart's last activity + 30 minutes: in the run's simulated past.
    const added = result.events.find((e) => e.event === 'Product Added')!;
    expect(Date.parse(abandoned[0].timestamp) - Date.parse(added.timestamp)).toBe(30 * 60_000);
  });

  it('says, when it fails, the values picked for the run and each candidate event field by field', async () => {
    const result = await play({
      ...leavesACart({
        events: [
          { event: 'Product Viewed', properties: { product_id: '{{product}}' } },
          { event: 'Product Added', properties: { product_id: '{{other}}', quantity: 2, variant: 'large' } },
        ],
      }),
      vars: { product: { pick: ['p-mug'] }, other: { pick: ['p-kettle'] } },
    });
    expect(result.failures).toHaveLength(1);
    const [failure] = result.failures;
    expect(failure).toMatchObject({ kind: 'expectation', expectation: 'events' });
    expect(failure.message).toMatch(/^expected \{"event":"Product Added","properties":\{"product_id":"p-kettle","quantity":2,"variant":"large"\}\} after /);
    expect(failure.picked).toEqual({ other: 'p-kettle' });
    expect(failure.compared).toEqual([
      {
        event: 'Product Added',
        at: expect.any(String),
        fields: [
          { path: 'properties.product_id', expected: 'p-kettle', actual: 'p-mug', equal: false },
          { path: 'properties.quantity', expected: 2, actual: 2, equal: true },
          { path: 'properties.variant', expected: 'large', equal: false },
        ],
      },
    ]);
  });
});

describe('expect.profile', () => {
  it('names the picked value a failed customer id expectation used', async () => {
    const result = await play({
      name: 'Someone else',
      vars: { customer: { unique: 'cus_' } },
      visits: [{ steps: [{ goto: '/' }, { identify: 'cus_fixed_{{run}}' }, { expectRequest: 'identify' }] }],
      expect: { profile: { customerId: '{{customer}}' } },
    });
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0].message).toBe(`expected customer id ${result.failures[0].picked?.customer}, got cus_fixed_1`);
    expect(result.failures[0].picked).toEqual({ customer: expect.stringMatching(/^cus_[0-9a-v]{12}$/) });
  });
});
