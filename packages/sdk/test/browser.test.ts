// The script tag: window.spur, the stub queue, and config from data-* attributes.
import type { Spur } from '../src/client';
import { cleanPage, recorder, UUID_V4 } from './helpers';

type Global = ((command: string, ...args: unknown[]) => unknown) & Spur & { q?: IArguments[] };
const w = window as unknown as { spur?: Global; fetch?: typeof fetch };

let r: ReturnType<typeof recorder>;

/** The customer's page: the stub snippet, calls made before spur.js arrived, then spur.js itself. */
function boot(attributes: Record<string, string>, queued: unknown[][] = [], src = 'http://collector.test:8080/spur.js'): Global {
  const script = document.createElement('script');
  script.src = src;
  for (const [name, value] of Object.entries(attributes)) script.setAttribute(name, value);
  jest.spyOn(Document.prototype, 'currentScript', 'get').mockReturnValue(script);
  const stub = function () {
    // eslint-disable-next-line prefer-rest-params
    (stub.q = stub.q || []).push(arguments);
  } as unknown as Global;
  w.spur = w.spur || stub;
  for (const args of queued) w.spur(...(args as [string]));
  jest.isolateModules(() => require('../src/browser'));
  jest.restoreAllMocks();
  return w.spur!;
}

beforeEach(() => {
  cleanPage();
  delete w.spur;
  r = recorder();
  w.fetch = r.fetch;
});

afterEach(() => {
  delete w.fetch;
  jest.useRealTimers();
  jest.restoreAllMocks();
});

it('installs window.spur with every method of the API', () => {
  const spur = boot({ 'data-write-key': 'demo' });
  const api = ['init', 'page', 'track', 'identify', 'reset', 'flush', 'user', 'cart'];
  const ecommerce = ['productViewed', 'productListViewed', 'productAdded', 'productRemoved', 'cartViewed'];
  for (const name of [...api, ...ecommerce, 'checkoutStarted', 'orderCompleted'])
    expect(typeof (spur as unknown as Record<string, unknown>)[name]).toBe('function');
});

it('inits from data-write-key, sending a page view to where the script came from', async () => {
  const spur = boot({ 'data-write-key': 'demo' });
  await spur.flush();
  expect(r.calls).toHaveLength(1);
  expect(r.calls[0].url).toBe('http://collector.test:8080/v1/batch');
  expect(r.calls[0].body.writeKey).toBe('demo');
  expect(r.events().map((e) => e.type)).toEqual(['page']);
  expect(spur.user().anonymousId).toMatch(UUID_V4);
});

it.each([
  ['https://c.example/spur.js', 'https://c.example/v1/batch'],
  ['https://shop.example/spur/spur.js', 'https://shop.example/spur/v1/batch'],
  ['https://shop.example/spur/spur.js?v=3#x', 'https://shop.example/spur/v1/batch'],
  ['https://cdn.example/assets/tracker.min.js?a=/b', 'https://cdn.example/assets/v1/batch'],
])('sends a script loaded from %s to %s', async (src, url) => {
  const spur = boot({ 'data-write-key': 'demo' }, [], src);
  await spur.flush();
  expect(r.calls[0].url).toBe(url);
});

it('sends to data-endpoint when given', async () => {
  const spur = boot({ 'data-write-key': 'demo', 'data-endpoint': 'https://t.shop.example/' });
  await spur.flush();
  expect(r.calls[0].url).toBe('https://t.shop.example/v1/batch');
});

it('records no page view with data-auto-page="false"', async () => {
  const spur = boot({ 'data-write-key': 'demo', 'data-auto-page': 'false' });
  spur.track('Only this');
  await spur.flush();
  expect(r.events().map((e) => e.event)).toEqual(['Only this']);
});

it('writes the cookies for data-cookie-domain', () => {
  const writes: string[] = [];
  jest.spyOn(Document.prototype, 'cookie', 'set').mockImplementation((value: string) => void writes.push(value));
  const script = document.createElement('script');
  script.setAttribute('data-write-key', 'demo');
  script.setAttribute('data-cookie-domain', 'shop.example');
  jest.spyOn(Document.prototype, 'currentScript', 'get').mockReturnValue(script);
  jest.isolateModules(() => require('../src/browser'));
  expect(writes.find((c) => c.startsWith('spur_aid='))).toContain('; Domain=shop.example');
});

it('replays the stub queue in order, applying a queued init first, over the data attributes', async () => {
  const spur = boot({ 'data-write-key': 'from-tag', 'data-auto-page': 'false' }, [
    ['track', 'Before'],
    ['identify', 'customer-42', { plan: 'gold' }],
    ['init', { writeKey: 'from-queue', endpoint: 'http://other.test' }],
    ['track', 'After', { n: 1 }],
  ]);
  await spur.flush();
  expect(r.calls[0].url).toBe('http://other.test/v1/batch');
  expect(r.calls[0].body.writeKey).toBe('from-queue');
  expect(r.events().map((e) => [e.type, e.event, e.userId])).toEqual([
    ['track', 'Before', undefined],
    ['identify', undefined, 'customer-42'],
    ['track', 'After', 'customer-42'],
  ]);
});

it('inits from a queued init alone, with the fetch it passes', async () => {
  const own = recorder();
  const spur = boot({}, [['init', { writeKey: 'k', fetch: own.fetch }], ['track', 'Hello']]);
  await spur.flush();
  expect(own.events().map((e) => e.type + ':' + (e.event || ''))).toEqual(['page:', 'track:Hello']);
  expect(r.calls).toHaveLength(0);
});

it('waits for spur.init() when no write key is known, without throwing', async () => {
  const spur = boot({}, [['track', 'Too early']]);
  expect(() => spur.track('Still early')).not.toThrow();
  spur.init({ writeKey: 'late' });
  spur.track('Now');
  await spur.flush();
  expect(r.events().map((e) => e.event || e.type)).toEqual(['page', 'Now']);
});

it('keeps spur(command, ...args) working after load', async () => {
  const spur = boot({ 'data-write-key': 'demo', 'data-auto-page': 'false' });
  spur('track', 'Clicked', { id: 7 });
  spur('identify', 'u1');
  await spur('flush');
  expect(r.events().map((e) => e.event || e.type)).toEqual(['Clicked', 'identify']);
  expect(spur('user')).toMatchObject({ userId: 'u1' });
});

it('ignores unknown commands without throwing', () => {
  const spur = boot({ 'data-write-key': 'demo' });
  expect(() => spur('nope', 1, 2)).not.toThrow();
  expect(spur('nope')).toBeUndefined();
});

it('throws on misuse through the command form too', () => {
  const spur = boot({ 'data-write-key': 'demo' });
  expect(() => spur('track')).toThrow(/track\(event\) needs an event name/);
});

it('reports a misuse in the queue later, as an uncaught error, and replays the rest', async () => {
  const later: (() => void)[] = [];
  const realSetTimeout = window.setTimeout;
  jest.spyOn(window, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
    if (ms === undefined) return later.push(fn);
    return realSetTimeout(fn, ms);
  }) as typeof setTimeout);
  const script = document.createElement('script');
  script.setAttribute('data-write-key', 'demo');
  script.setAttribute('data-auto-page', 'false');
  jest.spyOn(Document.prototype, 'currentScript', 'get').mockReturnValue(script);
  // What the snippet queues: `arguments` objects.
  const args = function (..._: unknown[]) {
    // eslint-disable-next-line prefer-rest-params
    return arguments;
  };
  const stub = Object.assign(() => undefined, { q: [args('track'), args('track', 'Good')] });
  w.spur = stub as unknown as Global;
  jest.isolateModules(() => require('../src/browser'));
  jest.restoreAllMocks();
  expect(later).toHaveLength(1);
  expect(later[0]).toThrow(/track\(event\) needs an event name/);
  await w.spur!.flush();
  expect(r.events().map((e) => e.event)).toEqual(['Good']);
});

it('keeps the first copy in charge when spur.js is loaded twice', () => {
  const first = boot({ 'data-write-key': 'demo' });
  const second = boot({ 'data-write-key': 'demo' });
  expect(second).toBe(first);
});

it('warns about unknown commands with data-debug', () => {
  const spur = boot({ 'data-write-key': 'demo', 'data-debug': '' });
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  spur('nope');
  expect(warn).toHaveBeenCalledWith('[spur]', 'unknown command', 'nope');
});
