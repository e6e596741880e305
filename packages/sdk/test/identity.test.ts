// The ids spur keeps for a visitor: spur_aid, spur_sid and the customer after identify().
import type { Spur } from '../src/client';
import { getCookie } from '../src/cookies';
import type { SpurEvent } from '../src/types';
import { cleanPage, clearCookies, freshSpur, recorder, UUID_V4 } from './helpers';

let written: string[];

beforeEach(() => {
  cleanPage();
  written = [];
  const descriptor = Object.getOwnPropertyDescriptor(Document.prototype, 'cookie')!;
  jest.spyOn(Document.prototype, 'cookie', 'set').mockImplementation(function (this: Document, value: string) {
    written.push(value);
    descriptor.set!.call(this, value);
  });
});

afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
});

/** A page load: a fresh instance over the same cookies and storage. */
function load(config: object = {}) {
  const r = recorder();
  const spur = freshSpur();
  spur.init({ writeKey: 'demo', fetch: r.fetch, autoPage: false, ...config });
  const sent = async (): Promise<SpurEvent[]> => {
    await spur.flush();
    return r.events();
  };
  return { spur, sent };
}

async function eventIn(spur: Spur, sent: () => Promise<SpurEvent[]>, name = 'E') {
  spur.track(name);
  const events = await sent();
  return events[events.length - 1];
}

describe('spur_aid', () => {
  it('is a uuid v4 kept for 400 days, Lax, on the whole site', () => {
    load();
    const aid = getCookie('spur_aid')!;
    expect(aid).toMatch(UUID_V4);
    expect(written).toContain(`spur_aid=${aid};Max-Age=34560000;Path=/;SameSite=Lax`);
  });

  it('is re-written with the same id on each page load, sliding its expiry', () => {
    load();
    const aid = getCookie('spur_aid');
    written = [];
    load();
    expect(getCookie('spur_aid')).toBe(aid);
    expect(written).toContain(`spur_aid=${aid};Max-Age=34560000;Path=/;SameSite=Lax`);
  });

  it('carries the configured cookie domain', () => {
    load({ cookieDomain: 'shop.example' });
    expect(written.find((c) => c.startsWith('spur_aid='))).toMatch(/;Domain=shop\.example$/);
  });

  it('is the anonymousId of every event', async () => {
    const { spur, sent } = load();
    const event = await eventIn(spur, sent);
    expect(event.anonymousId).toBe(getCookie('spur_aid'));
    expect(spur.user().anonymousId).toBe(getCookie('spur_aid'));
  });
});

describe('spur_sid', () => {
  it('is written with Max-Age 1800 when it changes, and again at most once a minute, so the session slides', async () => {
    jest.useFakeTimers({ now: new Date('2025-03-01T10:00:00Z') });
    const { spur, sent } = load();
    written = [];
    spur.track('A');
    spur.track('B');
    spur.track('C');
    await sent();
    const sid = getCookie('spur_sid');
    const writes = () => written.filter((c) => c === `spur_sid=${sid};Max-Age=1800;Path=/;SameSite=Lax`).length;
    expect(writes()).toBe(1);
    jest.setSystemTime(new Date('2025-03-01T10:00:59Z'));
    await eventIn(spur, sent);
    expect(writes()).toBe(1);
    jest.setSystemTime(new Date('2025-03-01T10:01:01Z'));
    await eventIn(spur, sent);
    expect(writes()).toBe(2);
  });

  it('sees a new session another tab started within a second', async () => {
    jest.useFakeTimers({ now: new Date('2025-03-01T10:00:00Z') });
    const { spur, sent } = load();
    const a = await eventIn(spur, sent);
    document.cookie = 'spur_sid=00000000-0000-4000-8000-000000000000.; Max-Age=1800; Path=/'; // the other tab
    jest.setSystemTime(new Date('2025-03-01T10:00:01.001Z'));
    const b = await eventIn(spur, sent);
    expect(a.context!.sessionId).not.toBe('00000000-0000-4000-8000-000000000000');
    expect(b.context!.sessionId).toBe('00000000-0000-4000-8000-000000000000');
  });

  it('holds `<uuid>.<campaign>` and sends only the uuid as context.sessionId', async () => {
    history.replaceState(null, '', '/?utm_source=news&utm_campaign=spring');
    const { spur, sent } = load();
    const event = await eventIn(spur, sent);
    const [uuid, fingerprint] = getCookie('spur_sid')!.split('.');
    expect(event.context!.sessionId).toBe(uuid);
    expect(uuid).toMatch(UUID_V4);
    expect(fingerprint).toMatch(/^[0-9a-z]{1,8}$/);
    expect(spur.user().sessionId).toBe(uuid);
  });

  it('continues the session on the next page load', async () => {
    const first = load();
    const a = await eventIn(first.spur, first.sent);
    const second = load();
    const b = await eventIn(second.spur, second.sent);
    expect(b.context!.sessionId).toBe(a.context!.sessionId);
  });

  it('starts a new session after 30 minutes without events', async () => {
    jest.useFakeTimers({ now: new Date('2025-03-01T10:00:00Z') });
    const { spur, sent } = load();
    const a = await eventIn(spur, sent);
    jest.setSystemTime(new Date('2025-03-01T10:29:00Z'));
    const b = await eventIn(spur, sent);
    expect(b.context!.sessionId).toBe(a.context!.sessionId);
    // The browser lets the cookie lapse 30 minutes after its last write.
    jest.setSystemTime(new Date('2025-03-01T10:59:01Z'));
    clearCookies();
    const c = await eventIn(spur, sent);
    expect(c.context!.sessionId).not.toBe(a.context!.sessionId);
  });

  it('keeps the session in memory, for 30 idle minutes, when cookies are blocked', async () => {
    jest.useFakeTimers({ now: new Date('2025-03-01T10:00:00Z') });
    jest.spyOn(Document.prototype, 'cookie', 'set').mockImplementation(() => {
      throw new DOMException('blocked', 'SecurityError');
    });
    const { spur, sent } = load();
    const a = await eventIn(spur, sent);
    jest.setSystemTime(new Date('2025-03-01T10:20:00Z'));
    const b = await eventIn(spur, sent);
    jest.setSystemTime(new Date('2025-03-01T10:50:01Z'));
    const c = await eventIn(spur, sent);
    expect(a.context!.sessionId).toMatch(UUID_V4);
    expect(b.context!.sessionId).toBe(a.context!.sessionId);
    expect(c.context!.sessionId).not.toBe(a.context!.sessionId);
    expect(c.anonymousId).toBe(a.anonymousId);
  });

  it('starts a new session when a new campaign arrives, not when the next page has none', async () => {
    const { spur, sent } = load();
    history.replaceState(null, '', '/?utm_source=news&utm_campaign=spring');
    const a = await eventIn(spur, sent);
    history.replaceState(null, '', '/?utm_source=ads&utm_campaign=sale');
    const b = await eventIn(spur, sent);
    history.replaceState(null, '', '/product/42');
    const c = await eventIn(spur, sent);
    history.replaceState(null, '', '/?utm_source=ads&utm_campaign=sale');
    const d = await eventIn(spur, sent);
    expect(b.context!.sessionId).not.toBe(a.context!.sessionId);
    expect(c.context!.sessionId).toBe(b.context!.sessionId);
    expect(d.context!.sessionId).toBe(b.context!.sessionId);
  });

  it('starts a new session when a campaign arrives during a session without one', async () => {
    const { spur, sent } = load();
    const a = await eventIn(spur, sent);
    history.replaceState(null, '', '/?utm_source=news');
    const b = await eventIn(spur, sent);
    expect(b.context!.sessionId).not.toBe(a.context!.sessionId);
  });
});

describe('identify(userId, traits?)', () => {
  it('sends an identify event with the traits, and the userId on every later event', async () => {
    const { spur, sent } = load();
    spur.identify('customer-42', { email: 'ada@example.com' });
    spur.track('After');
    const [identify, after] = await sent();
    expect(identify).toMatchObject({ type: 'identify', userId: 'customer-42', traits: { email: 'ada@example.com' } });
    expect(after.userId).toBe('customer-42');
  });

  it('survives page loads (localStorage spur_user)', async () => {
    load().spur.identify('customer-42', { email: 'ada@example.com' });
    expect(JSON.parse(localStorage.getItem('spur_user')!)).toEqual({
      userId: 'customer-42',
      traits: { email: 'ada@example.com' },
    });
    const { spur, sent } = load();
    expect(spur.user().userId).toBe('customer-42');
    expect((await eventIn(spur, sent)).userId).toBe('customer-42');
  });

  it('merges the traits of the same customer and starts afresh for another', async () => {
    const { spur, sent } = load();
    spur.identify('a', { email: 'a@example.com' });
    spur.identify('a', { plan: 'gold' });
    spur.identify('b', { name: 'B' });
    const traits = (await sent()).map((e) => e.traits);
    expect(traits).toEqual([{ email: 'a@example.com' }, { email: 'a@example.com', plan: 'gold' }, { name: 'B' }]);
  });

  it('throws, saying what to pass, without a userId', () => {
    const { spur } = load();
    expect(() => (spur.identify as (id?: unknown) => void)()).toThrow(/spur.identify needs a userId/);
    expect(() => spur.identify('')).toThrow(Error);
    expect(() => (spur.identify as (id: unknown) => void)(42)).toThrow(Error);
  });
});

describe('reset()', () => {
  it('forgets the customer and starts a new visitor and a new session', async () => {
    const { spur, sent } = load();
    spur.identify('customer-42', { email: 'ada@example.com' });
    const before = await eventIn(spur, sent);
    spur.reset();
    const after = await eventIn(spur, sent);
    expect(after.userId).toBeUndefined();
    expect(after.anonymousId).not.toBe(before.anonymousId);
    expect(after.context!.sessionId).not.toBe(before.context!.sessionId);
    expect(getCookie('spur_aid')).toBe(after.anonymousId);
    expect(localStorage.getItem('spur_user')).toBe('null'); // forgotten (null, not removed: fewer bytes in spur.js)
    expect(load().spur.user().userId).toBeUndefined();
  });

  it('empties the cart, so the next person at this browser starts with none', () => {
    const { spur } = load();
    spur.productAdded({ product_id: 'p1', price: 10 });
    expect(spur.cart()).toHaveLength(1);
    spur.reset();
    expect(spur.cart()).toEqual([]);
    expect(localStorage.getItem('spur_cart')).toBe('null');
    expect(load().spur.cart()).toEqual([]);
  });

  it('changes what user() returns at once', () => {
    const { spur } = load();
    spur.identify('customer-42');
    const before = spur.user();
    spur.reset();
    const after = spur.user();
    expect(before.userId).toBe('customer-42');
    expect(after.userId).toBeUndefined();
    expect(after.anonymousId).not.toBe(before.anonymousId);
    expect(after.sessionId).not.toBe(before.sessionId);
  });
});
