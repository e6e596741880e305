import { setDebug } from '../src/config';
import { backoff, batchOf, body, KEEPALIVE_LIMIT, KEEPALIVE_QUOTA, LIMIT, REFUSED, send, TIMEOUT } from '../src/transport';
import type { SpurEvent } from '../src/types';
import { recorder } from './helpers';

const event = (i: number, extra = ''): SpurEvent => ({
  type: 'track',
  event: 'E' + extra,
  messageId: 'm' + i,
  timestamp: '2025-01-01T00:00:00.000Z',
});

// What send() resolves to, for each answer: undefined when the events may leave the outbox, else a
// retry delay in ms, NaN for a backoff, or REFUSED.
describe('send(): the answer', () => {
  const verdict = (status: number, retryAfter?: string) =>
    send(recorder(() => ({ status, headers: retryAfter ? { 'Retry-After': retryAfter } : undefined })).fetch, '', body([], 'demo', 0), false);

  it.each([200, 201, 204])('lets the events leave the outbox on %i', async (status) => {
    expect(await verdict(status)).toBeUndefined();
  });

  it.each([400, 402, 404, 410, 413, 422])('drops the events on %i, since resending cannot succeed', async (status) => {
    expect(await verdict(status)).toBeUndefined();
  });

  it.each([401, 403])('answers REFUSED on %i: no request of this page can succeed', async (status) => {
    expect(await verdict(status)).toBe(REFUSED);
  });

  it('lets the events go when the answer has no JSON body (an empty 204, a proxy page)', async () => {
    const fetch = (async () => ({ status: 204, headers: { get: () => null }, json: () => Promise.reject(new SyntaxError('empty')) })) as unknown as typeof globalThis.fetch;
    expect(await send(fetch, '', body([], 'demo', 0), false)).toBeUndefined();
  });

  it.each([429, 500, 502, 503, 504])('retries after a backoff on %i', async (status) => {
    expect(await verdict(status)).toBeNaN();
  });

  it('honours Retry-After seconds on 429 and 503', async () => {
    expect(await verdict(429, '7')).toBe(7000);
    expect(await verdict(503, '0')).toBe(0);
  });

  it('falls back to backoff when Retry-After is not a number of seconds', async () => {
    expect(await verdict(503, 'Wed, 21 Oct 2015 07:28:00 GMT')).toBeNaN();
  });
});

// With data-debug, a developer reads in the console what the collector said and what to change.
describe('send(): what it says in debug mode', () => {
  const answer = (status: number, message?: string) =>
    recorder(() => ({ status, body: message ? { error: { code: status == 401 ? 'unauthorized' : 'forbidden', message } } : {} })).fetch;
  let warn: jest.SpyInstance;
  beforeEach(() => {
    warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    setDebug(true);
  });
  afterEach(() => {
    setDebug(false);
    warn.mockRestore();
  });

  // The collector's message names the SPUR_WRITE_KEYS entry that lets this origin send with the key.
  it("says, on 403, the collector's reason", async () => {
    const reason = 'this origin is not allowed for the write key (SPUR_WRITE_KEYS needs shop=https://shop.example)';
    await send(answer(403, reason), '', body([], 'shop', 0), false);
    expect(warn.mock.calls).toEqual([['[spur]', 403, reason]]);
  });

  it("says, on 401, the collector's reason (an unknown or missing key)", async () => {
    await send(answer(401, 'unknown write key (SPUR_WRITE_KEYS needs typo=https://shop.example)'), '', body([], 'typo', 0), false);
    expect(warn.mock.calls).toEqual([['[spur]', 401, 'unknown write key (SPUR_WRITE_KEYS needs typo=https://shop.example)']]);
  });

  it('says nothing about other answers (2xx, retries, a batch dropped on 400 or 413)', async () => {
    for (const status of [200, 429, 503, 400, 413]) await send(answer(status, 'x'), '', body([], 'shop', 0), false);
    expect(warn).not.toHaveBeenCalled();
  });

  it('says nothing without debug', async () => {
    setDebug(false);
    await send(answer(403, 'this origin is not allowed for the write key'), '', body([], 'shop', 0), false);
    expect(warn).not.toHaveBeenCalled();
  });
});

describe('backoff(attempt)', () => {
  const random = (value: number) => jest.spyOn(Math, 'random').mockReturnValue(value);
  afterEach(() => jest.restoreAllMocks());

  it('doubles from 1 s with full jitter', () => {
    random(1);
    expect([0, 1, 2, 3].map((a) => backoff(a))).toEqual([1000, 2000, 4000, 8000]);
    random(0.5);
    expect(backoff(3)).toBe(4000);
    random(0);
    expect(backoff(3)).toBe(0);
  });

  it('never waits more than 5 minutes', () => {
    random(1);
    expect(backoff(30)).toBe(300000);
    random(0.999);
    expect(backoff(1000)).toBeLessThan(300000);
  });
});

type Parcel = [[number, string], string[]];
const parcel = (i: number, n: number, extra = ''): Parcel => [
  [i, 'page'],
  Array.from({ length: n }, (_, j) => JSON.stringify(event(i * 100 + j, extra))),
];
const size = (p: Parcel) => p[1].join().length + 1;

describe('batchOf(parcels, limit)', () => {
  it.each([
    ['the keepalive limit', KEEPALIVE_LIMIT],
    ['the limit of an ordinary request', LIMIT],
  ])('takes the first parcels, in order, up to %s together', (_, limit) => {
    const parcels = Array.from({ length: 60 }, (_, i) => parcel(i, 20, 'x'.repeat(500)));
    const batch = batchOf(parcels, limit);
    expect(batch).toEqual(parcels.slice(0, batch.length));
    expect(batch.length).toBeGreaterThan(1);
    expect(batch.reduce((n, p) => n + size(p), 0)).toBeLessThanOrEqual(limit);
    expect(batch.reduce((n, p) => n + size(p), 0) + size(parcels[batch.length])).toBeGreaterThan(limit);
    expect(batchOf([], limit)).toEqual([]);
  });

  it('fills a keepalive batch up to 64,000 characters', () => {
    const parcels = [parcel(1, 30, 'x'.repeat(950)), parcel(2, 30, 'x'.repeat(950))];
    expect(size(parcels[0]) + size(parcels[1])).toBeGreaterThan(60000);
    expect(batchOf(parcels, KEEPALIVE_LIMIT)).toEqual(parcels);
  });

  it('leaves room in the 64 KiB keepalive quota for the envelope, with a long write key', () => {
    const events = Array.from({ length: 64 }, (_, i) => JSON.stringify(event(i, 'x'.repeat(900))));
    const batch = batchOf([[[1, 'page'], events]], KEEPALIVE_LIMIT);
    expect(batch[0][1].join().length).toBeLessThanOrEqual(KEEPALIVE_LIMIT);
    expect(body(batch.map((p) => p[1]), 'k'.repeat(1000), 1000).length).toBeLessThanOrEqual(KEEPALIVE_QUOTA);
  });

  it("keeps an ordinary request well under the collector's 500 KiB cap, with a long write key", () => {
    const parcels = Array.from({ length: 10 }, (_, i) => parcel(i, 64, 'x'.repeat(900)));
    const batch = batchOf(parcels, LIMIT);
    expect(batch.length).toBeGreaterThan(6); // 7 parcels of ~62 KB
    expect(body(batch.map((p) => p[1]), 'k'.repeat(1000), 1000).length).toBeLessThanOrEqual(500 * 1024 - 16 * 1024);
  });

  it('always takes one parcel, even one over the limit (an event too big on its own)', () => {
    const big = parcel(1, 1, 'x'.repeat(70000));
    expect(batchOf([big, parcel(2, 1)], KEEPALIVE_LIMIT)).toEqual([big]);
  });
});

describe('body(events, writeKey, dropped)', () => {
  it('wraps events that are JSON already as {batch, sentAt, writeKey}', () => {
    const parsed = JSON.parse(body([JSON.stringify(event(1)), JSON.stringify(event(2))], 'demo', 0));
    expect(parsed).toEqual({ batch: [event(1), event(2)], sentAt: expect.any(String), writeKey: 'demo', dropped: 0 });
    expect(new Date(parsed.sentAt).toISOString()).toBe(parsed.sentAt);
  });

  it('reports dropped events as `dropped`, 0 when none were', () => {
    expect(JSON.parse(body([], 'demo', 7))).toMatchObject({ batch: [], dropped: 7 });
    expect(JSON.parse(body([], 'demo', 0))).toMatchObject({ batch: [], dropped: 0 });
  });

  it('joins parcels of events flat', () => {
    const [a, b, c] = [1, 2, 3].map((i) => JSON.stringify(event(i)));
    expect(JSON.parse(body([[a, b], [c]], 'demo', 0)).batch).toEqual([event(1), event(2), event(3)]);
  });

  it('keeps `$&` and friends inside events as they are', () => {
    const odd = { ...event(1), event: 'E $& $1 $$ $` [] ' };
    expect(JSON.parse(body([JSON.stringify(odd)], 'demo', 0)).batch).toEqual([odd]);
  });
});

describe('send(fetch, url, body, keepalive)', () => {
  const data = () => body([JSON.stringify(event(1))], 'demo', 0);

  it('POSTs the body as a string (text/plain, no preflight) with credentials and keepalive', async () => {
    const r = recorder();
    await send(r.fetch, 'http://collector.test/v1/batch', data(), true);
    expect(r.calls).toHaveLength(1);
    const { url, init, body: sent } = r.calls[0];
    expect(url).toBe('http://collector.test/v1/batch');
    expect(init).toMatchObject({ method: 'POST', credentials: 'include', keepalive: true });
    expect(typeof init.body).toBe('string');
    expect(init.headers).toBeUndefined(); // a header could make it a non-simple request
    expect(sent.writeKey).toBe('demo');
    expect(sent.batch).toEqual([event(1)]);
  });

  it('sends a body beyond the 64 KiB keepalive quota as a string too', async () => {
    const r = recorder();
    const big = body([JSON.stringify(event(1, 'x'.repeat(70000)))], 'demo', 0);
    await send(r.fetch, '', big, false);
    expect(typeof r.calls[0].init.body).toBe('string');
    expect(r.calls[0].body.batch[0].event).toBe('E' + 'x'.repeat(70000));
  });

  it('passes keepalive as asked', async () => {
    const r = recorder();
    await send(r.fetch, '', data(), false);
    expect(r.calls[0].init.keepalive).toBe(false);
  });

  it('answers a network error with a retry and never rejects', async () => {
    const r = recorder(() => new TypeError('Failed to fetch'));
    await expect(send(r.fetch, '', data(), true)).resolves.toBeNaN();
    const throwing = (() => {
      throw new TypeError('sync');
    }) as unknown as typeof fetch;
    await expect(send(throwing, '', data(), true)).resolves.toBeNaN();
  });

  it('reads Retry-After from the answer', async () => {
    const r = recorder(() => ({ status: 429, headers: { 'Retry-After': '3' } }));
    await expect(send(r.fetch, '', data(), true)).resolves.toBe(3000);
  });

  it('aborts a request the collector does not answer within 10 s, and retries it', async () => {
    jest.useFakeTimers();
    try {
      let signal: AbortSignal | undefined;
      const hanging = ((_: unknown, init: RequestInit) =>
        new Promise((_resolve, reject) => {
          signal = init.signal!;
          signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
        })) as unknown as typeof fetch;
      let result: number | undefined | 'pending' = 'pending';
      send(hanging, '', data(), true).then((r) => (result = r));
      jest.advanceTimersByTime(TIMEOUT - 1);
      await Promise.resolve();
      expect(signal!.aborted).toBe(false);
      expect(result).toBe('pending');
      jest.advanceTimersByTime(1);
      expect(signal!.aborted).toBe(true);
      for (let i = 0; i < 5; i++) await Promise.resolve();
      expect(result).toBeNaN();
    } finally {
      jest.useRealTimers();
    }
  });
});
