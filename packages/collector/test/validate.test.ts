import { MAX_EVENT_BYTES, parseEvent, parseIngestBody, parseIsoDate } from '../src/validate';

const newId = () => 'generated-id';
const valid = (raw: unknown, type?: 'track' | 'page' | 'identify' | 'alias') => {
  const r = parseEvent(raw, type, newId);
  if (!r.ok) throw new Error(`expected valid, got: ${r.reason}`);
  return r.event;
};
const reason = (raw: unknown, type?: 'track' | 'page' | 'identify' | 'alias') => {
  const r = parseEvent(raw, type, newId);
  if (r.ok) throw new Error('expected a rejection');
  return r.reason;
};

describe('parseEvent', () => {
  it('accepts a minimal track event and keeps its fields', () => {
    const e = valid({ type: 'track', event: 'Product Added', anonymousId: 'a', messageId: 'm1', properties: { sku: 'x' } });
    expect(e).toMatchObject({ type: 'track', event: 'Product Added', anonymousId: 'a', messageId: 'm1', properties: { sku: 'x' } });
    expect(e.generatedMessageId).toBe(false);
  });

  it('generates a messageId when none is sent and marks it as generated', () => {
    const e = valid({ type: 'page', anonymousId: 'a' });
    expect(e.messageId).toBe('generated-id');
    expect(e.generatedMessageId).toBe(true);
  });

  it('takes the type from the route over the body', () => {
    expect(valid({ type: 'page', event: 'X', userId: 'u' }, 'track').type).toBe('track');
  });

  it('coerces numeric ids from Segment clients to strings', () => {
    const e = valid({ type: 'identify', userId: 42, anonymousId: 7 });
    expect(e.userId).toBe('42');
    expect(e.anonymousId).toBe('7');
  });

  it('normalizes the timestamp to UTC ISO with milliseconds', () => {
    expect(valid({ type: 'page', anonymousId: 'a', timestamp: '2024-05-01T14:00:00+02:00' }).timestamp).toBe(
      '2024-05-01T12:00:00.000Z',
    );
  });

  it.each([
    [{ type: 'track', anonymousId: 'a' }, 'event is required'],
    [{ type: 'track', event: '', anonymousId: 'a' }, 'event must be a non-empty string'],
    [{ type: 'track', event: 'x'.repeat(201), anonymousId: 'a' }, 'event is longer than 200 characters'],
    [{ type: 'screen', anonymousId: 'a' }, 'type must be one of track, page, identify, alias'],
    [{ type: 'page' }, 'anonymousId or userId is required'],
    [{ type: 'page', anonymousId: 'a'.repeat(201) }, 'anonymousId is longer than 200 characters'],
    [{ type: 'page', userId: {} }, 'userId must be a non-empty string'],
    [{ type: 'alias', userId: 'u' }, 'previousId is required'],
    [{ type: 'alias', previousId: 'p', anonymousId: 'a' }, 'userId is required'],
    [{ type: 'page', anonymousId: 'a', timestamp: 'yesterday' }, 'timestamp must be an ISO 8601 date'],
    [{ type: 'page', anonymousId: 'a', timestamp: '2024-05-01T12:00:00' }, 'timestamp must be an ISO 8601 date'],
    [{ type: 'page', anonymousId: 'a', properties: [1] }, 'properties must be an object'],
    [{ type: 'identify', userId: 'u', traits: 'vip' }, 'traits must be an object'],
    [{ type: 'page', anonymousId: 'a', context: 5 }, 'context must be an object'],
    [{ type: 'page', anonymousId: 'a', messageId: 12 }, 'messageId must be a non-empty string'],
    [{ type: 'page', anonymousId: 'a', messageId: 'm'.repeat(201) }, 'messageId is longer than 200 characters'],
    ['not an event', 'event must be an object'],
  ])('rejects %j: %s', (raw, expected) => {
    expect(reason(raw)).toBe(expected);
  });

  it('rejects an event over 32 KB serialized, naming its messageId', () => {
    const raw = { type: 'track', event: 'Big', anonymousId: 'a', messageId: 'big', properties: { blob: 'x'.repeat(MAX_EVENT_BYTES) } };
    expect(parseEvent(raw, undefined, newId)).toEqual({ ok: false, reason: `event is larger than ${MAX_EVENT_BYTES} bytes`, messageId: 'big' });
  });

  it('measures the size in UTF-8 bytes, and only rejects what really is over', () => {
    // 17,000 characters, 34,000 bytes: over.
    const wide = { type: 'track', event: 'Big', anonymousId: 'a', properties: { text: 'é'.repeat(17_000) } };
    expect(reason(wide)).toBe(`event is larger than ${MAX_EVENT_BYTES} bytes`);
    // 30,000 ASCII characters: under, though a quick upper bound says it might not be.
    const narrow = { type: 'track', event: 'Big', anonymousId: 'a', properties: { text: 'x'.repeat(30_000) } };
    expect(parseEvent(narrow, undefined, newId).ok).toBe(true);
  });
});

describe('parseIngestBody', () => {
  it('returns the batch, a normalized sentAt and the body write key', () => {
    const body = parseIngestBody({ batch: [{}], sentAt: '2024-05-01T12:00:00Z', writeKey: 'k' });
    expect(body).toEqual({ events: [{}], sentAt: '2024-05-01T12:00:00.000Z', writeKey: 'k' });
  });

  it('treats the whole body as the event on single-event routes', () => {
    const raw = { event: 'X', anonymousId: 'a', writeKey: 'k' };
    expect(parseIngestBody(raw, 'track')).toEqual({ events: [raw], writeKey: 'k' });
  });

  it.each([
    [[], 'body must be a JSON object'],
    [null, 'body must be a JSON object'],
    [{ batch: {} }, 'batch must be an array of events'],
    [{ batch: [] }, 'batch is empty'],
    [{ batch: [{}], sentAt: 'soon' }, 'sentAt must be an ISO 8601 date'],
  ])('refuses %j with 400', (body, message) => {
    expect(() => parseIngestBody(body)).toThrow(expect.objectContaining({ status: 400, message }));
  });
});

describe('parseIsoDate', () => {
  it('accepts a date without time as UTC midnight', () => {
    expect(parseIsoDate('2024-05-01')).toBe('2024-05-01T00:00:00.000Z');
  });
  it('refuses impossible dates and non-strings', () => {
    expect(parseIsoDate('2024-13-45T00:00:00Z')).toBeNull();
    expect(parseIsoDate(1714564800000)).toBeNull();
  });
});
