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
  const api = ['init', 'page', 'track', 'identify', 'reset', 'consent', 'flush', 'user', 'cart'];
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

it('writes the cookies for data-cookie-domain', async () => {
  const writes: string[] = [];
  jest.spyOn(Document.prototype, 'cookie', 'set').mockImplementation((value: string) => void writes.push(value));
  const script = document.createElement('script');
  script.setAttribute('data-write-key', 'demo');
  script.setAttribute('data-cookie-domain', 'shop.example');
  jest.spyOn(Document.prototype, 'currentScript', 'get').mockReturnValue(script);
  jest.isolateModules(() => require('../src/browser'));
  await new Promise((resolve) => setTimeout(resolve)); // the cookies are written in the task after the script
  expect(writes.find((c) => c.startsWith('spur_aid='))).toContain(';Domain=shop.example');
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

/** console.warn's calls while `run` runs (boot() restores jest's spies, and their calls with them). */
async function warnings(run: () => unknown): Promise<unknown[][]> {
  const calls: unknown[][] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => void calls.push(args);
  try {
    await run();
  } finally {
    console.warn = original;
  }
  return calls;
}

it('warns once in the console without data-write-key, debug or not, and does nothing else', async () => {
  let spur: Global | undefined;
  const calls = await warnings(async () => {
    spur = boot({}, [['track', 'Queued']]);
    spur.track('Later');
    await spur.flush(50);
    await new Promise((resolve) => setTimeout(resolve, 20));
  });
  expect(calls).toEqual([['[spur] no data-write-key']]);
  expect(r.calls).toHaveLength(0);
  expect(document.cookie).toBe('');
  expect(localStorage.length).toBe(0);
  expect(await indexedDB.databases()).toEqual([]);
  expect(spur!.user()).toEqual({});
});

it('warns about nothing when the key comes from the tag or from a queued init', async () => {
  const calls = await warnings(async () => {
    await boot({ 'data-write-key': 'demo' }).flush();
    delete w.spur;
    await boot({}, [['init', { writeKey: 'queued' }]]).flush();
  });
  expect(calls).toEqual([]);
  expect(r.calls.map((c) => c.body.writeKey)).toEqual(['demo', 'queued']);
});

it('waits for spur.init() when no write key is known, without throwing', async () => {
  let booted: Global | undefined;
  expect(await warnings(() => (booted = boot({}, [['track', 'Too early']])))).toHaveLength(1);
  const spur = booted!;
  expect(() => spur.track('Still early')).not.toThrow();
  spur.init({ writeKey: 'late' });
  spur.track('Now');
  await spur.flush();
  expect(r.events().map((e) => e.event || e.type)).toEqual(['page', 'Now']);
});

it('holds everything with data-consent="required" until spur("consent", "granted")', async () => {
  const spur = boot({ 'data-write-key': 'demo', 'data-consent': 'required' }, [['track', 'Queued']]);
  spur.track('Later');
  await spur.flush(100);
  expect(r.calls).toHaveLength(0);
  expect(document.cookie).toBe('');
  expect(localStorage.length).toBe(0);
  spur('consent', 'granted');
  await spur.flush();
  expect(r.events().map((e) => e.event || e.type)).toEqual(['page', 'Queued', 'Later']);
  expect(document.cookie).toContain('spur_consent=granted');
});

it('replays a queued consent after the init, in its place among the calls', async () => {
  const spur = boot({ 'data-write-key': 'demo', 'data-consent': 'required' }, [
    ['track', 'Before the choice'],
    ['consent', 'denied'],
    ['track', 'After the choice'],
  ]);
  await spur.flush(100);
  expect(r.calls).toHaveLength(0);
  expect(document.cookie).toBe('spur_consent=denied');
  spur('consent', 'granted');
  spur('track', 'Granted');
  await spur.flush();
  expect(r.events().map((e) => e.event || e.type)).toEqual(['Granted']);
});

it('tracks a browser that sends Global Privacy Control only with data-gpc="ignore"', async () => {
  Object.defineProperty(navigator, 'globalPrivacyControl', { configurable: true, value: true });
  try {
    const spur = boot({ 'data-write-key': 'demo', 'data-auto-page': 'false' });
    spur.track('Honoured');
    await spur.flush(100);
    expect(r.calls).toHaveLength(0);
    delete w.spur;
    const ignoring = boot({ 'data-write-key': 'demo', 'data-auto-page': 'false', 'data-gpc': 'ignore' });
    ignoring.track('Ignored');
    await ignoring.flush();
    expect(r.events().map((e) => e.event)).toEqual(['Ignored']);
  } finally {
    delete (navigator as { globalPrivacyControl?: boolean }).globalPrivacyControl;
  }
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
  expect(() => spur('track')).toThrow(/spur.track needs an event name/);
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
  // (The deferred start is a task too.)
  const thrown = later.map((task) => {
    try {
      task();
    } catch (error) {
      return error;
    }
  });
  expect(thrown.filter(Boolean)).toEqual([expect.objectContaining({ message: 'spur.track needs an event name' })]);
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

// The script does at once only what must happen while it runs (window.spur, the stub queue, the
// facts of each call); cookies, serialising, IndexedDB and Web Locks follow in a task right after,
// so that evaluating spur.js stays cheap.
describe('the deferred start', () => {
  /** Runs spur.js as boot() does, leaving other spies in place; `nextTask` lets the deferred part run. */
  function load(attributes: Record<string, string>, queued: unknown[][] = []): Global {
    const script = document.createElement('script');
    script.src = 'http://collector.test:8080/spur.js';
    for (const [name, value] of Object.entries(attributes)) script.setAttribute(name, value);
    const current = jest.spyOn(Document.prototype, 'currentScript', 'get').mockReturnValue(script);
    const stub = function () {
      // eslint-disable-next-line prefer-rest-params
      (stub.q = stub.q || []).push(arguments);
    } as unknown as Global;
    w.spur = stub;
    for (const args of queued) w.spur(...(args as [string]));
    jest.isolateModules(() => require('../src/browser'));
    current.mockRestore();
    return w.spur!;
  }
  const nextTask = () => new Promise((resolve) => setTimeout(resolve));

  it('leaves cookies and IndexedDB to a task after the script', async () => {
    const open = jest.spyOn(indexedDB, 'open');
    const spur = load({ 'data-write-key': 'demo' }, [['track', 'Queued']]);
    expect(document.cookie).not.toContain('spur_aid');
    expect(open).not.toHaveBeenCalled();
    await nextTask();
    expect(document.cookie).toContain('spur_aid=');
    expect(open).toHaveBeenCalled();
    await spur.flush();
    expect(r.events().map((e) => e.event || e.type)).toEqual(['page', 'Queued']);
  });

  it('records the page view with the URL, title and time of the load, whatever changes before the rest runs', async () => {
    history.replaceState(null, '', '/p/42');
    document.title = 'Product 42';
    const spur = load({ 'data-write-key': 'demo' });
    const loaded = Date.now();
    document.title = 'Reviews';
    history.pushState(null, '', '/p/42?tab=reviews'); // an SPA navigation, before the deferred start
    await spur.flush();
    const views = r.events().filter((e) => e.type === 'page');
    expect(views.map((e) => [e.properties!.path, e.properties!.search, e.properties!.title])).toEqual([
      ['/p/42', '', 'Product 42'],
      ['/p/42', '?tab=reviews', 'Reviews'],
    ]);
    expect(views[0].context!.page).toEqual(views[0].properties);
    expect(Date.parse(views[0].timestamp)).toBeLessThanOrEqual(loaded);
  });

  it('delivers what is recorded before the rest runs, in order, with the ids it would have had', async () => {
    const spur = load({ 'data-write-key': 'demo' });
    spur.track('A');
    spur.identify('customer-42', { plan: 'gold' });
    spur('track', 'B');
    spur.reset();
    spur.track('C');
    await spur.flush();
    const events = r.events();
    expect(events.map((e) => [e.event || e.type, e.userId])).toEqual([
      ['page', undefined],
      ['A', undefined],
      ['identify', 'customer-42'],
      ['B', 'customer-42'],
      ['C', undefined],
    ]);
    expect(events[2].traits).toEqual({ plan: 'gold' });
    expect(new Set(events.slice(0, 4).map((e) => e.anonymousId)).size).toBe(1);
    expect(events[4].anonymousId).not.toBe(events[0].anonymousId);
    expect(events[4].anonymousId).toBe(document.cookie.match(/spur_aid=([^;]+)/)![1]);
    expect(new Set(events.map((e) => e.messageId)).size).toBe(5);
  });

  it('keeps the properties as they were when the call was made', async () => {
    const spur = load({ 'data-write-key': 'demo', 'data-auto-page': 'false' });
    const properties = { position: 1, list: ['a'] };
    spur.track('Impression', properties);
    properties.position = 2;
    properties.list.push('b');
    await spur.flush();
    expect(r.events()[0].properties).toEqual({ position: 1, list: ['a'] });
  });

  it('skips, with a warning, an event whose properties JSON cannot carry, and keeps the others', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const spur = load({ 'data-write-key': 'demo', 'data-auto-page': 'false' });
    expect(() => spur.track('Cyclic', cyclic)).not.toThrow();
    spur.track('Fine');
    await spur.flush();
    expect(r.events().map((e) => e.event)).toEqual(['Fine']);
  });

  // (Pages of earlier tests listen too: this one sends through a fetch of its own.)
  it('sends the page view on a pagehide right after load, at once and with keepalive', () => {
    const own = recorder();
    load({}, [['init', { writeKey: 'demo', fetch: own.fetch }]]);
    dispatchEvent(new Event('pagehide'));
    expect(own.calls).toHaveLength(1);
    expect(own.calls[0].init.keepalive).toBe(true);
    expect(own.events().map((e) => e.type)).toEqual(['page']);
  });

  it('sends the page view when the page is hidden right after load', () => {
    const own = recorder();
    load({}, [['init', { writeKey: 'demo', fetch: own.fetch }]]);
    const visibility = jest.spyOn(document, 'visibilityState', 'get').mockReturnValue('hidden');
    const hiddenSpy = jest.spyOn(document, 'hidden', 'get').mockReturnValue(true);
    document.dispatchEvent(new Event('visibilitychange'));
    visibility.mockRestore();
    hiddenSpy.mockRestore();
    expect(own.events().map((e) => e.type)).toEqual(['page']);
  });

  it('answers user() right after load', () => {
    const spur = load({ 'data-write-key': 'demo' });
    const { anonymousId } = spur.user();
    expect(anonymousId).toMatch(UUID_V4);
    expect(document.cookie).toContain(`spur_aid=${anonymousId}`);
  });
});
