import {
  MAX_ARRAY_LENGTH,
  MAX_BATCH_EVENTS,
  MAX_DEPTH,
  MAX_EVENT_BYTES,
  MAX_KEYS,
  MAX_STRING_LENGTH,
  parseEvent,
  parseIngestBody,
  parseIsoDate,
} from '../../src/ingest/validate';
import type { EventType } from '@spur/sdk';

const newId = () => 'generated-id';
const valid = (raw: unknown, type?: EventType) => {
  const r = parseEvent(raw, type, newId);
  if (!r.ok) throw new Error(`expected valid, got: ${r.reason}`);
  return r.event;
};
const reason = (raw: unknown, type?: EventType) => {
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
    [{ type: 'screen_view', anonymousId: 'a' }, 'unknown event type "screen_view": type must be one of track, page, identify, alias, group, screen'],
    [{ anonymousId: 'a' }, 'type must be one of track, page, identify, alias, group, screen'],
    [{ type: 'x'.repeat(201), anonymousId: 'a' }, 'type must be one of track, page, identify, alias, group, screen'],
    [{ type: 'group', anonymousId: 'a' }, 'groupId is required'],
    [{ type: 'group', anonymousId: 'a', groupId: '' }, 'groupId is required'],
    [{ type: 'page', anonymousId: '', userId: '' }, 'anonymousId or userId is required'],
    [{ type: 'alias', userId: 'u', previousId: '' }, 'previousId is required'],
    [{ type: 'track', event: 'x', anonymousId: 'a', originalTimestamp: 'yesterday' }, 'originalTimestamp must be an ISO 8601 date'],
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

  // Strings are capped too (MAX_STRING_LENGTH), so a big event is made of several.
  const blobs = (n: number, text: string) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`part${i}`, text]));

  it('rejects an event over 32 KB serialized, naming its messageId', () => {
    const raw = { type: 'track', event: 'Big', anonymousId: 'a', messageId: 'big', properties: blobs(5, 'x'.repeat(7000)) };
    expect(parseEvent(raw, undefined, newId)).toEqual({
      ok: false,
      reason: `event is larger than ${MAX_EVENT_BYTES} bytes`,
      messageId: 'big',
    });
  });

  it('measures the size in UTF-8 bytes, and only rejects what really is over', () => {
    // 18,000 characters, 36,000 bytes: over.
    const wide = { type: 'track', event: 'Big', anonymousId: 'a', properties: blobs(3, 'é'.repeat(6000)) };
    expect(reason(wide)).toBe(`event is larger than ${MAX_EVENT_BYTES} bytes`);
    // 30,000 ASCII characters: under, though a quick upper bound says it might not be.
    const narrow = { type: 'track', event: 'Big', anonymousId: 'a', properties: blobs(4, 'x'.repeat(7500)) };
    expect(parseEvent(narrow, undefined, newId).ok).toBe(true);
  });
});

describe('parseEvent: what other clients send', () => {
  it('stores group events with their groupId and traits, and screen events with their name and properties', () => {
    expect(valid({ type: 'group', userId: 'u', groupId: 'g-1', traits: { name: 'ACME' } })).toMatchObject({
      type: 'group',
      groupId: 'g-1',
      traits: { name: 'ACME' },
    });
    expect(valid({ type: 'screen', anonymousId: 'a', name: 'Checkout', properties: { step: 2 } })).toMatchObject({
      type: 'screen',
      name: 'Checkout',
      properties: { step: 2 },
    });
    expect(valid({ anonymousId: 'a', groupId: 7 }, 'group').groupId).toBe('7');
  });

  it('keeps a groupId sent on other events (Jitsu sends it on every event after group)', () => {
    expect(valid({ type: 'track', event: 'x', anonymousId: 'a', groupId: 'g-1' }).groupId).toBe('g-1');
  });

  it('takes originalTimestamp as the client time when timestamp is absent, timestamp when both are sent', () => {
    expect(valid({ type: 'page', anonymousId: 'a', originalTimestamp: '2024-05-01T13:00:00+01:00' }).timestamp).toBe('2024-05-01T12:00:00.000Z');
    expect(valid({ type: 'page', anonymousId: 'a', timestamp: null, originalTimestamp: '2024-05-01T12:00:00Z' }).timestamp).toBe('2024-05-01T12:00:00.000Z');
    const both = valid({ type: 'page', anonymousId: 'a', timestamp: '2024-05-01T10:00:00Z', originalTimestamp: '2024-05-01T12:00:00Z' });
    expect(both.timestamp).toBe('2024-05-01T10:00:00.000Z');
  });

  it('reads empty ids as absent', () => {
    const e = valid({ type: 'track', event: 'x', anonymousId: 'a', userId: '', previousId: '', groupId: '' });
    expect(e.userId).toBeUndefined();
    expect(e.previousId).toBeUndefined();
    expect(e.groupId).toBeUndefined();
    expect(valid({ type: 'identify', anonymousId: '', userId: 'u' }).anonymousId).toBeUndefined();
  });

  it('takes identify traits from context.traits when traits is absent, merged under traits when both are sent', () => {
    const inContext = valid({ type: 'identify', userId: 'u', context: { traits: { email: 'a@x', plan: 'free' } } });
    expect(inContext.traits).toEqual({ email: 'a@x', plan: 'free' });
    const both = valid({ type: 'identify', userId: 'u', traits: { plan: 'pro', age: 3 }, context: { traits: { email: 'a@x', plan: 'free' } } });
    expect(both.traits).toEqual({ email: 'a@x', plan: 'pro', age: 3 });
    // Only identify: on other events context.traits describes the user, not the event.
    expect(valid({ type: 'track', event: 'x', userId: 'u', context: { traits: { email: 'a@x' } } }).traits).toBeUndefined();
    expect(valid({ type: 'group', userId: 'u', groupId: 'g', context: { traits: { email: 'a@x' } } }).traits).toBeUndefined();
  });

  it('refuses merged traits over the key limit, and leaves a context.traits that is not an object in the context', () => {
    const half = (prefix: string) => Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`${prefix}${i}`, i]));
    expect(reason({ type: 'identify', userId: 'u', traits: half('a'), context: { traits: half('b') } })).toBe(
      `traits and context.traits together have more than ${MAX_KEYS} keys`,
    );
    const odd = valid({ type: 'identify', userId: 'u', traits: { a: 1 }, context: { traits: 'x' } });
    expect(odd.traits).toEqual({ a: 1 });
    expect(odd.context).toEqual({ traits: 'x' });
  });
});

describe('parseEvent limits and hostile content', () => {
  const page = (extra: Record<string, unknown>) => ({ type: 'page', anonymousId: 'a', messageId: 'm', ...extra });
  /** `levels` objects nested inside one another: { a: { a: ... { leaf: 1 } } }. */
  const nested = (levels: number): Record<string, unknown> => {
    let value: Record<string, unknown> = { leaf: 1 };
    for (let i = 1; i < levels; i++) value = { a: value };
    return value;
  };

  it('passes a real event: page context, Ecommerce properties, a product description of a few KB', () => {
    const description = 'Soft organic cotton, knitted in Portugal. Größe M; 🧵 '.repeat(80); // ~4,300 characters
    const e = valid({
      type: 'track',
      event: 'Product Viewed',
      anonymousId: 'a',
      properties: { product_id: 'p1', name: 'Tee', price: 24.9, description, products: [{ product_id: 'p1', quantity: 1 }] },
      context: { page: { url: 'https://shop.example/p/1', path: '/p/1' }, library: { name: 'spur', version: '0.1.0' } },
    });
    expect(e.properties?.description).toBe(description);
  });

  it(`allows ${MAX_DEPTH} levels of nesting (properties is level 1) and rejects one more, naming where`, () => {
    expect(valid(page({ properties: nested(MAX_DEPTH) })).properties).toEqual(nested(MAX_DEPTH));
    const where = ['properties', ...Array(MAX_DEPTH).fill('a')].join('.');
    expect(reason(page({ properties: nested(MAX_DEPTH + 1) }))).toBe(`${where} is nested deeper than ${MAX_DEPTH} levels`);
  });

  it('rejects 10,000 levels of arrays without running out of stack', () => {
    const deep = JSON.parse('['.repeat(10_000) + ']'.repeat(10_000));
    expect(reason(page({ context: { deep } }))).toMatch(/^context\.deep(\[0\])+ is nested deeper than 16 levels$/);
  });

  const keysObject = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
  it.each([
    [
      'array length',
      { properties: { tags: Array(MAX_ARRAY_LENGTH).fill('t') } },
      { properties: { tags: Array(MAX_ARRAY_LENGTH + 1).fill('t') } },
      `properties.tags has more than ${MAX_ARRAY_LENGTH} items`,
    ],
    [
      'string length',
      { properties: { text: 'x'.repeat(MAX_STRING_LENGTH) } },
      { properties: { text: 'x'.repeat(MAX_STRING_LENGTH + 1) } },
      `properties.text is longer than ${MAX_STRING_LENGTH} characters`,
    ],
    [
      'key length',
      { traits: { ['k'.repeat(MAX_STRING_LENGTH)]: 1 } },
      { traits: { ['k'.repeat(MAX_STRING_LENGTH + 1)]: 1 } },
      `traits has a key longer than ${MAX_STRING_LENGTH} characters`,
    ],
    [
      'keys per object',
      { context: { extra: keysObject(MAX_KEYS) } },
      { context: { extra: keysObject(MAX_KEYS + 1) } },
      `context.extra has more than ${MAX_KEYS} keys`,
    ],
  ])('bounds the %s: at the limit passes, past it is rejected with a reason', (_what, at, past, expected) => {
    expect(parseEvent(page(at), undefined, newId).ok).toBe(true);
    expect(reason(page(past))).toBe(expected);
  });

  it.each([
    ['{"__proto__": {"admin": true}}', 'the event has a key "__proto__", which is not allowed'],
    ['{"properties": {"__proto__": {"admin": true}}}', 'properties has a key "__proto__", which is not allowed'],
    ['{"traits": {"a": [{"b": {"__proto__": null}}]}}', 'traits.a[0].b has a key "__proto__", which is not allowed'],
    ['{"context": {"constructor": {"prototype": {"admin": true}}}}', 'context has a key "constructor", which is not allowed'],
    ['{"properties": {"x": {"prototype": 1}}}', 'properties.x has a key "prototype", which is not allowed'],
  ])('rejects the prototype key in %s', (json, expected) => {
    // JSON.parse makes "__proto__" an own data property, as a request body would.
    expect(reason(page(JSON.parse(json)))).toBe(expected);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it.each([
    ['{"anonymousId": "a\\u0000b"}', 'anonymousId contains a NUL character'],
    ['{"type": "track", "event": "Order\\u0000Completed"}', 'event contains a NUL character'],
    ['{"properties": {"name": "tee\\u0000"}}', 'properties.name contains a NUL character'],
    ['{"properties": {"na\\u0000me": 1}}', 'properties has a key with a NUL character'],
    ['{"properties": {"list": ["ok", "\\ud800"]}}', 'properties.list[1] contains a lone surrogate (not valid Unicode)'],
    ['{"traits": {"\\udfff": 1}}', 'traits has a key with a lone surrogate (not valid Unicode)'],
    ['{"userId": "\\ud83d"}', 'userId contains a lone surrogate (not valid Unicode)'],
    ['{"properties": {"price": 1e999}}', 'properties.price is a number out of range'],
    ['{"properties": {"Product Name": -1e999}}', 'properties["Product Name"] is a number out of range'],
    ['{"userId": 12345678901234567890}', 'userId must be a string or an integer below 2^53'],
    ['{"userId": 1.5}', 'userId must be a string or an integer below 2^53'],
  ])('rejects %s', (json, expected) => {
    expect(reason(page(JSON.parse(json)))).toBe(expected);
  });

  it('accepts a surrogate pair written as escapes, -0 and the largest exact integer id', () => {
    const e = valid(page(JSON.parse('{"properties": {"emoji": "\\ud83d\\ude00", "zero": -0}, "userId": 9007199254740991}')));
    expect(e.properties).toEqual({ emoji: '😀', zero: -0 });
    expect(e.userId).toBe('9007199254740991');
  });

  it('names the messageId of a rejected event only when it is fit to echo', () => {
    expect(parseEvent(page({ messageId: 'm\u0000', properties: 5 }), undefined, newId)).toEqual({
      ok: false,
      reason: 'messageId contains a NUL character',
      messageId: undefined,
    });
    expect(parseEvent(page({ properties: 5 }), undefined, newId)).toMatchObject({ ok: false, messageId: 'm' });
  });

  it('skips the NUL and surrogate look only when told the JSON text had no \\u escape', () => {
    // A text without "\u" cannot hold either; the ingest route passes that knowledge in.
    const raw = page({ properties: { name: 'a\u0000' } });
    expect(parseEvent(raw, undefined, newId, true).ok).toBe(false);
    expect(parseEvent(raw, undefined, newId, false).ok).toBe(true);
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

  it(`takes ${MAX_BATCH_EVENTS} events and refuses more with 413 as a whole`, () => {
    expect(parseIngestBody({ batch: Array(MAX_BATCH_EVENTS).fill({}) }).events).toHaveLength(MAX_BATCH_EVENTS);
    expect(() => parseIngestBody({ batch: Array(MAX_BATCH_EVENTS + 1).fill({}) })).toThrow(
      expect.objectContaining({ status: 413, code: 'too_many_events', message: `batch holds more than ${MAX_BATCH_EVENTS} events` }),
    );
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
