// The shape of every event: Segment fields plus spur's context.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Spur } from '../src/client';
import { campaign, VERSION } from '../src/track';
import type { SpurEvent } from '../src/types';
import { cleanPage, freshSpur, recorder, UUID_V4 } from './helpers';

let spur: Spur;
let sent: () => Promise<SpurEvent[]>;

beforeEach(() => {
  cleanPage();
  const r = recorder();
  spur = freshSpur();
  spur.init({ writeKey: 'demo', fetch: r.fetch, autoPage: false });
  sent = async () => {
    await spur.flush();
    return r.events();
  };
});

describe('every event', () => {
  it('carries type, messageId, ids, timestamp and the full context', async () => {
    history.replaceState(null, '', '/shoes?color=red&utm_source=news&utm_medium=email&utm_campaign=spring&utm_term=boots&utm_content=top#reviews');
    document.title = 'Red shoes';
    const before = Date.now();
    spur.track('Clicked', { button: 'buy' });
    const [event] = await sent();
    expect(event).toEqual({
      type: 'track',
      event: 'Clicked',
      properties: { button: 'buy' },
      messageId: expect.stringMatching(UUID_V4),
      anonymousId: expect.stringMatching(UUID_V4),
      timestamp: expect.any(String),
      context: {
        page: {
          url: 'http://localhost/shoes?color=red&utm_source=news&utm_medium=email&utm_campaign=spring&utm_term=boots&utm_content=top',
          path: '/shoes',
          referrer: '',
          title: 'Red shoes',
          search: '?color=red&utm_source=news&utm_medium=email&utm_campaign=spring&utm_term=boots&utm_content=top',
        },
        locale: navigator.language,
        screen: { width: screen.width, height: screen.height, density: devicePixelRatio },
        campaign: { source: 'news', medium: 'email', name: 'spring', term: 'boots', content: 'top' },
        sessionId: expect.stringMatching(UUID_V4),
        channel: 'web',
        library: { name: 'spur', version: VERSION },
      },
    });
    expect(Date.parse(event.timestamp)).toBeGreaterThanOrEqual(before);
    expect(new Date(event.timestamp).toISOString()).toBe(event.timestamp);
  });

  // A page's first use of Intl loads ICU data: tens of ms of main thread on a fresh profile. The
  // collector takes the user agent from the request's header.
  it('sends neither a time zone nor a user agent, and never touches Intl', async () => {
    const intl = jest.spyOn(Intl, 'DateTimeFormat');
    const offset = jest.spyOn(Date.prototype, 'getTimezoneOffset');
    spur.track('A');
    spur.page();
    const events = await sent();
    expect(events).toHaveLength(2);
    for (const e of events) {
      expect(e.context).not.toHaveProperty('timezone');
      expect(e.context).not.toHaveProperty('userAgent');
    }
    expect(intl).not.toHaveBeenCalled();
    expect(offset).not.toHaveBeenCalled();
    intl.mockRestore();
    offset.mockRestore();
  });

  it('gets a fresh messageId each time', async () => {
    spur.track('A');
    spur.track('A');
    const [a, b] = await sent();
    expect(a.messageId).not.toBe(b.messageId);
  });

  it('leaves out what JSON cannot carry instead of failing the batch', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    spur.track('Cyclic', cyclic);
    spur.track('Odd', { when: new Date('2025-01-01T00:00:00Z'), fn: () => 1, nothing: undefined });
    const events = await sent();
    expect(events.map((e) => e.event)).toEqual(['Odd']);
    expect(events[0].properties).toEqual({ when: '2025-01-01T00:00:00.000Z' });
  });
});

// The context is made once per page state and reused: it must stay exact whatever changes between
// two events (the URL, the title, the referrer, the session, the screen).
describe('the context, reused between events', () => {
  /** The context an event made now must carry, from scratch. */
  const expected = (referrer = '') => {
    const search = location.search;
    const [, utm] = campaign(search);
    return {
      page: { url: location.href.split('#')[0], path: location.pathname, referrer, title: document.title, search },
      locale: navigator.language,
      screen: { width: screen.width, height: screen.height, density: devicePixelRatio },
      ...(utm && { campaign: utm }),
      sessionId: spur.user().sessionId,
      channel: 'web',
      library: { name: 'spur', version: VERSION },
    };
  };

  const dpr = Object.getOwnPropertyDescriptor(window, 'devicePixelRatio')!;
  afterEach(() => Object.defineProperty(window, 'devicePixelRatio', dpr));

  it('stays exact through title changes, SPA navigations, new sessions and screen changes', async () => {
    const r = recorder();
    spur = freshSpur();
    spur.init({ writeKey: 'demo', fetch: r.fetch }); // page views on: the referrer follows SPA navigation
    let referrer = '';
    const contexts: unknown[] = [expected(referrer)]; // the page view
    const step = (name: string) => {
      spur.track(name);
      contexts.push(expected(referrer));
    };
    /** An SPA navigation: its page view, made with the page as it is then. */
    const navigate = (go: () => void) => {
      const previous = location.href.split('#')[0];
      go();
      referrer = previous;
      contexts.push(expected(referrer));
    };
    document.title = 'Shoes';
    navigate(() => history.replaceState(null, '', '/shoes'));
    step('A');
    step('Same page');
    document.title = 'Schuhe – Größe 42'; // beyond ASCII too
    step('New title');
    navigate(() => history.pushState(null, '', '/shoes/red?utm_source=news&utm_campaign=spring'));
    step('SPA navigation');
    history.pushState(null, '', '/shoes/red?utm_source=news&utm_campaign=spring#reviews'); // a fragment: no navigation
    step('Fragment');
    const width = jest.spyOn(Screen.prototype, 'width', 'get').mockReturnValue(390);
    jest.spyOn(Screen.prototype, 'height', 'get').mockReturnValue(844);
    step('Phone');
    width.mockReturnValue(844); // rotated
    step('Rotated');
    Object.defineProperty(window, 'devicePixelRatio', { configurable: true, value: 3 });
    step('Other display');
    spur.reset(); // a new session
    step('New session');
    jest.restoreAllMocks();
    Object.defineProperty(window, 'devicePixelRatio', dpr);
    // Back to /shoes (popstate), where an earlier context was made, but with another referrer.
    const back = new Promise((resolve) => addEventListener('popstate', resolve, { once: true }));
    const previous = location.href.split('#')[0];
    history.go(-2);
    await back;
    referrer = previous;
    contexts.push(expected(referrer));
    document.title = 'Shoes';
    step('Back');
    await spur.flush();
    const events = r.events();
    expect(events.map((e) => e.event || e.type)).toEqual([
      ...['page', 'page', 'A', 'Same page', 'New title', 'page', 'SPA navigation', 'Fragment'],
      ...['Phone', 'Rotated', 'Other display', 'New session', 'page', 'Back'],
    ]);
    expect(events.map((e) => e.context)).toEqual(contexts);
    // Sent as ASCII: its length is its size in bytes.
    for (const c of r.calls) expect(String(c.init.body)).toMatch(/^[\0-~]*$/);
  });
});

describe('page(name?, properties?)', () => {
  it('records the page as properties too', async () => {
    history.replaceState(null, '', '/cart?step=1');
    document.title = 'Cart';
    spur.page('Cart', { layout: 'wide' });
    const [event] = await sent();
    expect(event).toMatchObject({
      type: 'page',
      name: 'Cart',
      properties: { url: 'http://localhost/cart?step=1', path: '/cart', referrer: '', title: 'Cart', search: '?step=1', layout: 'wide' },
    });
  });

  it('needs no name', async () => {
    spur.page();
    const [event] = await sent();
    expect(event.type).toBe('page');
    expect(event.name).toBeUndefined();
  });
});

describe('track(event, properties?)', () => {
  it('throws, saying what to pass, without an event name string', () => {
    const loose = spur.track as (...args: unknown[]) => void;
    expect(() => loose()).toThrow(/spur.track needs an event name/);
    expect(() => loose({ event: 'x' })).toThrow(Error);
    expect(() => loose('')).toThrow(Error);
  });

  it('ignores properties that are not an object', async () => {
    (spur.track as (...args: unknown[]) => void)('A', 'oops');
    const [event] = await sent();
    expect(event.properties).toEqual({});
  });
});

describe('campaign(search)', () => {
  const fingerprint = (search: string) => campaign(search)[2];

  it('maps utm_* to the Segment campaign fields', () => {
    expect(campaign('?utm_campaign=spring&utm_source=news')[1]).toEqual({ source: 'news', name: 'spring' });
    expect(campaign('?q=shoes')).toEqual(['?q=shoes', undefined, '']);
  });

  it('fingerprints campaigns shortly and tells them apart', () => {
    const a = fingerprint('?utm_source=news');
    expect(a).toMatch(/^[0-9a-z]{1,7}$/);
    expect(fingerprint('?utm_source=ads')).not.toBe(a);
    expect(fingerprint('?utm_source=news&x=1')).toBe(a);
    expect(fingerprint('?utm_source=news')).toBe(a);
    expect(fingerprint('')).toBe('');
  });

  it('fingerprints as spur_sid cookies already hold it (a session goes on after an update)', () => {
    expect(fingerprint('?utm_source=news&utm_campaign=spring')).toBe('1e5h08a');
    expect(fingerprint('?utm_content=top&utm_term=boots&utm_campaign=spring&utm_medium=email&utm_source=news')).toBe('1xb5jai');
    expect(fingerprint('?utm_source=n%C3%BCrnberg')).toBe('rpjybp');
  });
});

it('reports the version of packages/sdk/package.json', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '../package.json'), 'utf8'));
  expect(VERSION).toBe(pkg.version);
});
