// Nothing but misuse may throw into the host page: broken storage, blocked cookies and a dead
// collector degrade quietly, and the events still go out.
import { blockCookies, cleanPage, freshSpur, recorder, settle, until, UUID_V4 } from './helpers';

const securityError = () => {
  throw new DOMException('The operation is insecure.', 'SecurityError');
};

let unblock: (() => void) | undefined;

beforeEach(cleanPage);
afterEach(() => {
  unblock?.();
  unblock = undefined;
  jest.useRealTimers();
  jest.restoreAllMocks();
});

/** Runs a shop's page script that uses spur everywhere, and says whether it got to its end. */
async function shopPage(fetchImpl: typeof fetch) {
  const spur = freshSpur();
  let reachedEnd = false;
  spur.init({ writeKey: 'demo', fetch: fetchImpl });
  spur.identify('customer-42', { email: 'ada@example.com' });
  spur.track('Clicked');
  spur.productAdded({ product_id: 'p1', price: 10 });
  spur.cartViewed();
  spur.orderCompleted({ order_id: 'o1' });
  spur.reset();
  history.pushState({}, '', '/next');
  dispatchEvent(new Event('pagehide'));
  dispatchEvent(new Event('online'));
  await spur.flush(1000);
  reachedEnd = true;
  return { spur, reachedEnd };
}

const EXPECTED = ['page', 'identify', 'Clicked', 'Product Added', 'Cart Viewed', 'Order Completed', 'page'];
// Each event once (pagehide and retries may send one again; the collector dedupes by messageId).
const names = (r: ReturnType<typeof recorder>) =>
  [...new Map(r.events().map((e) => [e.messageId, e])).values()].map((e) => e.event || e.type);

it('works without IndexedDB, from memory', async () => {
  // @ts-expect-error: as in some private modes
  delete globalThis.indexedDB;
  const r = recorder();
  const { reachedEnd } = await shopPage(r.fetch);
  expect(reachedEnd).toBe(true);
  expect(names(r)).toEqual(EXPECTED);
});

it('works when opening IndexedDB throws', async () => {
  jest.spyOn(indexedDB, 'open').mockImplementation(securityError);
  const r = recorder();
  const { reachedEnd } = await shopPage(r.fetch);
  expect(reachedEnd).toBe(true);
  expect(names(r)).toEqual(EXPECTED);
});

it('works when IndexedDB transactions fail', async () => {
  const transaction = IDBDatabase.prototype.transaction;
  jest.spyOn(IDBDatabase.prototype, 'transaction').mockImplementation(function (this: IDBDatabase, names, mode) {
    if (mode === 'versionchange') return transaction.call(this, names, mode); // fake-indexeddb's own upgrade
    throw new DOMException('quota', 'QuotaExceededError');
  });
  const r = recorder();
  const { reachedEnd } = await shopPage(r.fetch);
  expect(reachedEnd).toBe(true);
  expect(names(r)).toEqual(EXPECTED);
});

it('works when the document.cookie setter and getter throw', async () => {
  unblock = blockCookies();
  const r = recorder();
  const { reachedEnd } = await shopPage(r.fetch);
  expect(reachedEnd).toBe(true);
  expect(names(r)).toEqual(EXPECTED);
  for (const e of r.events()) {
    expect(e.anonymousId).toMatch(UUID_V4);
    expect(e.context!.sessionId).toMatch(UUID_V4);
  }
});

it('works when localStorage throws, keeping the customer and the cart in memory', async () => {
  for (const method of ['getItem', 'setItem', 'removeItem'] as const)
    jest.spyOn(Storage.prototype, method).mockImplementation(securityError);
  const r = recorder();
  const spur = freshSpur();
  spur.init({ writeKey: 'demo', fetch: r.fetch });
  spur.identify('customer-42');
  spur.productAdded({ product_id: 'p1', price: 10 });
  expect(spur.user().userId).toBe('customer-42');
  expect(spur.cart()).toEqual([{ product_id: 'p1', price: 10, quantity: 1 }]);
  spur.track('Clicked');
  await spur.flush();
  expect(r.events().find((e) => e.event === 'Clicked')!.userId).toBe('customer-42');
  expect((await shopPage(r.fetch)).reachedEnd).toBe(true);
});

it('works when localStorage holds garbage under its keys', async () => {
  localStorage.setItem('spur_user', '{oops');
  localStorage.setItem('spur_cart', 'null');
  const r = recorder();
  const { spur, reachedEnd } = await shopPage(r.fetch);
  expect(reachedEnd).toBe(true);
  expect(spur.cart()).toEqual([]);
});

it('keeps going when fetch rejects, and delivers once the collector is back', async () => {
  let down = true;
  const r = recorder(() => (down ? new TypeError('Failed to fetch') : 200));
  const { spur, reachedEnd } = await shopPage(r.fetch);
  expect(reachedEnd).toBe(true);
  down = false;
  dispatchEvent(new Event('online'));
  await until(() => names(r).length === EXPECTED.length && r.calls.length > 1);
  await spur.flush();
  expect(names(r)).toEqual(EXPECTED);
});

it('keeps going when there is no fetch at all', async () => {
  const { reachedEnd } = await shopPage(undefined as unknown as typeof fetch);
  expect(reachedEnd).toBe(true);
});

it('keeps going when everything is broken at once, and the events still go out', async () => {
  // @ts-expect-error: as in some private modes
  delete globalThis.indexedDB;
  unblock = blockCookies();
  for (const method of ['getItem', 'setItem', 'removeItem'] as const)
    jest.spyOn(Storage.prototype, method).mockImplementation(securityError);
  let calls = 0;
  const r = recorder(() => (calls++ === 0 ? new TypeError('Failed to fetch') : 200));
  const { spur, reachedEnd } = await shopPage(r.fetch);
  expect(reachedEnd).toBe(true);
  dispatchEvent(new Event('online'));
  await settle();
  await spur.flush();
  expect(names(r)).toEqual(EXPECTED);
});

it('ignores calls before init() without throwing', async () => {
  const spur = freshSpur();
  expect(() => {
    spur.track('Early');
    spur.page();
    spur.identify('u1');
    spur.reset();
    spur.productViewed({ product_id: 'p1' });
  }).not.toThrow();
  expect(spur.user()).toEqual({});
  await expect(spur.flush()).resolves.toBeUndefined();
});

it('throws on init() without a write key, saying what to pass', () => {
  expect(() => freshSpur().init({} as never)).toThrow(/spur.init needs a writeKey/);
  expect(() => freshSpur().init(undefined as never)).toThrow(Error);
});

describe('debug mode', () => {
  it("warns about a refused write key with the collector's reason (what SPUR_WRITE_KEYS needs), and ignores a second init", async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const reason = `unknown write key (SPUR_WRITE_KEYS needs demo=${location.origin})`;
    const r = recorder(() => ({ status: 401, body: { error: { code: 'unauthorized', message: reason } } }));
    const spur = freshSpur();
    spur.init({ writeKey: 'demo', fetch: r.fetch, debug: true });
    spur.init({ writeKey: 'other', endpoint: 'http://elsewhere.test' });
    await spur.flush();
    expect(warn.mock.calls).toEqual([['[spur]', 401, reason]]);
    expect(r.calls.map((c) => [c.url, c.body.writeKey])).toEqual([['/v1/batch', 'demo']]);
  });

  it('stays silent otherwise', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const spur = freshSpur();
    spur.init({ writeKey: 'demo', fetch: recorder(() => 401).fetch });
    spur.init({ writeKey: 'demo' });
    freshSpur().track('Early');
    await spur.flush();
    expect(warn).not.toHaveBeenCalled();
  });
});
