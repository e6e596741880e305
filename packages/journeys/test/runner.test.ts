// The runner in real Chromium against a real collector and the demo shop: simulated time between
// visits (cookies aged, sessions ended, every event in the collector's past), unique customers
// per run, offline legs, and failures that say where they happened and keep the evidence.
import { describeFailure, type RunResult } from '../src/runner';
import { runJourneys } from '../src/simulation';
import { parseJourney, type JourneySpec } from '../src/spec';
import { failuresOf, useDemo } from './stack';

jest.setTimeout(120_000);

const demo = useDemo();
const { play } = demo;

const MINUTE = 60_000;

describe('simulated time between visits', () => {
  let result: RunResult;
  let playedAt: number;

  beforeAll(async () => {
    playedAt = Date.now();
    result = await play({
      name: 'Three visits',
      visits: [
        { steps: [{ goto: '/' }, { waitFor: 'data-testid=product-grid' }] },
        { after: '45m', steps: [{ goto: '/cart.html' }, { waitFor: 'data-testid=cart-empty' }] },
        { after: '10m', steps: [{ goto: '/login.html' }, { waitFor: 'data-testid=login-form' }] },
      ],
      expect: { events: ['page:/', 'page:/cart.html', 'page:/login.html'], profile: { customerId: false, devices: 1 } },
    });
  });

  const pageView = (path: string) => result.events.find((e) => e.type === 'page' && (e.properties as { path?: string })?.path === path)!;

  it('passes, and the collector holds each page view once', () => {
    expect(failuresOf(result)).toEqual([]);
    expect(result.events.filter((e) => e.type === 'page').map((e) => (e.properties as { path: string }).path)).toEqual(['/', '/cart.html', '/login.html']);
  });

  it('stamps events with the browser’s simulated time: 45 and 10 minutes apart', () => {
    const t = ['/', '/cart.html', '/login.html'].map((p) => Date.parse(pageView(p).timestamp));
    expect(t[1] - t[0]).toBeGreaterThanOrEqual(45 * MINUTE);
    expect(t[1] - t[0]).toBeLessThan(46 * MINUTE);
    expect(t[2] - t[1]).toBeGreaterThanOrEqual(10 * MINUTE);
    expect(t[2] - t[1]).toBeLessThan(11 * MINUTE);
  });

  it('starts the run in the past, so every event is before "now" by more than the abandonment window', () => {
    const last = Math.max(...result.events.map((e) => Date.parse(e.timestamp)));
    const first = Math.min(...result.events.map((e) => Date.parse(e.timestamp)));
    // now − 55 minutes of visits − the 1 h margin
    expect(first).toBeLessThan(playedAt - 115 * MINUTE + MINUTE);
    expect(last).toBeLessThan(Date.now() - 59 * MINUTE);
    expect(Date.parse(result.simulatedStart)).toBeLessThanOrEqual(first);
  });

  it('ends the session after 45 idle minutes (spur_sid aged out) but not after 10', () => {
    const session = (p: string) => (pageView(p).context as { sessionId: string }).sessionId;
    expect(session('/cart.html')).not.toBe(session('/'));
    expect(session('/login.html')).toBe(session('/cart.html'));
  });

  it('keeps the visitor id (spur_aid, 400 days) across the visits', () => {
    expect(new Set(result.events.map((e) => e.anonymousId))).toEqual(new Set(result.devices[0].anonymousIds));
    expect(result.devices).toHaveLength(1);
    expect(result.devices[0].anonymousIds).toHaveLength(1);
  });
});

describe('identities', () => {
  const login = (email: unknown): JourneySpec => ({
    name: 'Log in',
    vars: { email },
    visits: [
      {
        steps: [
          { goto: '/login.html' },
          { fill: 'data-testid=login-email', value: '{{email}}' },
          { fill: 'data-testid=login-password', value: 'secret' },
          { press: 'data-testid=login-password', key: 'Enter' },
          { waitFor: { url: '/index.html' } },
        ],
      },
    ],
    expect: { events: ['identify'], profile: { customerId: true, devices: 1 } },
  });

  it('makes every run a new customer: own anonymous ids, own customer id', async () => {
    const sim = await runJourneys([parseJourney(login({ email: 'unique' }))], { ...demo.options(), browser: demo.browser, runs: 3, concurrency: 3 });
    for (const r of sim.runs) expect(failuresOf(r)).toEqual([]);
    expect(new Set(sim.runs.flatMap((r) => r.userIds)).size).toBe(3);
    expect(new Set(sim.runs.flatMap((r) => r.devices[0].anonymousIds)).size).toBe(3);
    expect(new Set(sim.runs.map((r) => r.runId)).size).toBe(3);
  });

  it('identifies with the spec’s own customer id and traits (identify step), random per run', async () => {
    const result = await play({
      name: 'Identify',
      vars: { customer: { unique: 'cus_' } },
      visits: [
        {
          steps: [
            { goto: '/' },
            { identify: '{{customer}}', traits: { plan: { pick: ['gold'] }, run: '{{run}}' } },
            { expectRequest: { type: 'identify', traits: { plan: 'gold', run: 1 } } },
          ],
        },
      ],
      expect: { events: ['page', 'identify'], profile: { customerId: '{{customer}}', devices: 1 } },
    });
    expect(failuresOf(result)).toEqual([]);
    expect(result.userIds).toEqual([expect.stringMatching(/^cus_[0-9a-v]{12}$/)]);
    expect(result.profiles[0].customerId).toBe(result.userIds[0]);
  });

  it('fails a run whose customer is also another run’s: a fixed email stitches runs together', async () => {
    const sim = await runJourneys([parseJourney(login('always.the.same@example.test'))], { ...demo.options(), browser: demo.browser, runs: 2, concurrency: 1 });
    expect(failuresOf(sim.runs[0])).toEqual([]);
    expect(sim.runs[1].passed).toBe(false);
    expect(sim.runs[1].failures).toEqual([
      expect.objectContaining({ kind: 'expectation', expectation: 'identity', message: expect.stringContaining('runs are not independent') }),
    ]);
  });
});

describe('when a run fails', () => {
  it('names the journey, run, visit, step and action, and keeps a screenshot and the requests sent', async () => {
    const result = await play(
      {
        name: 'Broken button',
        visits: [
          { steps: [{ goto: '/' }] },
          {
            after: '1h',
            steps: [
              { goto: '/product.html?id=p-mug' },
              // Its own timeout: the SDK sends every 2 s, longer than this test's step timeout.
              { expectRequest: { event: 'Product Viewed', properties: { product_id: 'p-mug' } }, timeout: '10s' },
              { click: 'data-testid=buy-now' },
            ],
          },
        ],
      },
      { stepTimeoutMs: 1500 },
    );
    expect(result.passed).toBe(false);
    expect(result.failures).toHaveLength(1);
    const [failure] = result.failures;
    expect(failure).toMatchObject({ kind: 'step', visit: 2, step: '3', action: 'click data-testid=buy-now' });
    expect(describeFailure(result, failure)).toMatch(
      new RegExp(`^journey "Broken button" run 1 \\(${result.runId}\\) visit 2 step 3 \\(click data-testid=buy-now\\): .*1500ms`),
    );
    expect(result.screenshot?.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const events = result.requests.flatMap((r) => r.events.map((e) => `${r.visit}:${e.type}:${e.event ?? ''}`));
    expect(events).toEqual(expect.arrayContaining(['1:page:', '2:page:', '2:track:Product Viewed']));
    expect(result.requests.every((r) => r.status === 200)).toBe(true);
  });

  it('says which expectation failed, what it expected and what the collector holds', async () => {
    const result = await play({
      name: 'Window shopper',
      // The shop's Product Viewed comes from the page's JSON-LD once the page has settled: wait for it.
      visits: [{ steps: [{ goto: '/product.html?id=p-kettle' }, { waitFor: 'data-testid=product-name' }, { expectRequest: 'Product Viewed' }] }],
      expect: { events: ['Product Viewed', 'Order Completed'], funnel: { steps: ['Product Viewed', 'Product Added'], reached: 2 } },
    });
    expect(result.failures.map((f) => [f.kind, f.expectation])).toEqual([
      ['expectation', 'events'],
      ['expectation', 'funnel'],
    ]);
    expect(result.failures[0].message).toBe(
      'expected "Order Completed" after "Product Viewed" (event 2 of 2, in order); the collector holds for this run: page /product.html, Product Viewed',
    );
    expect(result.failures[1].message).toMatch(/^expected the run to reach 2 of 2 funnel steps, it reached 1 \(Product Viewed\)/);
    // The last visit's page was still open for the screenshot.
    expect(result.screenshot).toBeDefined();
  });

  it('fails nothingSent and nothingStored for a page that tracks, naming what was sent and stored', async () => {
    // The consent-refused example passes these; here they must see spur at work, or that pass means nothing.
    const result = await play({
      name: 'Tracked',
      visits: [{ steps: [{ goto: '/' }, { waitFor: 'data-testid=product-grid' }] }],
      expect: { nothingSent: true, nothingStored: true },
    });
    const byExpectation = Object.fromEntries(result.failures.map((f) => [f.expectation, f.message]));
    expect(byExpectation.nothingSent).toMatch(/^expected no request to the collector; the browser sent \d+ \(page \/, Product List Viewed\)$/);
    expect(byExpectation.nothingStored).toMatch(/^expected spur to store nothing in the browser; device 1 has cookie spur_aid, cookie spur_sid, .*IndexedDB spur$/);
  });

  it('times out expectRequest with what the visit did send', async () => {
    const result = await play({
      name: 'Silent',
      visits: [{ steps: [{ goto: '/' }, { expectRequest: 'Order Completed', timeout: '2500ms' }] }],
    });
    expect(result.failures[0].message).toMatch(/^no request with "Order Completed" within 2500 ms; this visit sent: page \/, Product List Viewed$/);
  });
});

describe('consent', () => {
  it('grants consent on the first page of every device, so a shop that asks still records the journey', async () => {
    const result = await play({
      name: 'Says yes',
      consent: 'granted',
      visits: [
        { steps: [{ goto: '/?consent=required' }, { expectRequest: 'Product List Viewed' }] },
        { after: '1d', device: 'new', steps: [{ goto: '/product.html?id=p-mug&consent=required' }, { expectRequest: 'Product Viewed' }] },
      ],
      expect: { events: ['Product List Viewed', 'Product Viewed'] },
    });
    expect(failuresOf(result)).toEqual([]);
    expect(result.requests.map((r) => r.device)).toEqual(expect.arrayContaining([1, 2]));
    for (const d of result.devices) expect(d.cookies.map((c) => c.name)).toContain('spur_consent');
  });
});

describe('offline legs', () => {
  it('keeps what is recorded offline in the outbox and sends it, with its own time, when back online', async () => {
    const result = await play({
      name: 'Tunnel',
      visits: [
        {
          steps: [
            { goto: '/product.html?id=p-chai' },
            { expectRequest: 'Product Viewed' },
            { offline: [{ click: 'data-testid=add-to-cart' }, { waitFor: 'data-testid=added-message' }, { track: 'Offline Note', properties: { leg: 1 } }], reconnect: 'next-visit' },
          ],
        },
        { after: '3h', steps: [{ goto: '/cart.html' }, { expectRequest: 'Offline Note' }] },
      ],
      expect: { events: ['Product Added', 'Offline Note', 'page:/cart.html'] },
    });
    expect(failuresOf(result)).toEqual([]);
    // Nothing of the offline leg left during visit 1: it came with visit 2, three simulated hours later.
    const sentIn = (name: string) => result.requests.filter((r) => r.status === 200 && r.events.some((e) => e.event === name)).map((r) => r.visit);
    expect(sentIn('Product Added')).toEqual([2]);
    expect(sentIn('Offline Note')).toEqual([2]);
    const at = (name: string) => Date.parse(result.events.find((e) => e.event === name || (e.type === 'page' && name === 'cart' && (e.properties as { path?: string }).path === '/cart.html'))!.timestamp);
    expect(at('cart') - at('Product Added')).toBeGreaterThanOrEqual(3 * 60 * MINUTE);
  });
});
