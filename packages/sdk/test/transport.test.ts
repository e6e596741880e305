import { backoff, chunk, KEEPALIVE_LIMIT, send, verdict } from '../src/transport';
import type { SpurEvent } from '../src/types';
import { recorder } from './helpers';

const event = (i: number, extra = ''): SpurEvent => ({
  type: 'track',
  event: 'E' + extra,
  messageId: 'm' + i,
  timestamp: '2025-01-01T00:00:00.000Z',
});

describe('verdict(status, retryAfter)', () => {
  it.each([200, 201, 204])('lets the events leave the outbox on %i', (status) => {
    expect(verdict(status, null)).toBeUndefined();
  });

  it.each([400, 401, 403, 404, 410, 413, 422])('drops the events on %i, since resending cannot succeed', (status) => {
    expect(verdict(status, null)).toBeUndefined();
  });

  it.each([429, 500, 502, 503, 504])('retries after a backoff on %i', (status) => {
    expect(verdict(status, null)).toBeNaN();
  });

  it('honours Retry-After seconds on 429 and 503', () => {
    expect(verdict(429, '7')).toBe(7000);
    expect(verdict(503, '0')).toBe(0);
  });

  it('falls back to backoff when Retry-After is not a number of seconds', () => {
    expect(verdict(503, 'Wed, 21 Oct 2015 07:28:00 GMT')).toBeNaN();
  });
});

describe('backoff(attempt)', () => {
  it('doubles from 1 s with full jitter', () => {
    expect([0, 1, 2, 3].map((a) => backoff(a, () => 1))).toEqual([1000, 2000, 4000, 8000]);
    expect(backoff(3, () => 0.5)).toBe(4000);
    expect(backoff(3, () => 0)).toBe(0);
  });

  it('never waits more than 5 minutes', () => {
    expect(backoff(30, () => 1)).toBe(300000);
    expect(backoff(1000, () => 0.999)).toBeLessThan(300000);
  });
});

describe('chunk(events, max)', () => {
  it('makes batches of at most max events, in order', () => {
    const events = Array.from({ length: 45 }, (_, i) => event(i));
    const batches = chunk(events, 20);
    expect(batches.map((b) => b.length)).toEqual([20, 20, 5]);
    expect(batches.flat()).toEqual(events);
  });

  it('keeps each batch under the 64 KB keepalive limit', () => {
    const big = 'x'.repeat(15000);
    const batches = chunk(
      Array.from({ length: 10 }, (_, i) => event(i, big)),
      20,
    );
    expect(batches.length).toBeGreaterThan(1);
    for (const b of batches) expect(new Blob([JSON.stringify({ batch: b })]).size).toBeLessThan(KEEPALIVE_LIMIT + 200);
  });

  it('counts bytes, not characters', () => {
    const wide = '€'.repeat(7000); // 3 bytes each in UTF-8
    expect(chunk([event(1, wide), event(2, wide), event(3, wide)], 20).length).toBe(2);
  });

  it('sends an event bigger than the limit on its own', () => {
    const batches = chunk([event(1), event(2, 'x'.repeat(70000)), event(3)], 20);
    expect(batches.map((b) => b.map((e) => e.messageId))).toEqual([['m1'], ['m2'], ['m3']]);
  });
});

describe('send(fetch, endpoint, writeKey, events)', () => {
  it('POSTs {batch, sentAt, writeKey} as text/plain with credentials and keepalive', async () => {
    const r = recorder();
    await send(r.fetch, 'http://collector.test', 'demo', [event(1)]);
    expect(r.calls).toHaveLength(1);
    const { url, init, body } = r.calls[0];
    expect(url).toBe('http://collector.test/v1/batch');
    expect(init).toMatchObject({
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      credentials: 'include',
      keepalive: true,
    });
    expect(body.writeKey).toBe('demo');
    expect(body.batch).toEqual([event(1)]);
    expect(new Date(body.sentAt!).toISOString()).toBe(body.sentAt);
  });

  it('sends a body over 64 KB without keepalive, which the browser would refuse', async () => {
    const r = recorder();
    await send(r.fetch, '', 'demo', [event(1, 'x'.repeat(70000))]);
    expect(r.calls[0].init.keepalive).toBe(false);
  });

  it('answers a network error with a retry and never rejects', async () => {
    const r = recorder(() => new TypeError('Failed to fetch'));
    await expect(send(r.fetch, '', 'demo', [event(1)])).resolves.toBeNaN();
    const throwing = (() => {
      throw new TypeError('sync');
    }) as unknown as typeof fetch;
    await expect(send(throwing, '', 'demo', [event(1)])).resolves.toBeNaN();
  });

  it('reads Retry-After from the answer', async () => {
    const r = recorder(() => ({ status: 429, headers: { 'Retry-After': '3' } }));
    await expect(send(r.fetch, '', 'demo', [event(1)])).resolves.toBe(3000);
  });
});
