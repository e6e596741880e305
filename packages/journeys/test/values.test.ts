import { formatDuration, parseDuration } from '../src/duration';
import { jsonSyntaxError } from '../src/json-syntax';
import { contains, firstMissing, funnelReached, matchesEvent } from '../src/match';
import { parseJourney } from '../src/spec';
import { randomness, resolveValue, runVars, type Randomness } from '../src/values';

/** Picks the last item, and numbers its tokens: predictable "random" values. */
function fixed(): Randomness {
  let n = 0;
  return { int: (k) => k - 1, token: () => `t${++n}` };
}

describe('durations', () => {
  it('reads 45m, 2d, 1h30m, 10s, 500ms and 1w', () => {
    expect(parseDuration('45m')).toBe(45 * 60_000);
    expect(parseDuration('2d')).toBe(2 * 86_400_000);
    expect(parseDuration('1h30m')).toBe(90 * 60_000);
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1w')).toBe(7 * 86_400_000);
  });

  it('refuses text that is not a duration', () => {
    for (const text of ['', '2', '2 days', '1.5h', 'h', '-1d', '2D']) expect(parseDuration(text)).toBeUndefined();
  });

  it('writes durations for people', () => {
    expect(formatDuration(350)).toBe('350 ms');
    expect(formatDuration(1234)).toBe('1.2 s');
    expect(formatDuration(2 * 86_400_000 + 3 * 3_600_000 + 60_000)).toBe('2d 3h');
  });
});

describe('random values and {{var}} templates', () => {
  it('resolves the vars once per run: a pick, a unique email, a unique id with a prefix', () => {
    const journey = parseJourney({
      name: 'j',
      vars: { product: { pick: ['p-mug', 'p-kettle'] }, email: { email: 'unique' }, customer: { unique: 'cus_' } },
      visits: [{ steps: [{ goto: '/' }] }],
    });
    expect(runVars(journey.spec, { runId: 'r1', run: 3 }, fixed())).toEqual({
      runId: 'r1',
      run: 3,
      journey: 'j',
      product: 'p-kettle',
      email: 'shopper.t1@example.test',
      customer: 'cus_t2',
    });
  });

  it('gives every run its own email and id with the default randomness', () => {
    const spec = parseJourney({ name: 'j', vars: { email: { email: 'unique' }, id: { unique: 'cus_' } }, visits: [{ steps: [{ goto: '/' }] }] }).spec;
    const emails = new Set<unknown>();
    const ids = new Set<unknown>();
    for (let run = 1; run <= 200; run++) {
      const vars = runVars(spec, { runId: `r${run}`, run }, randomness);
      emails.add(vars.email);
      ids.add(vars.id);
    }
    expect(emails.size).toBe(200);
    expect(ids.size).toBe(200);
    for (const email of emails) expect(email).toMatch(/^shopper\.[0-9a-v]{12}@example\.test$/);
  });

  it('keeps the type of a value used as a whole ({{qty}}), and writes it into longer text', () => {
    const vars = { qty: 2, product: 'p-mug' };
    expect(resolveValue({ quantity: '{{qty}}', id: 'product-link-{{product}}', list: ['{{ qty }}'] }, vars)).toEqual({
      quantity: 2,
      id: 'product-link-p-mug',
      list: [2],
    });
  });

  it('resolves random values inside properties, and leaves lookalikes with more keys alone', () => {
    const value = resolveValue({ coupon: { pick: ['A', 'B'] }, note: { pick: ['x'], why: 'not random' } }, {}, fixed());
    expect(value).toEqual({ coupon: 'B', note: { pick: ['x'], why: 'not random' } });
  });
});

describe('event matchers', () => {
  const page = (path: string) => ({ type: 'page', properties: { path }, context: { page: { path } } });
  const track = (event: string, properties = {}) => ({ type: 'track', event, properties });

  it('matches names, page, page:/path, identify and objects the event contains', () => {
    expect(matchesEvent('Product Added', track('Product Added'))).toBe(true);
    expect(matchesEvent('Product Added', track('Product Viewed'))).toBe(false);
    expect(matchesEvent('page', page('/cart.html'))).toBe(true);
    expect(matchesEvent('page:/cart', page('/cart.html'))).toBe(true);
    expect(matchesEvent('page:/checkout', page('/cart.html'))).toBe(false);
    expect(matchesEvent('identify', { type: 'identify', userId: 'c1' })).toBe(true);
    expect(matchesEvent({ event: 'Product Added', properties: { quantity: 2 } }, track('Product Added', { quantity: 2, price: 9 }))).toBe(true);
    expect(matchesEvent({ event: 'Product Added', properties: { quantity: 2 } }, track('Product Added', { quantity: '2' }))).toBe(false);
  });

  it('matches arrays by the elements they contain', () => {
    const order = track('Order Completed', { products: [{ product_id: 'a', quantity: 1 }, { product_id: 'b', quantity: 3 }] });
    expect(contains(order, { properties: { products: [{ product_id: 'b', quantity: 3 }] } })).toBe(true);
    expect(contains(order, { properties: { products: [{ product_id: 'c' }] } })).toBe(false);
  });

  it('finds matchers in order with other events between, and names the first one missing', () => {
    const events = [page('/'), track('Product Viewed'), track('Product Added'), page('/cart.html'), track('Order Completed')];
    expect(firstMissing(['page', 'Product Added', 'Order Completed'], events)).toBe(-1);
    expect(firstMissing(['Product Added', 'Product Viewed'], events)).toBe(1);
    expect(firstMissing(['Checkout Started'], events)).toBe(0);
  });

  it('counts funnel steps in order within the window after step 1', () => {
    const at = (event: string, minutes: number) => ({ ...track(event), timestamp: new Date(Date.UTC(2026, 0, 1) + minutes * 60_000).toISOString() });
    const steps = ['Product Viewed', 'Product Added', 'Order Completed'];
    expect(funnelReached(steps, [at('Product Viewed', 0), at('Product Added', 5), at('Order Completed', 10)], 60 * 60_000)).toBe(3);
    expect(funnelReached(steps, [at('Product Added', 0), at('Product Viewed', 5), at('Order Completed', 10)], 60 * 60_000)).toBe(1);
    expect(funnelReached(steps, [at('Product Viewed', 0), at('Product Added', 5), at('Order Completed', 90)], 60 * 60_000)).toBe(2);
    // A later start that gets further counts.
    expect(funnelReached(steps, [at('Product Viewed', 0), at('Product Viewed', 100), at('Product Added', 110), at('Order Completed', 120)], 60 * 60_000)).toBe(3);
    expect(funnelReached(steps, [], 60_000)).toBe(0);
  });
});

describe('jsonSyntaxError(text)', () => {
  it('gives line, column and what was expected', () => {
    expect(jsonSyntaxError('{"a": 1}')).toBeUndefined();
    expect(jsonSyntaxError('{\n  "a": 1,\n}')).toBe('line 3, column 1: expected a property name in double quotes');
    expect(jsonSyntaxError('{"a" 1}')).toBe('line 1, column 6: expected ":" after the property name');
    expect(jsonSyntaxError('[1 2]')).toBe('line 1, column 4: expected "," or "]"');
    expect(jsonSyntaxError('{"a": "x\ny"}')).toBe('line 1, column 9: expected no line break or control character inside a string (use \\n)');
    expect(jsonSyntaxError('{"a": tru}')).toBe('line 1, column 7: expected a value (object, array, string, number, true, false or null)');
    expect(jsonSyntaxError('{} x')).toBe('line 1, column 4: expected the end of the document');
  });
});
