// Steps in real Chromium: a goto after a page that recorded events, against a collector that is
// slow to take them (a proxy holds the request with the marked event for 3 s), and what a failed
// expectRequest compared.
import { startSlowProxy, type SlowProxy } from './slow-proxy';
import { failuresOf, useDemo } from './stack';

jest.setTimeout(120_000);

const HOLD_MS = 3000;
const MARKER = 'Slow Goodbye';

let proxy: SlowProxy;
const { play } = useDemo({
  via: async (collectorUrl) => {
    proxy = await startSlowProxy(collectorUrl, (body) => (body.includes(MARKER) ? HOLD_MS : 0));
    return proxy.url;
  },
});
afterAll(() => proxy?.close());

describe('goto', () => {
  it('delivers what the page recorded before it leaves, so a slow collector has it when the run is checked', async () => {
    const before = proxy.held();
    const result = await play({
      name: 'Leaves at once',
      visits: [
        {
          steps: [
            { goto: '/' },
            { waitFor: 'data-testid=product-grid' },
            { track: MARKER, properties: { reason: 'in a hurry' } },
            // Right away: the page still holds the event (the SDK sends 2 s after the first one).
            { goto: '/cart.html' },
            { waitFor: 'data-testid=cart-empty' },
          ],
        },
      ],
      expect: { events: ['Product List Viewed', MARKER, 'page:/cart.html', 'Cart Viewed'] },
    });
    expect(failuresOf(result)).toEqual([]);
    expect(proxy.held()).toBe(before + 1);
    // The runner saw the request that took it and its answer (a keepalive request sent on
    // pagehide it could not see).
    const carrying = result.requests.filter((r) => r.events.some((e) => e.event === MARKER));
    expect(carrying.map((r) => [r.visit, r.status])).toEqual([[1, 200]]);
  });

  it('lets expectRequest after it see what the page it left sent', async () => {
    const result = await play({
      name: 'Leaves, then looks back',
      visits: [
        {
          steps: [
            { goto: '/product.html?id=p-chai' },
            { click: 'data-testid=add-to-cart' },
            { goto: '/cart.html' },
            { expectRequest: { event: 'Product Added', properties: { product_id: 'p-chai' } }, timeout: '1s' },
          ],
        },
      ],
    });
    expect(failuresOf(result)).toEqual([]);
  });
});

describe('expectRequest', () => {
  it('says, when it fails, which values were picked and how each sent event of that name differs', async () => {
    const result = await play({
      name: 'Wrong product',
      vars: { shown: { pick: ['p-mug'] }, wanted: { pick: ['p-kettle'] } },
      visits: [
        {
          steps: [
            { goto: '/product.html?id={{shown}}' },
            { expectRequest: { event: 'Product Viewed', properties: { product_id: '{{wanted}}', currency: 'EUR' } }, timeout: '4s' },
          ],
        },
      ],
    });
    expect(result.failures).toHaveLength(1);
    const [failure] = result.failures;
    expect(failure.message).toMatch(/^no request with \{"event":"Product Viewed","properties":\{"product_id":"p-kettle","currency":"EUR"\}\} within 4000 ms; this visit sent: /);
    expect(failure.picked).toEqual({ wanted: 'p-kettle' });
    expect(failure.compared).toEqual([
      {
        event: 'Product Viewed',
        at: expect.any(String),
        fields: [
          { path: 'properties.product_id', expected: 'p-kettle', actual: 'p-mug', equal: false },
          { path: 'properties.currency', expected: 'EUR', actual: 'EUR', equal: true },
        ],
      },
    ]);
  });
});
