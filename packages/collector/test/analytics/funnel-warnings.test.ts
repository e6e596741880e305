import { FactTable, funnelWarnings, type Fact } from '../../src/analytics';

let seq = 0;
const fact = (more: Omit<Fact, 'seq' | 'ts'>): Fact => ({ seq: ++seq, ts: seq * 1000, anonymousId: 'A', ...more });

describe('funnelWarnings', () => {
  const view = FactTable.from([
    fact({ type: 'page', path: '/products/mug' }),
    fact({ type: 'track', name: 'Product Added', path: '/checkout' }),
    fact({ type: 'track', name: 'Order Completed' }),
  ]).view();

  it('names event steps no stored event has, and path steps no page view matches, in step order', () => {
    expect(funnelWarnings(view, ['page:/products', 'Prodcut Added', 'page:/checkout', 'Order Completed', 'page:/cart'])).toEqual([
      'step 2 "Prodcut Added": no stored event has this name',
      // /checkout is only the page context of a track event, not a page view.
      'step 3 "page:/checkout": no page view has a path starting with /checkout',
      'step 5 "page:/cart": no page view has a path starting with /cart',
    ]);
  });

  it('has nothing to say when every step can match', () => {
    expect(funnelWarnings(view, ['page', 'page:/products/m', 'Product Added', ' Order Completed '])).toEqual([]);
  });

  it('warns of a page step without page views, and quotes a long step cut short', () => {
    const tracks = FactTable.from([fact({ type: 'track', name: 'Product Viewed' })]).view();
    const long = 'X'.repeat(200);
    expect(funnelWarnings(tracks, ['page', long])).toEqual([
      'step 1 "page": no page view is stored',
      `step 2 "${'X'.repeat(80)}…": no stored event has this name`,
    ]);
  });
});
