// Delivery, end to end through a spur instance: outbox first, batches, retries, pagehide.
import type { Spur } from '../src/client';
import { blobText, bodySize, cleanPage, freshSpur, recorder, settle, storedEvents, storedRows, until, type Answer } from './helpers';

let spur: Spur;

function start(answer?: (call: import('./helpers').Call, i: number) => Answer, config: object = {}) {
  const r = recorder(answer);
  spur = freshSpur();
  spur.init({ writeKey: 'demo', endpoint: 'http://collector.test', fetch: r.fetch, autoPage: false, ...config });
  return r;
}

const ids = async () => (await storedEvents()).map((e) => e.event);

beforeEach(() => {
  cleanPage();
  jest.useFakeTimers();
  jest.spyOn(Math, 'random').mockReturnValue(1); // backoff at its upper bound: 1 s, 2 s, 4 s, ...
});

afterEach(() => {
  jest.clearAllTimers();
  jest.useRealTimers();
  jest.restoreAllMocks();
});

describe('the outbox', () => {
  it('holds every event in IndexedDB before it is sent', async () => {
    const order: string[] = [];
    const put = IDBObjectStore.prototype.put;
    jest.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...args) {
      order.push('stored');
      return put.apply(this, args);
    });
    const r = recorder();
    r.hold();
    spur = freshSpur();
    spur.init({
      writeKey: 'demo',
      autoPage: false,
      fetch: (url, init) => {
        order.push('sent');
        return r.fetch(url, init);
      },
    });
    spur.track('A');
    await settle();
    jest.advanceTimersByTime(2000);
    await until(() => r.calls.length === 1);
    expect(order).toEqual(['stored', 'sent']);
    expect(await ids()).toEqual(['A']); // still there while the request is pending
    r.release();
  });

  it('lets an event go only when the collector answered 2xx for it', async () => {
    const r = start();
    spur.track('A');
    await settle();
    jest.advanceTimersByTime(2000);
    await until(() => r.calls.length === 1);
    await settle();
    expect(await ids()).toEqual([]);
  });

  it('also lets go of events the 200 answer lists as rejected (the collector kept them with their reason)', async () => {
    const r = start(() => 200);
    spur.track('Bad');
    await settle();
    jest.advanceTimersByTime(2000);
    await until(() => r.calls.length === 1);
    await settle();
    expect(await ids()).toEqual([]);
  });

  it('writes the events of one tick with one IndexedDB transaction', async () => {
    start(undefined, { flushAt: 100 });
    await settle(); // let the first page's database open
    const transaction = jest.spyOn(IDBDatabase.prototype, 'transaction');
    for (let i = 0; i < 50; i++) spur.track('E' + i);
    await settle();
    const writes = transaction.mock.calls.filter((c) => c[1] === 'readwrite');
    expect(writes).toHaveLength(1);
    expect(await storedEvents()).toHaveLength(50);
  });

  it('sends events a previous page left in the outbox', async () => {
    const first = start(() => new TypeError('offline'));
    spur.track('Left behind');
    await settle();
    jest.advanceTimersByTime(2000);
    await until(() => first.calls.length === 1);
    await settle();
    dispatchEvent(new Event('pagehide')); // backing off: nothing is sent, the event stays
    await settle();
    expect(first.calls).toHaveLength(1);

    const r = start(); // the next page load
    await settle();
    jest.advanceTimersByTime(2000);
    await until(() => r.calls.length === 1);
    expect(r.events().map((e) => e.event)).toEqual(['Left behind']);
  });
});

describe('batching', () => {
  it('sends at once when 20 events wait', async () => {
    const r = start();
    for (let i = 0; i < 20; i++) spur.track('E' + i);
    await until(() => r.calls.length === 1);
    expect(r.calls[0].body.batch).toHaveLength(20);
  });

  it('sends fewer events after 2 s', async () => {
    const r = start();
    spur.track('A');
    spur.track('B');
    await settle();
    jest.advanceTimersByTime(1999);
    await settle();
    expect(r.calls).toHaveLength(0);
    jest.advanceTimersByTime(1);
    await until(() => r.calls.length === 1);
    expect(r.events().map((e) => e.event)).toEqual(['A', 'B']);
  });

  it('takes flushAt and flushInterval from init()', async () => {
    const r = start(undefined, { flushAt: 3, flushInterval: 500 });
    spur.track('A');
    spur.track('B');
    spur.track('C');
    await until(() => r.calls.length === 1);
    spur.track('D');
    await settle();
    jest.advanceTimersByTime(500);
    await until(() => r.calls.length === 2);
    expect(r.calls.map((c) => c.body.batch.length)).toEqual([3, 1]);
  });

  it('sends what waits, while the page is shown, in ordinary requests of up to 480 KB, in order: fewer requests cost the page less', async () => {
    const r = start();
    for (let i = 0; i < 45; i++) spur.track('E' + i);
    await until(() => r.calls.length === 1);
    for (let i = 0; i < 700; i++) spur.track('F' + i, { pad: 'x'.repeat(1000) }); // ~900 KB
    await spur.flush();
    expect(r.calls[0].body.batch).toHaveLength(45);
    expect(r.calls).toHaveLength(4); // 480 KB at most: 45 events, then ~390, ~390 and the rest
    expect(r.calls.every((c) => c.init.keepalive === false)).toBe(true);
    const sizes = r.calls.map((c) => bodySize(c.init.body));
    expect(Math.max(...sizes)).toBeGreaterThan(400000); // far beyond what a keepalive request may carry
    for (const n of sizes) expect(n).toBeLessThanOrEqual(480000 + 200); // the batch and its envelope
    expect(r.events().map((e) => e.event)).toEqual([
      ...Array.from({ length: 45 }, (_, i) => 'E' + i),
      ...Array.from({ length: 700 }, (_, i) => 'F' + i),
    ]);
  });

  it('sends a burst in one request as large as it may be, not flushAt events first', async () => {
    const r = start();
    for (let i = 0; i < 100; i++) spur.track('E' + i, { pad: 'x'.repeat(300) }); // ~75 KB
    await spur.flush();
    expect(r.calls).toHaveLength(1);
    expect(r.calls[0].init.keepalive).toBe(false);
    expect(r.events().map((e) => e.event)).toEqual(Array.from({ length: 100 }, (_, i) => 'E' + i));
  });

  it('stores what a tick records even while a request is out or backing off, flushAt reached or not', async () => {
    const r = start(() => new TypeError('offline'));
    spur.track('A');
    await settle();
    jest.advanceTimersByTime(2000); // fails: backing off
    await until(() => r.calls.length === 1);
    await settle();
    for (let i = 0; i < 25; i++) spur.track('B' + i);
    await settle();
    expect(await ids()).toEqual(['A', ...Array.from({ length: 25 }, (_, i) => 'B' + i)]);
    expect(r.calls).toHaveLength(1);
  });

  it('writes a burst of calls as a few parcels, not a row per event', async () => {
    const r = start(() => new TypeError('offline'), { flushAt: 5000 });
    for (let i = 0; i < 300; i++) spur.track('E' + i, { pad: 'x'.repeat(500) });
    await settle();
    const rows = await storedRows();
    expect(rows.length).toBeLessThan(10); // ~300 KB in parcels of up to 60 KB
    expect(rows.flatMap(([, row]) => row[1]).length).toBe(300);
    expect(r.calls).toHaveLength(0);
  });
});

describe('retries', () => {
  async function failOnce(answer: Answer) {
    const r = start((_, i) => (i === 0 ? answer : 200));
    spur.track('A');
    await settle();
    jest.advanceTimersByTime(2000);
    await until(() => r.calls.length === 1);
    await settle();
    return r;
  }

  it.each([
    ['a network error', new TypeError('Failed to fetch')],
    ['429', 429],
    ['500', 500],
    ['503', 503],
  ] as [string, Answer][])('keeps the events and retries after %s', async (_, answer) => {
    const r = await failOnce(answer);
    expect(await ids()).toEqual(['A']);
    jest.advanceTimersByTime(999);
    await settle();
    expect(r.calls).toHaveLength(1);
    jest.advanceTimersByTime(1);
    await until(() => r.calls.length === 2);
    expect(r.calls[1].body.batch[0].messageId).toBe(r.calls[0].body.batch[0].messageId);
    await settle();
    expect(await ids()).toEqual([]);
  });

  it('keeps events in the outbox when the collector answers 503, backing off exponentially', async () => {
    const r = start(() => 503);
    spur.track('A');
    await settle();
    jest.advanceTimersByTime(2000);
    await until(() => r.calls.length === 1);
    for (const [n, wait] of [
      [2, 1000],
      [3, 2000],
      [4, 4000],
      [5, 8000],
    ]) {
      await settle();
      jest.advanceTimersByTime(wait - 1);
      await settle();
      expect(r.calls).toHaveLength(n - 1);
      jest.advanceTimersByTime(1);
      await until(() => r.calls.length === n);
    }
    expect(await ids()).toEqual(['A']);
  });

  it('aborts a request that hangs after 10 s and retries it after a backoff', async () => {
    const calls: RequestInit[] = [];
    spur = freshSpur();
    spur.init({
      writeKey: 'demo',
      autoPage: false,
      fetch: ((_: unknown, init: RequestInit) => {
        calls.push(init);
        if (calls.length > 1) return Promise.resolve({ status: 200, headers: { get: () => null }, json: async () => ({}) });
        return new Promise((_resolve, reject) => init.signal!.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
      }) as unknown as typeof fetch,
    });
    spur.track('A');
    await settle();
    jest.advanceTimersByTime(2000);
    await until(() => calls.length === 1);
    jest.advanceTimersByTime(9999);
    await settle();
    expect(calls[0].signal!.aborted).toBe(false);
    jest.advanceTimersByTime(1);
    await settle();
    expect(calls[0].signal!.aborted).toBe(true);
    expect(calls).toHaveLength(1);
    jest.advanceTimersByTime(1000); // backoff after the first failure: at most 1 s
    await until(() => calls.length === 2);
    await settle();
    expect(await ids()).toEqual([]);
  });

  it('waits as long as Retry-After says', async () => {
    const r = await failOnce({ status: 429, headers: { 'Retry-After': '30' } });
    spur.track('B'); // new events do not cut the wait short
    await settle();
    jest.advanceTimersByTime(29999);
    await settle();
    expect(r.calls).toHaveLength(1);
    jest.advanceTimersByTime(1);
    await until(() => r.calls.length === 2);
    expect(r.events().map((e) => e.event)).toEqual(['A', 'A', 'B']);
  });

  it.each([400, 401, 403, 413, 404])('drops the events on %i instead of retrying', async (status) => {
    const r = await failOnce(status);
    expect(await ids()).toEqual([]);
    jest.advanceTimersByTime(10 * 60 * 1000);
    await settle();
    expect(r.calls).toHaveLength(1);
  });

  it('retries at once when the browser comes back online', async () => {
    const r = await failOnce(new TypeError('offline'));
    dispatchEvent(new Event('online'));
    await until(() => r.calls.length === 2);
    await settle();
    expect(await ids()).toEqual([]);
  });
});

// 401 (write key unknown) and 403 (origin not allowed for the key) would answer every request of
// the page alike: the page stops sending, and drops what it holds and records, counted.
describe('a collector that refuses the write key or the origin', () => {
  const refusal = (status: number) => ({ status, body: { error: { code: 'x', message: 'refused' } } });
  const dropped = () => Number(localStorage.getItem('spur_dropped'));

  it.each([401, 403])('stops sending on %i: no retry, no later batch, nothing on pagehide', async (status) => {
    const r = start(() => refusal(status));
    spur.track('A');
    await settle();
    jest.advanceTimersByTime(2000);
    await until(() => r.calls.length === 1);
    await settle();
    spur.track('B');
    for (let i = 0; i < 25; i++) spur.track('Burst'); // past flushAt
    await settle();
    jest.advanceTimersByTime(10 * 60 * 1000);
    await settle();
    dispatchEvent(new Event('online'));
    document.dispatchEvent(new Event('visibilitychange'));
    dispatchEvent(new Event('pagehide'));
    await spur.flush(1000);
    await settle();
    expect(r.calls).toHaveLength(1);
  });

  it('drops what the page holds and what it records later, counted, and leaves the outbox empty', async () => {
    localStorage.setItem('spur_dropped', '2'); // dropped earlier: the refused batch carried them
    const r = start(() => refusal(403));
    spur.track('A');
    spur.track('B');
    await settle();
    jest.advanceTimersByTime(2000);
    await until(() => r.calls.length === 1);
    expect(r.calls[0].body).toMatchObject({ dropped: 2 });
    await settle();
    expect(await ids()).toEqual([]);
    expect(dropped()).toBe(2 + 2);
    spur.track('C');
    await settle();
    expect(await ids()).toEqual([]);
    expect(dropped()).toBe(2 + 2 + 1);
    await expect(spur.flush(1000)).resolves.toBeUndefined(); // holds nothing: settles at once
  });

  it('reports the count with the next batch that a collector takes, on a later page', async () => {
    start(() => refusal(401));
    spur.track('A');
    await settle();
    jest.advanceTimersByTime(2000);
    await settle();
    expect(dropped()).toBe(1);
    const r = start();
    spur.track('Fixed');
    await spur.flush(5000);
    expect(r.calls[0].body).toMatchObject({ dropped: 1 });
    expect(r.events().map((e) => e.event)).toEqual(['Fixed']);
  });

  it.each([400, 413])('goes on sending later batches after %i (only that batch was bad)', async (status) => {
    const r = start((_, i) => (i === 0 ? status : 200));
    spur.track('A');
    await settle();
    jest.advanceTimersByTime(2000);
    await until(() => r.calls.length === 1);
    await settle();
    spur.track('B');
    await settle();
    jest.advanceTimersByTime(2000);
    await until(() => r.calls.length === 2);
    expect(r.calls[1].body.batch.map((e) => e.event)).toEqual(['B']);
  });
});

describe('leaving the page', () => {
  it('sends events still only in memory at once on pagehide, with keepalive', () => {
    const r = start();
    spur.track('A');
    spur.track('B');
    dispatchEvent(new Event('pagehide'));
    expect(r.calls).toHaveLength(1); // synchronously: the page may be gone a moment later
    expect(r.calls[0].init.keepalive).toBe(true);
    expect(r.events().map((e) => e.event)).toEqual(['A', 'B']);
  });

  it('sends at once when the page is hidden, not when it is shown', () => {
    const r = start();
    const visibility = jest.spyOn(document, 'visibilityState', 'get');
    const hidden = jest.spyOn(document, 'hidden', 'get');
    visibility.mockReturnValue('visible');
    hidden.mockReturnValue(false);
    spur.track('A');
    document.dispatchEvent(new Event('visibilitychange'));
    expect(r.calls).toHaveLength(0);
    visibility.mockReturnValue('hidden');
    hidden.mockReturnValue(true);
    document.dispatchEvent(new Event('visibilitychange'));
    expect(r.calls).toHaveLength(1);
  });

  it('keeps the rows of what it hands to the browser, gives them up, and the next page sends them again: no answer reached this page', async () => {
    const r = start();
    r.hold(); // the keepalive request's answer never reaches the page
    spur.track('A');
    spur.track('B');
    await settle();
    dispatchEvent(new Event('pagehide'));
    expect(r.calls[0].init.keepalive).toBe(true);
    await settle();
    expect(await ids()).toEqual(['A', 'B']); // while the keepalive request is in flight, and after
    expect((await storedRows()).map(([, row]) => row[0])).toEqual(['']); // given up for the next page

    const next = start(); // the next page
    await settle();
    jest.advanceTimersByTime(2000);
    await until(() => next.calls.length === 1);
    // The same messageIds: the collector stores each once.
    expect(next.events().map((e) => e.messageId)).toEqual(r.calls[0].body.batch.map((e) => e.messageId));
    await settle();
    expect(await ids()).toEqual([]);
  });

  it('deletes the rows when the keepalive request is answered 2xx while the page still lives (back/forward cache), so the next page sends nothing', async () => {
    const r = start();
    r.hold();
    spur.track('A');
    await settle();
    dispatchEvent(new Event('pagehide'));
    await settle();
    expect(await ids()).toEqual(['A']);
    r.release(); // the answer, to the page in the cache
    await settle();
    expect(await ids()).toEqual([]);

    const next = start();
    await settle();
    jest.advanceTimersByTime(2000);
    await settle();
    expect(next.calls).toHaveLength(0);
  });

  it('sends what it adopted at once, with what it recorded so far, so that a page left quickly has heard back', async () => {
    const first = start();
    first.hold(); // no answer reaches the first page
    spur.track('A');
    dispatchEvent(new Event('pagehide'));
    await settle();

    const second = start();
    spur.track('B');
    await settle(); // its start: A adopted
    jest.advanceTimersByTime(0); // not flushInterval
    await until(() => second.calls.length === 1);
    expect(second.calls[0].init.keepalive).toBe(false);
    expect(second.events().map((e) => e.event)).toEqual(['A', 'B']);
    await settle();
    expect(await ids()).toEqual([]);
    dispatchEvent(new Event('pagehide')); // and the visitor goes on: nothing left to carry again
    expect(second.calls).toHaveLength(1);
  });

  it('keeps the rows when the keepalive request fails after the page went away, for the next page', async () => {
    const r = start(() => new TypeError('Failed to fetch')); // the collector is down
    spur.track('A');
    dispatchEvent(new Event('pagehide'));
    expect(r.calls[0].init.keepalive).toBe(true);
    await settle();
    jest.advanceTimersByTime(10 * 60 * 1000);
    await settle();
    expect(r.calls).toHaveLength(1); // a page that is gone sends nothing more
    expect(await ids()).toEqual(['A']);

    const next = start();
    await settle();
    jest.advanceTimersByTime(2000);
    await until(() => next.calls.length === 1);
    expect(next.events().map((e) => e.event)).toEqual(['A']);
  });

  it('sends again, with keepalive, what an ordinary request still carries (the browser cancels it with the page), and keeps its rows', async () => {
    const r = start();
    r.hold();
    for (let i = 0; i < 20; i++) spur.track('E' + i);
    await until(() => r.calls.length === 1);
    expect(r.calls[0].init.keepalive).toBe(false);
    await settle();
    expect(await ids()).toHaveLength(20);
    dispatchEvent(new Event('pagehide'));
    expect(r.calls).toHaveLength(2);
    expect(r.calls[1].init.keepalive).toBe(true);
    expect(r.calls[1].body.batch.map((e) => e.messageId)).toEqual(r.calls[0].body.batch.map((e) => e.messageId));
    await settle();
    expect(await ids()).toHaveLength(20);
    r.release(); // both answered 2xx while the page still lives: done
    await settle();
    expect(await ids()).toEqual([]);

    const next = start(); // the next page finds nothing to send
    await settle();
    jest.advanceTimersByTime(2000);
    await settle();
    expect(next.calls).toHaveLength(0);
  });

  it('keeps them when the page is hidden, and sends them again when the keepalive request fails and the page lives on', async () => {
    const r = start((_, i) => (i === 0 ? 503 : 200));
    r.hold();
    const visibility = jest.spyOn(document, 'visibilityState', 'get').mockReturnValue('hidden');
    const hiddenSpy = jest.spyOn(document, 'hidden', 'get').mockReturnValue(true);
    spur.track('A');
    document.dispatchEvent(new Event('visibilitychange'));
    visibility.mockRestore();
    hiddenSpy.mockRestore();
    expect(r.calls[0].init.keepalive).toBe(true);
    await settle();
    expect(await ids()).toEqual(['A']);
    r.release();
    await settle();
    expect(await ids()).toEqual(['A']);
    jest.advanceTimersByTime(1000); // the backoff
    await until(() => r.calls.length === 2);
    await settle();
    expect(r.calls[1].body.batch.map((e) => e.event)).toEqual(['A']);
    expect(await ids()).toEqual([]);
  });

  it('gives up what it could not send on pagehide to the next page (owner "")', async () => {
    start(() => new TypeError('offline'));
    spur.track('A');
    await settle();
    jest.advanceTimersByTime(2000); // fails: backing off
    await settle();
    dispatchEvent(new Event('pagehide'));
    await settle();
    expect((await storedRows()).map(([, row]) => row[0])).toEqual(['']);
  });

  it('sends nothing on pagehide while offline, keeping the events for later', async () => {
    const r = start();
    const online = jest.spyOn(navigator, 'onLine', 'get').mockReturnValue(false);
    spur.track('A');
    dispatchEvent(new Event('pagehide'));
    online.mockRestore();
    await settle();
    expect(r.calls).toHaveLength(0);
    expect(await ids()).toEqual(['A']);
  });

  it('hands off no more than the 64 KiB keepalive quota; every row stays, for the next page', async () => {
    const r = start();
    r.hold();
    const big = 'x'.repeat(10000);
    for (let i = 0; i < 10; i++) spur.track('E' + i, { big });
    dispatchEvent(new Event('pagehide'));
    const sent = r.events().map((e) => e.event);
    expect(r.calls.every((c) => c.init.keepalive)).toBe(true);
    const total = r.calls.reduce((n, c) => n + new Blob([String(c.init.body)]).size, 0);
    expect(total).toBeLessThanOrEqual(65536);
    expect(sent.length).toBeGreaterThan(3);
    expect(sent.length).toBeLessThan(10);
    await settle();
    expect(await ids()).toEqual(Array.from({ length: 10 }, (_, i) => 'E' + i));
    r.release();
  });

  it('puts an event in a second request only when the page hides while an ordinary request carries it, and only once', async () => {
    const r = start();
    r.hold();
    for (let i = 0; i < 20; i++) spur.track('E' + i);
    await until(() => r.calls.length === 1);
    spur.track('Late');
    jest.advanceTimersByTime(2000); // while the page is shown, what a request carries waits for its answer
    await settle();
    expect(r.calls).toHaveLength(1);
    const visibility = jest.spyOn(document, 'visibilityState', 'get').mockReturnValue('hidden');
    const hiddenSpy = jest.spyOn(document, 'hidden', 'get').mockReturnValue(true);
    document.dispatchEvent(new Event('visibilitychange'));
    dispatchEvent(new Event('pagehide'));
    dispatchEvent(new Event('pagehide'));
    visibility.mockRestore();
    hiddenSpy.mockRestore();
    expect(r.calls.map((c) => [c.body.batch.length, c.init.keepalive])).toEqual([
      [20, false],
      [21, true],
    ]);
    r.release();
    await settle();
    expect(await ids()).toEqual([]);
  });
});

// While the page is shown, batches go in ordinary requests, which the browser cancels when the page
// goes away; so what one of them carries when the page hides goes again in the keepalive request.
// Whichever answer comes first, an event leaves the outbox once a 2xx came for it, and is sent a
// third time only if both requests failed and the page lives on.
describe('a page hidden while an ordinary request is out', () => {
  /** A fetch whose requests wait until the test answers each one. */
  function manual() {
    const calls: { init: RequestInit; events: string[]; answer: (a: Answer) => void }[] = [];
    const fetch = ((_: unknown, init: RequestInit) =>
      new Promise((resolve, reject) => {
        const call = {
          init,
          events: [] as string[],
          answer: (a: Answer) => (a instanceof Error ? reject(a) : resolve({ status: a, headers: { get: () => null }, json: async () => ({}) })),
        };
        calls.push(call);
        const names = (text: string) => (call.events = JSON.parse(text).batch.map((e: { event: string }) => e.event));
        if (init.body instanceof Blob) blobText(init.body).then(names);
        else names(String(init.body));
      })) as unknown as typeof globalThis.fetch;
    return { fetch, calls };
  }

  async function hiddenWhileOut() {
    const m = manual();
    spur = freshSpur();
    spur.init({ writeKey: 'demo', fetch: m.fetch, autoPage: false });
    for (let i = 0; i < 20; i++) spur.track('E' + i);
    await until(() => m.calls.length === 1);
    await settle();
    const visibility = jest.spyOn(document, 'visibilityState', 'get').mockReturnValue('hidden');
    const hiddenSpy = jest.spyOn(document, 'hidden', 'get').mockReturnValue(true);
    document.dispatchEvent(new Event('visibilitychange'));
    visibility.mockRestore();
    hiddenSpy.mockRestore();
    expect(m.calls.map((c) => [c.events.length, c.init.keepalive])).toEqual([
      [20, false],
      [20, true],
    ]);
    await settle();
    expect(await ids()).toHaveLength(20); // until a 2xx for them
    return m;
  }

  /** Waits out any backoff, and says how many requests there were. */
  async function later(m: ReturnType<typeof manual>) {
    await settle();
    jest.advanceTimersByTime(10 * 60 * 1000);
    await settle();
    return m.calls.length;
  }

  it('is done with the events when the keepalive request is answered 2xx, whatever the ordinary one gets', async () => {
    const m = await hiddenWhileOut();
    m.calls[1].answer(200);
    m.calls[0].answer(new DOMException('aborted', 'AbortError'));
    expect(await later(m)).toBe(2);
    expect(await ids()).toEqual([]);
  });

  it('is done with the events when the ordinary request is answered 2xx, and the keepalive one fails', async () => {
    const m = await hiddenWhileOut();
    m.calls[0].answer(200);
    await settle();
    m.calls[1].answer(503);
    expect(await later(m)).toBe(2);
    expect(await ids()).toEqual([]);
  });

  it('keeps the events when the keepalive request fails and the page lives on; the ordinary answer still counts', async () => {
    const m = await hiddenWhileOut();
    m.calls[1].answer(503);
    await settle();
    expect(await ids()).toHaveLength(20); // still in the outbox: the page may still go away
    m.calls[0].answer(200);
    expect(await later(m)).toBe(2);
    expect(await ids()).toEqual([]);
  });

  it('sends the events a third time only when both requests failed', async () => {
    const m = await hiddenWhileOut();
    m.calls[0].answer(new TypeError('Failed to fetch'));
    m.calls[1].answer(503);
    await settle();
    jest.advanceTimersByTime(2000); // the backoff after the second failure
    await until(() => m.calls.length === 3);
    expect(m.calls[2].events).toHaveLength(20);
    m.calls[2].answer(200);
    expect(await later(m)).toBe(3);
    expect(await ids()).toEqual([]);
  });

  it('leaves it all to the next page, which sends it: what the keepalive request could not take, and what it took (no answer reached the page)', async () => {
    const m = manual();
    spur = freshSpur();
    spur.init({ writeKey: 'demo', fetch: m.fetch, autoPage: false });
    for (let i = 0; i < 30; i++) spur.track('E' + i, { pad: 'x'.repeat(5000) }); // ~150 KB, one ordinary request
    await until(() => m.calls.length === 1);
    await settle();
    dispatchEvent(new Event('pagehide')); // the page goes away: the ordinary request dies with it
    const kept = m.calls[1].events;
    expect(m.calls[1].init.keepalive).toBe(true);
    expect(kept.length).toBeGreaterThan(5);
    expect(kept.length).toBeLessThan(30);
    await settle();
    const left = Array.from({ length: 30 }, (_, i) => 'E' + i);
    expect(await ids()).toEqual(left);

    const next = start(); // the next page
    await settle();
    jest.advanceTimersByTime(2000);
    await until(() => next.calls[0]?.body !== undefined); // (a Blob, read before)
    expect(next.events().map((e) => e.event)).toEqual(left);
  });
});

describe('flush()', () => {
  it('settles once the outbox is empty', async () => {
    const r = start();
    spur.track('A');
    spur.track('B');
    await spur.flush();
    expect(r.events().map((e) => e.event)).toEqual(['A', 'B']);
    expect(await ids()).toEqual([]);
  });

  it('waits through retries until the outbox is empty', async () => {
    const r = start((_, i) => (i === 0 ? 503 : 200));
    spur.track('A');
    let done = false;
    spur.flush().then(() => (done = true));
    await until(() => r.calls.length === 1);
    await settle();
    expect(done).toBe(false);
    jest.advanceTimersByTime(1000); // the backoff
    await until(() => done);
    expect(r.calls).toHaveLength(2);
    expect(await ids()).toEqual([]);
  });

  it('settles within its bound when the collector never answers', async () => {
    const r = start();
    r.hold();
    spur.track('A');
    let done = false;
    spur.flush().then(() => (done = true));
    await until(() => r.calls.length === 1);
    jest.advanceTimersByTime(4999);
    await settle();
    expect(done).toBe(false);
    jest.advanceTimersByTime(1);
    await settle();
    expect(done).toBe(true);
  });

  it('settles, without rejecting, when the collector is down', async () => {
    start(() => new TypeError('Failed to fetch'));
    spur.track('A');
    let done = false;
    spur.flush(1000).then(() => (done = true));
    await settle();
    jest.advanceTimersByTime(1000);
    await settle();
    expect(done).toBe(true);
    expect(await ids()).toEqual(['A']);
  });

  it('resolves at once before init()', async () => {
    await expect(freshSpur().flush()).resolves.toBeUndefined();
  });
});
