// Plays every payload of the hostile corpus (corpus/manifest.json) against a real collector on
// loopback, one after another on one database. Each must get its expected 4xx JSON error or
// per-event rejections (kept with their reasons), never a 5xx; and after each one a good event
// must still be accepted and stored exactly once.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { SERVER_KEY, track } from '../helpers';
import { send, startLoopback, type Loopback, type Outgoing } from './loopback';

interface Expectation {
  status: number;
  /** The error code of a whole-request error. */
  code?: string;
  accepted?: number;
  /** A substring of each rejection's reason, in batch order; each is also kept in rejected events. */
  rejected?: string[];
  /** An accepted event to read back from its profile (`id`): it must match, stored verbatim. */
  stored?: { id: string; match: Record<string, unknown> };
  /** false when the HTTP server itself answers, before the app (no JSON body). */
  json?: boolean;
}

interface Case {
  name: string;
  /** A file of corpus/, sent as is. */
  file?: string;
  /** Or a payload built here (big ones are not kept as files). */
  generator?: string;
  path?: string;
  /** false: send no write key header (the case is about the key). */
  auth?: boolean;
  expect: Expectation;
}

const DIR = join(__dirname, 'corpus');
const CASES: Case[] = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8'));

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const page = (id: string, extra: Record<string, unknown> = {}) => ({
  type: 'page',
  messageId: `gen-${id}`,
  anonymousId: `hostile-gen-${id}`,
  ...extra,
});
const GZIP = { 'Content-Encoding': 'gzip' };
const deep = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
const blob = 'x'.repeat(7 * 1024);

const GENERATORS: Record<string, () => Outgoing> = {
  deepEvent10k: () => ({ body: `{"batch":[{"type":"page","messageId":"deep-10k","anonymousId":"a","context":{"deep":${deep(10_000)}}}]}` }),
  deepEvent200k: () => ({ body: `{"batch":[{"type":"page","messageId":"deep-200k","anonymousId":"a","context":{"deep":${deep(200_000)}}}]}` }),
  deepBody200k: () => ({ body: deep(200_000) }),
  unclosedBrackets: () => ({ body: '['.repeat(500_000) }),
  hugeArray: () => ({ body: json({ batch: [page('array', { properties: { list: Array(100_000).fill(0) } })] }) }),
  manyKeys: () => ({
    body: json({ batch: [page('keys', { properties: Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`k${i}`, i])) })] }),
  }),
  longString: () => ({ body: json({ batch: [page('string', { properties: { description: 'd'.repeat(9 * 1024) } })] }) }),
  bigEvent: () => ({ body: json({ batch: [page('big', { properties: { a: blob, b: blob, c: blob, d: blob, e: blob } })] }) }),
  body600k: () => ({ body: json({ batch: [page('600k', { properties: { pad: 'x'.repeat(600 * 1024) } })] }) }),
  body600kChunked: () => ({ chunked: true, body: json({ batch: [page('600k-chunked', { properties: { pad: 'x'.repeat(600 * 1024) } })] }) }),
  // 20 MB of spaces (valid JSON whitespace) in about 20 KB.
  gzipBomb: () => ({ headers: GZIP, body: gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20)) }),
  gzipPast500k: () => ({
    headers: GZIP,
    body: gzipSync(json({ batch: Array.from({ length: 100 }, (_, i) => page(`gz-${i}`, { properties: { pad: 'x'.repeat(6000) } })) })),
  }),
  truncatedGzip: () => {
    const gz = gzipSync(json({ batch: [page('truncated-gzip')] }));
    return { headers: GZIP, body: gz.subarray(0, gz.length >> 1) };
  },
  gzipHeaderPlainBody: () => ({ headers: GZIP, body: json({ batch: [page('plain-gzip')] }) }),
  unknownEncoding: () => ({ headers: { 'Content-Encoding': 'compress' }, body: json({ batch: [page('compress')] }) }),
  tinyEvents100k: () => ({ body: `{"batch":[${Array(100_000).fill('{}').join(',')}]}` }),
  longWriteKeyHeader: () => ({ headers: { 'X-Spur-Write-Key': 'k'.repeat(8 * 1024) }, body: json({ batch: [page('long-key')] }) }),
  garbageBasicAuth: () => ({ headers: { Authorization: 'Basic %%%***' }, body: json({ batch: [page('basic')] }) }),
  hugeHeader: () => ({ headers: { 'X-Padding': 'p'.repeat(64 * 1024) }, body: json({ batch: [page('huge-header')] }) }),
  multipartType: () => ({ headers: { 'Content-Type': 'multipart/form-data; boundary=x' }, body: json({ batch: [page('multipart')] }) }),
};

let lb: Loopback;
const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();
beforeAll(async () => {
  lb = await startLoopback();
});
afterAll(() => lb.close());

describe('the hostile corpus', () => {
  it('has a manifest entry for every file and a file or generator for every entry', () => {
    const files = readdirSync(DIR).filter((f) => f !== 'manifest.json').sort();
    expect(CASES.filter((c) => c.file).map((c) => c.file).sort()).toEqual(files);
    for (const c of CASES) expect(c.file ? true : Boolean(c.generator && GENERATORS[c.generator])).toBe(true);
    expect(CASES.length).toBeGreaterThanOrEqual(30);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const rejectedBefore = (await lb.storage.listRejected()).length;
    const out: Outgoing = c.file ? { body: readFileSync(join(DIR, c.file)) } : GENERATORS[c.generator!]();
    const reply = await send(lb.url, {
      ...out,
      path: c.path,
      headers: { 'Content-Type': 'text/plain', ...(c.auth === false ? {} : { 'X-Spur-Write-Key': SERVER_KEY }), ...out.headers },
    });

    const want = c.expect;
    expect(reply.status).toBe(want.status);
    const reasons = want.rejected ?? [];
    if (want.json !== false) {
      expect(reply.headers['content-type']).toMatch(/^application\/json/);
      const body = JSON.parse(reply.text);
      if (want.status === 200) {
        expect(body).toEqual({ ok: true, accepted: want.accepted, duplicates: 0, rejected: expect.any(Array) });
        expect(body.rejected).toHaveLength(reasons.length);
        body.rejected.forEach((item: { index: number; reason: string; messageId?: unknown }, i: number) => {
          expect(item.index).toBe(i);
          expect(item.reason).toContain(reasons[i]);
          if ('messageId' in item) expect(typeof item.messageId).toBe('string');
        });
      } else {
        expect(body).toEqual({ error: { code: want.code, message: expect.any(String) } });
      }
    }
    // Every rejection is kept with its reason; a whole-request error keeps nothing.
    const kept = (await lb.storage.listRejected()).slice(rejectedBefore);
    expect(kept).toHaveLength(reasons.length);
    kept.forEach((row, i) => {
      expect(row.reason).toContain(reasons[i]);
      expect(() => JSON.parse(row.raw)).not.toThrow();
    });
    if (want.stored) {
      const events = await lb.storage.getProfileEvents(want.stored.id);
      expect(events).toHaveLength(1);
      expect(events![0]).toMatchObject(want.stored.match);
    }

    // And the collector goes on serving: a good event is stored, once.
    const good = track({ anonymousId: `good-after-${c.name}` });
    const ok = await send(lb.url, { headers: { 'X-Spur-Write-Key': SERVER_KEY }, body: JSON.stringify({ batch: [good] }) });
    expect(JSON.parse(ok.text)).toEqual({ ok: true, accepted: 1, duplicates: 0, rejected: [] });
    expect(await lb.storage.getProfileEvents(`good-after-${c.name}`)).toEqual([expect.objectContaining({ messageId: good.messageId })]);
  });

  it('left Object.prototype as it was', () => {
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });
});
