// The outbox is bounded: at most 1,000 events and 7 days; the oldest go first, and how many were
// dropped travels with the next batch as `dropped`. A failing or missing IndexedDB never throws.
import type { Spur } from '../src/client';
import { DROPPED, MAX_EVENTS, TTL } from '../src/queue';
import { cleanPage, freshSpur, recorder, settle, storedEvents, until, type Answer, type Call } from './helpers';

let spur: Spur;

function start(answer?: (call: Call, i: number) => Answer, config: object = {}) {
  const r = recorder(answer);
  spur = freshSpur();
  spur.init({ writeKey: 'demo', endpoint: 'http://collector.test', fetch: r.fetch, autoPage: false, ...config });
  return r;
}

const offline = () => new TypeError('offline');

beforeEach(() => {
  cleanPage();
  jest.useFakeTimers();
});

afterEach(() => {
  jest.clearAllTimers();
  jest.useRealTimers();
  jest.restoreAllMocks();
});

describe('the bound of 1,000 events', () => {
  it('drops the oldest, counts them, and sends the count with the next batch', async () => {
    let down = true;
    const r = start(() => (down ? offline() : 200), { flushAt: 5000 });
    for (let i = 0; i < MAX_EVENTS + 25; i++) spur.track('E' + i);
    await settle();
    const stored = await storedEvents();
    expect(stored).toHaveLength(MAX_EVENTS);
    expect(stored[0].event).toBe('E25');
    expect(localStorage.getItem(DROPPED)).toBe('25');

    down = false;
    await spur.flush(60000);
    expect(r.calls.find((c) => c.body.batch.length)!.body).toMatchObject({ dropped: 25 });
    expect(r.calls.filter((c) => (c.body as { dropped?: number }).dropped)).toHaveLength(1); // the others say 0
    expect(new Set(r.events().map((e) => e.event)).size).toBe(MAX_EVENTS);
    expect(localStorage.getItem(DROPPED)).toBe('0');
  });

  it('keeps the count when the batch that carried it fails', async () => {
    localStorage.setItem(DROPPED, '3');
    const r = start((_, i) => (i === 0 ? 503 : 200));
    spur.track('A');
    await settle();
    jest.advanceTimersByTime(2000);
    await until(() => r.calls.length === 1);
    await settle();
    expect(localStorage.getItem(DROPPED)).toBe('3');
    jest.advanceTimersByTime(1000);
    await until(() => r.calls.length === 2);
    expect(r.calls.map((c) => (c.body as { dropped?: number }).dropped)).toEqual([3, 3]);
  });

  it('leaves spur_dropped alone while nothing was dropped (no localStorage write per batch)', async () => {
    const setItem = jest.spyOn(Storage.prototype, 'setItem');
    const r = start();
    for (let i = 0; i < 200; i++) spur.track('E' + i, { pad: 'x'.repeat(3000) }); // ~620 KB: 2 requests
    await spur.flush();
    expect(r.calls.length).toBeGreaterThan(1);
    expect(setItem.mock.calls.filter(([key]) => key === DROPPED)).toEqual([]);
  });

  it('sends `dropped: 0` when nothing was dropped', async () => {
    const r = start();
    spur.track('A');
    await spur.flush();
    expect(r.calls[0].body).toMatchObject({ dropped: 0 });
  });
});

describe('the 7-day TTL', () => {
  it('drops events older than 7 days instead of sending them, and counts them', async () => {
    const t0 = Date.now();
    const now = jest.spyOn(Date, 'now').mockReturnValue(t0);
    start(offline);
    spur.track('Old');
    await settle();
    dispatchEvent(new Event('pagehide')); // gives it up for the next visit
    await settle();

    now.mockReturnValue(t0 + TTL - 1000);
    const soon = start();
    spur.track('New');
    await settle();
    expect((await storedEvents()).map((e) => e.event)).toEqual(['Old', 'New']);
    // A week later (this page still alive, e.g. a tab left open offline), nothing was sent yet.
    soon.hold();
    now.mockReturnValue(t0 + TTL + 1);
    soon.release();
    await spur.flush();
    expect(soon.events().map((e) => e.event)).toEqual(['New']);
    expect(soon.calls[0].body).toMatchObject({ dropped: 1 });
    await settle();
    expect(await storedEvents()).toEqual([]);
  });
});

describe('without a working IndexedDB', () => {
  it('keeps the bound in memory too', async () => {
    // @ts-expect-error: as in some private modes
    delete globalThis.indexedDB;
    let down = true;
    const r = start(() => (down ? offline() : 200), { flushAt: 5000 });
    for (let i = 0; i < MAX_EVENTS + 5; i++) spur.track('E' + i);
    down = false;
    await spur.flush(60000);
    expect(r.events()).toHaveLength(MAX_EVENTS);
    expect(r.events()[0].event).toBe('E5');
  });

  it('keeps events whose write failed over quota in memory, and sends them', async () => {
    const r = start();
    await settle();
    jest.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(() => {
      throw new DOMException('full', 'QuotaExceededError');
    });
    expect(() => spur.track('A')).not.toThrow();
    await settle();
    expect(await storedEvents()).toEqual([]);
    await spur.flush();
    expect(r.events().map((e) => e.event)).toEqual(['A']);
  });
});
