// Property tests: generated hostile payloads, at validation directly and at a real collector over
// HTTP. Whatever comes in, the answer is a 4xx JSON error or a 200 that accounts for every event,
// never a 5xx, and the collector keeps serving.
import { Agent } from 'node:http';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { parseEvent } from '../../src/ingest/validate';
import { SERVER_KEY, track } from '../helpers';
import { send, startLoopback, type Loopback } from './loopback';

// Code units: any code point, and now and then the ones that break storage and exports.
const unit = fc.oneof(
  { weight: 9, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.constantFrom('\u0000', '\ud800', '\udfff', '\ufeff', '\u202e', '"', '\\') },
);
const text = fc.string({ unit, maxLength: 12 });
const key = fc.oneof(
  { weight: 3, arbitrary: text },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'type', 'batch', 'consent') },
);

/** An object with these own keys, as JSON.parse builds it: "__proto__" is data, not the prototype. */
function own(entries: [string, unknown][]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

const { value, object } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    text,
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    tie('array'),
    tie('object'),
  ),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.array(fc.tuple(key, tie('value')), { maxLength: 4 }).map(own),
}));

const iso = fc
  .date({ min: new Date('2024-01-01T00:00:00Z'), max: new Date('2024-06-01T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString());
const either = <T>(good: fc.Arbitrary<T>) => fc.oneof({ weight: 12, arbitrary: good }, { weight: 1, arbitrary: value });

/** Events: mostly plausible, each field now and then anything at all; extra hostile keys. */
const event = fc
  .tuple(
    fc.record(
      {
        type: either(fc.constantFrom('track', 'page', 'identify', 'alias')),
        messageId: either(fc.uuid()),
        anonymousId: either(fc.constantFrom('fuzz-a', 'fuzz-b')),
        userId: either(fc.constantFrom('fuzz-customer')),
        previousId: either(fc.constantFrom('fuzz-a')),
        event: either(fc.constantFrom('Product Viewed', 'Order Completed')),
        timestamp: either(iso),
        properties: either(object),
        traits: either(object),
        context: either(fc.record({ consent: fc.constantFrom('granted', 'denied') })),
      },
      { requiredKeys: [] },
    ),
    fc.array(fc.tuple(key, value), { maxLength: 2 }),
  )
  .map(([fields, extra]) => own([...Object.entries(fields), ...extra]));

const ROUTES = ['/v1/batch', '/v1/track', '/v1/page', '/v1/identify', '/v1/alias'];

interface Payload {
  path: string;
  body: Buffer;
  headers: Record<string, string>;
  chunked: boolean;
}

/** A JSON text with bytes deleted, replaced or inserted: most of it no longer parses. */
const edit = fc.tuple(fc.nat(), fc.constantFrom('delete', 'replace', 'insert'), fc.integer({ min: 0, max: 255 }));
const mutated = (json: string) =>
  fc.array(edit, { minLength: 1, maxLength: 4 }).map((edits) => {
    const bytes = [...Buffer.from(json)];
    for (const [at, op, byte] of edits) {
      const i = at % (bytes.length + 1);
      if (op === 'delete') bytes.splice(i, 1);
      else if (op === 'replace') bytes[i] = byte;
      else bytes.splice(i, 0, byte);
    }
    return Buffer.from(bytes);
  });

const deepEvent = fc.tuple(fc.integer({ min: 1, max: 60_000 }), fc.constantFrom('[', '{"a":')).map(([levels, open]) => {
  const close = open === '[' ? ']' : '}';
  const x = `${open.repeat(levels)}1${close.repeat(levels)}`;
  return Buffer.from(`{"batch":[{"type":"page","anonymousId":"fuzz-a","properties":{"x":${x}}}]}`);
});

const batchText = fc
  .record({ batch: fc.array(event, { maxLength: 25 }), sentAt: fc.option(either(iso), { nil: undefined }) }, { requiredKeys: ['batch'] })
  .map((b) => JSON.stringify(b));
const anyRoute = fc.constantFrom(...ROUTES);
const to = (path: string, body: Buffer | string) => ({ path, body: Buffer.from(body) });

const body: fc.Arbitrary<{ path: string; body: Buffer }> = fc.oneof(
  { weight: 4, arbitrary: batchText.map((t) => to('/v1/batch', t)) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...ROUTES.slice(1)), event).map(([path, e]) => to(path, JSON.stringify(e))) },
  { weight: 2, arbitrary: batchText.chain(mutated).map((b) => to('/v1/batch', b)) },
  { weight: 1, arbitrary: fc.tuple(anyRoute, fc.uint8Array({ maxLength: 300 })).map(([path, b]) => to(path, Buffer.from(b))) },
  { weight: 1, arbitrary: fc.tuple(anyRoute, value).map(([path, v]) => to(path, JSON.stringify(v) ?? '')) },
  { weight: 1, arbitrary: deepEvent.map((b) => to('/v1/batch', b)) },
);

const payload: fc.Arbitrary<Payload> = fc
  .record({
    sent: body,
    key: fc.oneof({ weight: 12, arbitrary: fc.constant(SERVER_KEY) }, { weight: 1, arbitrary: fc.constantFrom(null, 'nope', '__proto__') }),
    gpc: fc.boolean(),
    encoding: fc.oneof(
      { weight: 12, arbitrary: fc.constantFrom('none', 'gzip', 'identity') },
      { weight: 1, arbitrary: fc.constantFrom('broken-gzip', 'compress') },
    ),
    bom: fc.boolean(),
    chunked: fc.boolean(),
  })
  .map(({ sent, key: writeKey, gpc, encoding, bom, chunked }) => {
    const headers: Record<string, string> = { 'Content-Type': 'text/plain' };
    if (writeKey !== null) headers['X-Spur-Write-Key'] = writeKey;
    if (gpc) headers['Sec-GPC'] = '1';
    let bytes = bom ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), sent.body]) : sent.body;
    if (encoding !== 'none') headers['Content-Encoding'] = encoding;
    if (encoding === 'gzip') bytes = gzipSync(bytes);
    if (encoding === 'broken-gzip') {
      headers['Content-Encoding'] = 'gzip';
      bytes = gzipSync(bytes).subarray(0, 12);
    }
    return { path: sent.path, body: bytes, headers, chunked };
  });

/** How many events the collector should account for, if it accepted the request at all. */
function eventsIn(p: Payload): number {
  const raw = p.headers['Content-Encoding'] === 'gzip' ? gunzipSync(p.body) : p.body;
  const parsed = JSON.parse(raw.toString('utf8').replace(/^\uFEFF/, ''));
  return p.path === '/v1/batch' ? parsed.batch.length : 1;
}

describe('parseEvent, for any input', () => {
  it('never throws, and answers a typed event or a short reason', () => {
    fc.assert(
      fc.property(fc.oneof(event, value), (raw) => {
        const result = parseEvent(raw, undefined, () => 'generated');
        if (result.ok) {
          expect(typeof result.event.messageId).toBe('string');
          expect(result.event.anonymousId ?? result.event.userId).toEqual(expect.any(String));
        } else {
          expect(result.reason).toEqual(expect.any(String));
          expect(result.reason.length).toBeGreaterThan(0);
          expect(result.reason.length).toBeLessThan(2000);
        }
      }),
      { numRuns: 3000 },
    );
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('answers the same with the NUL and surrogate look skipped whenever the JSON text has no \\u escape', () => {
    // What the ingest route relies on (validate.ts stringProblem).
    fc.assert(
      fc.property(event, (e) => {
        const json = JSON.stringify(e);
        const full = parseEvent(JSON.parse(json), undefined, () => 'generated', true);
        const quick = parseEvent(JSON.parse(json), undefined, () => 'generated', json.includes('\\u'));
        expect(quick).toEqual(full);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('a real collector under generated hostile requests', () => {
  let lb: Loopback;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  beforeAll(async () => {
    lb = await startLoopback();
  });
  afterAll(async () => {
    agent.destroy();
    await lb.close();
  });

  it('answers every one below 500 with the JSON of the contract, and keeps serving', async () => {
    let acceptedTotal = 0;
    const outcomes = new Map<string, number>();
    const saw = (what: string) => outcomes.set(what, (outcomes.get(what) ?? 0) + 1);
    await fc.assert(
      fc.asyncProperty(payload, async (p) => {
        const reply = await send(lb.url, { path: p.path, headers: p.headers, body: p.body, chunked: p.chunked, agent });
        expect(reply.status).toBeLessThan(500);
        expect(reply.headers['content-type']).toMatch(/^application\/json/);
        const answer = JSON.parse(reply.text);
        if (reply.status !== 200) {
          expect(reply.status).toBeGreaterThanOrEqual(400);
          expect(answer).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
          saw(`${reply.status} ${answer.error.code}`);
          return;
        }
        const count = expect.any(Number);
        expect(answer).toMatchObject({ ok: true, accepted: count, duplicates: count, rejected: expect.any(Array) });
        for (const item of answer.rejected) expect(item).toEqual(expect.objectContaining({ index: count, reason: expect.any(String) }));
        // Every event sent is accounted for exactly once.
        expect(answer.accepted + answer.duplicates + answer.rejected.length + (answer.suppressed ?? 0)).toBe(eventsIn(p));
        acceptedTotal += answer.accepted;
        if (answer.accepted) saw('accepted');
        if (answer.rejected.length) saw('rejected');
        if (answer.suppressed) saw('suppressed');
      }),
      { numRuns: 2000 },
    );
    // The generators reach every kind of answer, not just one easy error.
    const kinds = [
      'accepted',
      'rejected',
      'suppressed',
      '400 invalid_json',
      '400 invalid_body',
      '401 unauthorized',
      '415 unsupported_encoding',
    ];
    expect(Object.fromEntries(outcomes)).toEqual(expect.objectContaining(Object.fromEntries(kinds.map((k) => [k, expect.any(Number)]))));

    // Each accepted event was stored once; and a good request still gets through.
    expect(await lb.storage.countEvents({})).toBe(acceptedTotal);
    const good = track({ anonymousId: 'good-after-fuzz' });
    const reply = await send(lb.url, { headers: { 'X-Spur-Write-Key': SERVER_KEY }, body: JSON.stringify({ batch: [good] }), agent });
    expect(JSON.parse(reply.text)).toEqual({ ok: true, accepted: 1, duplicates: 0, rejected: [] });
    expect(await lb.storage.getProfileEvents('good-after-fuzz')).toHaveLength(1);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  }, 60_000);
});
