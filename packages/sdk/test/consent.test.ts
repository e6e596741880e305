// Consent and Global Privacy Control: with consent required, nothing is written (cookie,
// localStorage, IndexedDB) and nothing is sent before the grant; what is recorded meanwhile waits in
// memory and goes out after it. 'denied' keeps spur inert, and withdraws an earlier grant.
import type { Spur } from '../src/client';
import { CONSENT, CONSENT_MAX_AGE } from '../src/consent';
import { DROPPED } from '../src/queue';
import { IDBFactory } from 'fake-indexeddb';
import { cleanPage, freshSpur, recorder, settle, storedEvents, until, type Answer, type Call } from './helpers';

let spur: Spur;
let r: ReturnType<typeof recorder>;

function start(config: object = {}, answer?: (call: Call, i: number) => Answer) {
  r = recorder(answer);
  spur = freshSpur();
  spur.init({ writeKey: 'demo', endpoint: 'http://collector.test', fetch: r.fetch, autoPage: false, ...config });
  return spur;
}

const required = { consent: 'required' } as const;
const cookie = (name: string) => (document.cookie.match(`(?:^|; )${name}=([^;]*)`) || [])[1];
const spurKeys = () => Object.keys(localStorage).filter((k) => k.startsWith('spur_'));
const databases = async () => (await indexedDB.databases()).map((d) => d.name);
const sent = () => r.events().map((e) => e.event || e.type);

/** Everything a shop's page does with spur, and leaving and coming back. */
async function busyPage() {
  spur.page();
  spur.track('Clicked');
  spur.identify('customer-42', { plan: 'gold' });
  spur.productAdded({ product_id: 'p1', price: 10 });
  spur.reset();
  dispatchEvent(new Event('online'));
  const visibility = jest.spyOn(document, 'visibilityState', 'get').mockReturnValue('hidden');
  const hiddenSpy = jest.spyOn(document, 'hidden', 'get').mockReturnValue(true);
  document.dispatchEvent(new Event('visibilitychange'));
  visibility.mockRestore();
  hiddenSpy.mockRestore();
  dispatchEvent(new Event('pagehide'));
  await spur.flush(100);
  expect(spur.user()).toEqual({});
  await settle();
}

/** No trace of spur: no cookie, no localStorage key, no IndexedDB database (`consent`: the choice's cookie). */
async function expectNothingStored(consent?: string) {
  expect(document.cookie).toBe(consent ? `${CONSENT}=${consent}` : '');
  expect(spurKeys()).toEqual([]);
  expect(await databases()).toEqual([]);
}

beforeEach(cleanPage);
afterEach(() => {
  delete (navigator as { globalPrivacyControl?: boolean }).globalPrivacyControl;
  jest.useRealTimers();
  jest.restoreAllMocks();
});

describe("consent: 'required'", () => {
  it('writes no cookie, no localStorage key, opens no IndexedDB and sends nothing before the grant', async () => {
    const open = jest.spyOn(IDBFactory.prototype, 'open');
    start(required);
    await busyPage();
    expect(spur.cart()).toEqual([]); // reset() emptied it: the cart works, in memory
    spur.productAdded({ product_id: 'p2' });
    expect(spur.cart()).toEqual([{ product_id: 'p2', quantity: 1 }]);
    expect(r.calls).toHaveLength(0);
    expect(open).not.toHaveBeenCalled();
    await expectNothingStored();
  });

  it('sends what was held after the grant, in order, with the times of the calls, through cookies and the outbox', async () => {
    const now = jest.spyOn(Date, 'now');
    const t0 = Date.UTC(2026, 0, 1);
    now.mockReturnValue(t0);
    start(required);
    spur.track('A');
    now.mockReturnValue(t0 + 1000);
    spur.identify('customer-42', { plan: 'gold' });
    now.mockReturnValue(t0 + 2000);
    spur.productAdded({ product_id: 'p1', price: 10 });
    now.mockReturnValue(t0 + 60000);
    r.hold();
    spur.consent('granted');
    expect(cookie('spur_aid')).toBeUndefined(); // in a task after the call, as after init()
    await new Promise((resolve) => setTimeout(resolve));
    expect(cookie('spur_aid')).toBeDefined();
    expect(JSON.parse(localStorage.getItem('spur_cart')!)).toEqual([{ product_id: 'p1', price: 10, quantity: 1 }]);
    expect(JSON.parse(localStorage.getItem('spur_user')!)).toMatchObject({ userId: 'customer-42' });
    await settle();
    expect((await storedEvents()).map((e) => e.event || e.type)).toEqual(['A', 'identify', 'Product Added']); // the outbox first
    r.release();
    await spur.flush();
    const events = r.events();
    expect(events.map((e) => [e.event || e.type, e.timestamp, e.userId])).toEqual([
      ['A', new Date(t0).toISOString(), undefined],
      ['identify', new Date(t0 + 1000).toISOString(), 'customer-42'],
      ['Product Added', new Date(t0 + 2000).toISOString(), 'customer-42'],
    ]);
    expect(new Set(events.map((e) => e.anonymousId))).toEqual(new Set([cookie('spur_aid')]));
    expect(cookie(CONSENT)).toBe('granted');
  });

  it('keeps the cart of earlier pages while the choice is being read, and writes nothing to it before a grant', async () => {
    const earlier = JSON.stringify([{ product_id: 'p1', quantity: 1 }]);
    localStorage.setItem('spur_cart', earlier);
    start(required); // not asked yet
    spur.productAdded({ product_id: 'p2' });
    expect(spur.cart()).toEqual([
      { product_id: 'p1', quantity: 1 },
      { product_id: 'p2', quantity: 1 },
    ]);
    expect(localStorage.getItem('spur_cart')).toBe(earlier);

    document.cookie = `${CONSENT}=granted; Path=/`; // a visitor who granted on an earlier page
    start(required);
    spur.cartViewed(); // before spur read the choice: the stored cart all the same
    spur.productAdded({ product_id: 'p3' });
    await spur.flush();
    const [viewed, added] = r.events();
    expect(viewed.properties!.products).toEqual([{ product_id: 'p1', quantity: 1 }]);
    expect(added.properties).toMatchObject({ product_id: 'p3' });
    expect(JSON.parse(localStorage.getItem('spur_cart')!)).toEqual([
      { product_id: 'p1', quantity: 1 },
      { product_id: 'p3', quantity: 1 },
    ]);
  });

  it('holds at most 1,000 calls: the oldest are dropped, and the first batch says how many', async () => {
    start({ ...required, flushAt: 5000 });
    for (let i = 0; i < 1005; i++) spur.track('E' + i);
    spur.consent('granted');
    await spur.flush(60000);
    expect(sent()).toEqual(Array.from({ length: 1000 }, (_, i) => 'E' + (i + 5)));
    expect(r.calls[0].body).toMatchObject({ dropped: 5 });
    expect(localStorage.getItem(DROPPED)).toBe('0');
  });

  it('drops what was held on denied, and stays inert, leaving only its choice', async () => {
    start(required);
    spur.track('Held');
    spur.consent('denied');
    await busyPage();
    expect(r.calls).toHaveLength(0);
    await expectNothingStored('denied');
  });

  it('keeps the choice in spur_consent for 180 days, SameSite=Lax, in the cookie domain', () => {
    const writes: string[] = [];
    jest.spyOn(Document.prototype, 'cookie', 'set').mockImplementation((value: string) => void writes.push(value));
    start({ ...required, cookieDomain: 'shop.example' });
    spur.consent('denied');
    spur.consent('granted');
    const choices = writes.filter((w) => w.startsWith(CONSENT));
    expect(choices).toEqual([
      `${CONSENT}=denied;Max-Age=${CONSENT_MAX_AGE};Path=/;SameSite=Lax;Domain=shop.example`,
      `${CONSENT}=granted;Max-Age=${CONSENT_MAX_AGE};Path=/;SameSite=Lax;Domain=shop.example`,
    ]);
    expect(CONSENT_MAX_AGE).toBe(180 * 24 * 3600);
  });

  it('knows the choice on the next page without asking', async () => {
    start(required).consent('granted');
    await spur.flush();
    start(required).track('Next page');
    await spur.flush();
    expect(sent()).toEqual(['Next page']);

    // (The pages before keep their IndexedDB connections open, which holds a deletion back: a
    // blocked request in a browser, a busy loop in fake-indexeddb that keeps jest from exiting.
    // These pages are closed.)
    globalThis.indexedDB = new IDBFactory();
    spur.consent('denied');
    start(required).track('Page after');
    await spur.flush();
    expect(r.calls).toHaveLength(0);
  });

  it('sends nothing while the visitor has not chosen, on the next page either', async () => {
    start(required).track('First');
    dispatchEvent(new Event('pagehide'));
    start(required).track('Second');
    await spur.flush(100);
    expect(r.calls).toHaveLength(0);
    await expectNothingStored();
  });

  it('treats a spur_consent it does not know as not asked yet', async () => {
    document.cookie = `${CONSENT}=maybe; Path=/`;
    start(required).track('A');
    await spur.flush(100);
    expect(r.calls).toHaveLength(0);
    spur.consent('granted');
    await spur.flush();
    expect(sent()).toEqual(['A']);

    document.cookie = `${CONSENT}=maybe; Path=/`;
    start().track('B'); // consent not required: tracked
    await spur.flush();
    expect(sent()).toEqual(['B']);
  });

  it('takes a choice made before init()', async () => {
    r = recorder();
    spur = freshSpur();
    spur.consent('granted');
    spur.init({ writeKey: 'demo', fetch: r.fetch, autoPage: false, ...required });
    spur.track('A');
    await spur.flush();
    expect(sent()).toEqual(['A']);

    cleanPage();
    spur = freshSpur();
    spur.consent('denied');
    spur.init({ writeKey: 'demo', fetch: r.fetch, autoPage: false }); // consent not even required
    spur.track('B');
    await spur.flush(100);
    expect(sent()).toEqual(['A']);
    await expectNothingStored('denied');
  });

  it('throws on consent() without a choice, saying what to pass', () => {
    start(required);
    const loose = spur.consent as (...args: unknown[]) => void;
    expect(() => loose()).toThrow(/spur.consent needs 'granted' or 'denied'/);
    expect(() => loose('yes')).toThrow(Error);
    expect(() => freshSpur().consent(undefined as never)).toThrow(Error); // before init() too
  });
});

describe('withdrawal (denied after granted)', () => {
  it("stops sending, empties the outbox, and deletes spur's cookies, localStorage keys and IndexedDB database", async () => {
    jest.useFakeTimers();
    start({}, () => new TypeError('offline'));
    spur.identify('customer-42');
    spur.productAdded({ product_id: 'p1' });
    spur.track('Waiting');
    await settle();
    jest.advanceTimersByTime(2000); // fails: the events wait in the outbox, with backoff
    await until(() => r.calls.length === 1);
    await settle();
    expect(await storedEvents()).toHaveLength(3);
    expect(cookie('spur_aid')).toBeDefined();
    expect(spurKeys().sort()).toEqual(['spur_cart', 'spur_cart_id', 'spur_user']);

    spur.consent('denied');
    spur.track('After');
    await settle();
    jest.advanceTimersByTime(10 * 60 * 1000); // any backoff
    await settle();
    dispatchEvent(new Event('online'));
    dispatchEvent(new Event('pagehide'));
    await spur.flush(100);
    await settle();
    expect(r.calls).toHaveLength(1);
    await expectNothingStored('denied');
    expect(spur.cart()).toEqual([]);
  });

  it('does not retry what was in flight when consent was withdrawn, nor store it again', async () => {
    jest.useFakeTimers();
    start({}, () => 503);
    r.hold();
    for (let i = 0; i < 20; i++) spur.track('E' + i);
    await until(() => r.calls.length === 1);
    spur.consent('denied');
    r.release();
    await settle();
    jest.advanceTimersByTime(10 * 60 * 1000);
    await settle();
    expect(r.calls).toHaveLength(1);
    await expectNothingStored('denied');
  });

  it('stops another open tab of the shop from recording within a second, and from writing cookies', async () => {
    const now = jest.spyOn(Date, 'now');
    const t0 = Date.now();
    now.mockReturnValue(t0);
    const other = start(); // a tab that stays open
    other.track('Before');
    await other.flush();
    const otherCalls = r;
    globalThis.indexedDB = new IDBFactory(); // (the open tab's connection would hold the deletion back: see above)
    start().consent('denied'); // withdrawn in this tab
    now.mockReturnValue(t0 + 1001);
    other.track('After, in the other tab');
    other.identify('customer-9');
    await other.flush(100);
    expect(otherCalls.events().map((e) => e.event)).toEqual(['Before']);
    expect(document.cookie).toBe(`${CONSENT}=denied`);
    expect(spurKeys()).toEqual([]);
  });

  it('starts afresh when granted again: a new visitor, and nothing recorded before', async () => {
    start();
    spur.track('Before');
    await spur.flush();
    const before = spur.user().anonymousId;
    spur.consent('denied');
    spur.track('While denied');
    spur.consent('granted');
    spur.track('After');
    await spur.flush();
    expect(sent()).toEqual(['Before', 'After']);
    expect(r.events()[1].anonymousId).not.toBe(before);
    expect(r.events()[1].anonymousId).toBe(cookie('spur_aid'));
  });
});

describe('Global Privacy Control', () => {
  const gpc = () => Object.defineProperty(navigator, 'globalPrivacyControl', { configurable: true, value: true });

  it("counts as denied: nothing is written or sent, consent required or not; with gpc: 'ignore', or when false, as usual", async () => {
    gpc();
    start();
    await busyPage();
    start(required);
    await busyPage();
    expect(r.calls).toHaveLength(0);
    await expectNothingStored();

    start({ gpc: 'ignore' }).track('Ignored');
    await spur.flush();
    expect(sent()).toEqual(['Ignored']);
    cleanPage();
    Object.defineProperty(navigator, 'globalPrivacyControl', { configurable: true, value: false });
    start().track('GPC false');
    await spur.flush();
    expect(sent()).toEqual(['GPC false']);
  });

  it('gives way to a grant by the visitor on the site, on this page and the next', async () => {
    gpc();
    start(required).track('Before the grant'); // denied by GPC: dropped
    spur.consent('granted');
    spur.track('After the grant');
    await spur.flush();
    expect(sent()).toEqual(['After the grant']);
    start(required).track('Next page');
    await spur.flush();
    expect(sent()).toEqual(['Next page']);
  });
});

describe('context.consent', () => {
  const consentOf = () => r.events().map((e) => [e.event || e.type, e.context!.consent]);

  it("is 'granted' on every event after an explicit grant, on this page and the next, GPC or not", async () => {
    Object.defineProperty(navigator, 'globalPrivacyControl', { configurable: true, value: true });
    start(required).track('Held');
    spur.consent('granted');
    spur.page();
    spur.identify('customer-42');
    await spur.flush();
    expect(consentOf()).toEqual([
      ['page', 'granted'],
      ['identify', 'granted'],
    ]);
    start().track('Next page'); // the cookie's grant, consent required or not
    await spur.flush();
    expect(consentOf()).toEqual([['Next page', 'granted']]);
  });

  it('is absent without an explicit grant: consent not needed, GPC ignored, or not asked yet', async () => {
    start().track('Not needed');
    await spur.flush();
    expect(consentOf()).toEqual([['Not needed', undefined]]);
    expect(JSON.stringify(r.events()[0].context)).not.toContain('consent');

    start(required).track('Before the choice');
    await spur.flush(100);
    expect(r.calls).toHaveLength(0);
    spur.consent('granted'); // held events go with the grant that lets them go
    await spur.flush();
    expect(consentOf()).toEqual([['Before the choice', 'granted']]);

    cleanPage();
    Object.defineProperty(navigator, 'globalPrivacyControl', { configurable: true, value: true });
    start({ gpc: 'ignore' }).track('GPC ignored');
    await spur.flush();
    expect(consentOf()).toEqual([['GPC ignored', undefined]]);
  });

  it('follows a grant made on this page after spur started without one', async () => {
    start().track('Before');
    await spur.flush();
    spur.consent('granted');
    spur.track('After');
    await spur.flush();
    expect(consentOf()).toEqual([
      ['Before', undefined],
      ['After', 'granted'],
    ]);
  });
});
