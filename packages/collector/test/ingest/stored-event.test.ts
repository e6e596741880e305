import { correctTimestamp, toStoredEvent, type RequestFacts } from '../../src/ingest/stored-event';
import type { ParsedEvent } from '../../src/ingest/validate';

const RECEIVED = '2024-05-01T12:00:00.000Z';
const facts = (extra: Partial<RequestFacts> = {}): RequestFacts => ({
  receivedAt: RECEIVED,
  clientClock: 'correct',
  ipMode: 'truncate',
  ...extra,
});
const event = (extra: Partial<ParsedEvent> = {}): ParsedEvent => ({
  type: 'track',
  event: 'X',
  messageId: 'm',
  generatedMessageId: false,
  anonymousId: 'a',
  ...extra,
});

describe('correctTimestamp', () => {
  it('shifts by the client clock error measured with sentAt', () => {
    // The client clock is one hour fast: it stamped the event 10 s before it sent it.
    expect(correctTimestamp('2024-05-01T13:00:00.000Z', '2024-05-01T13:00:10.000Z', RECEIVED, 'correct')).toBe(
      '2024-05-01T11:59:50.000Z',
    );
  });

  it('keeps the client time without sentAt or when trusting clients', () => {
    expect(correctTimestamp('2024-05-01T13:00:00.000Z', undefined, RECEIVED, 'correct')).toBe('2024-05-01T13:00:00.000Z');
    expect(correctTimestamp('2024-05-01T13:00:00.000Z', '2024-05-01T13:00:10.000Z', RECEIVED, 'trust')).toBe(
      '2024-05-01T13:00:00.000Z',
    );
  });

  it('falls back to the receipt time when a wild sentAt would leave the printable range', () => {
    expect(correctTimestamp('9999-01-01T00:00:00.000Z', '0001-01-01T00:00:00.000Z', RECEIVED, 'correct')).toBe(RECEIVED);
  });
});

describe('toStoredEvent', () => {
  it('uses the receipt time for both times when the client sent no timestamp', () => {
    const e = toStoredEvent(event(), facts({ sentAt: '2024-05-01T13:00:00.000Z' }));
    expect(e).toMatchObject({ timestamp: RECEIVED, originalTimestamp: RECEIVED, receivedAt: RECEIVED, sentAt: '2024-05-01T13:00:00.000Z' });
  });

  it("prefers an event's own sentAt over the request's", () => {
    const e = toStoredEvent(
      event({ timestamp: '2024-05-01T13:00:00.000Z', sentAt: '2024-05-01T13:00:30.000Z' }),
      facts({ sentAt: '2024-05-01T13:00:10.000Z' }),
    );
    expect(e.sentAt).toBe('2024-05-01T13:00:30.000Z');
    expect(e.timestamp).toBe('2024-05-01T11:59:30.000Z');
  });

  it('replaces client-sent ip, userAgent and device details by minimised values', () => {
    const e = toStoredEvent(
      event({
        context: {
          ip: '198.51.100.7',
          userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Version/17.4 Mobile/15E148 Safari/604.1',
          userAgentData: { mobile: true },
          device: { advertisingId: 'ad-123', type: 'ios' },
          locale: 'de-DE',
        },
      }),
      facts({ ip: '203.0.113.9', userAgent: 'curl/8' }),
    );
    expect(e.context).toEqual({
      locale: 'de-DE',
      ip: '203.0.0.0',
      device: { type: 'mobile' },
      browser: { name: 'Safari' },
      os: { name: 'iOS' },
    });
  });

  it('stores no ip at all in drop mode', () => {
    expect(toStoredEvent(event(), facts({ ip: '203.0.113.9', ipMode: 'drop' })).context).not.toHaveProperty('ip');
  });

  it('keeps a context key named __proto__ as data, never as a prototype', () => {
    const context = JSON.parse('{"__proto__": {"polluted": true}, "locale": "de-DE"}');
    const e = toStoredEvent(event({ context }), facts());
    expect(Object.getPrototypeOf(e.context)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(e.context, '__proto__')).toBe(true);
    expect((e.context as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.parse(JSON.stringify(e.context))).toMatchObject({ locale: 'de-DE' });
  });

  it('gives every event its own user agent families (the parser caches them)', () => {
    const ua = 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0';
    const [a, b] = [1, 2].map(() => toStoredEvent(event({ context: { userAgent: ua } }), facts()));
    expect(a.context?.browser).toEqual({ name: 'Firefox' });
    expect(a.context?.browser).not.toBe(b.context?.browser);
  });
});
