import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, constants, gunzipSync, gzipSync } from 'node:zlib';
import type { Express } from 'express';
import request from 'supertest';
import { negotiateEncoding } from '../../src/routes/sdk';
import { useFixtures } from '../helpers';

const fx = useFixtures();

function sdkFile(source = 'window.spur=function(){};'): string {
  const file = join(fx.tempDir(), 'spur.js');
  writeFileSync(file, source);
  return file;
}

/**
 * A bundle the size of the real one, with precompressed copies next to it as the build writes
 * them (at a lower quality than the build's, so that they differ from what the collector would
 * make itself: a test can tell which it sent).
 */
function builtSdk(): { file: string; source: Buffer } {
  const source = Buffer.from(`!function(){${Array.from({ length: 300 }, (_, i) => `var spur${i}=${i}*${i};`).join('')}}();`);
  const file = sdkFile(source.toString());
  writeFileSync(`${file}.br`, brotliCompressSync(source, { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } }));
  writeFileSync(`${file}.gz`, gzipSync(source, { level: 1 }));
  return { file, source };
}

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The bytes as they came over the wire, not decoded. */
  body: Buffer;
}

/** GET /spur.js from the app on a real loopback server, reading the body as sent (no client decoding). */
async function get(app: Express, headers: Record<string, string> = {}, method = 'GET'): Promise<Raw> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise<Raw>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/spur.js', method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end();
    });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

const decode = (r: Raw): Buffer =>
  r.headers['content-encoding'] === 'br' ? brotliDecompressSync(r.body) : r.headers['content-encoding'] === 'gzip' ? gunzipSync(r.body) : r.body;

describe('GET /spur.js', () => {
  it('serves the bundle as JavaScript with a short public cache and a strong ETag', async () => {
    const { app } = await fx.collector({ sdkPath: sdkFile() });
    const res = await request(app).get('/spur.js');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/javascript; charset=utf-8');
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.text).toBe('window.spur=function(){};');
  });

  it('answers 304 without a body when If-None-Match carries the ETag', async () => {
    const { app } = await fx.collector({ sdkPath: sdkFile() });
    const { headers } = await request(app).get('/spur.js');
    const res = await request(app).get('/spur.js').set('If-None-Match', headers.etag);
    expect(res.status).toBe(304);
    expect(res.text).toBe('');
    expect(res.headers.etag).toBe(headers.etag);
  });

  it('changes the ETag when the bundle is rebuilt', async () => {
    const file = sdkFile('one();');
    const { app } = await fx.collector({ sdkPath: file });
    const first = (await request(app).get('/spur.js')).headers.etag;
    writeFileSync(file, 'two(); // rebuilt');
    const res = await request(app).get('/spur.js').set('If-None-Match', first);
    expect(res.status).toBe(200);
    expect(res.text).toBe('two(); // rebuilt');
    expect(res.headers.etag).not.toBe(first);
  });

  it('answers 404 JSON when the bundle is not built', async () => {
    const { app } = await fx.collector({ sdkPath: join(fx.tempDir(), 'missing.js') });
    const res = await request(app).get('/spur.js');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});

describe('GET /spur-jsonld.js (a chunk of the SDK)', () => {
  it('serves the chunk from the folder of spur.js, like spur.js, each with its own ETag', async () => {
    const file = sdkFile();
    writeFileSync(join(file, '../spur-jsonld.js'), 'window.chunk=1;');
    const { app } = await fx.collector({ sdkPath: file });
    const chunk = await request(app).get('/spur-jsonld.js').set('Accept-Encoding', 'identity');
    expect(chunk.status).toBe(200);
    expect(chunk.headers['content-type']).toBe('application/javascript; charset=utf-8');
    expect(chunk.headers['access-control-allow-origin']).toBe('*');
    expect(chunk.text).toBe('window.chunk=1;');
    const main = await request(app).get('/spur.js').set('Accept-Encoding', 'identity');
    expect(main.text).toBe('window.spur=function(){};');
    expect(main.headers.etag).not.toBe(chunk.headers.etag);
    // After a data-endpoint given with a trailing slash, spur.js asks for `//spur-jsonld.js`.
    const doubled = await request(app).get('//spur-jsonld.js').set('Accept-Encoding', 'identity');
    expect([doubled.status, doubled.text]).toEqual([200, 'window.chunk=1;']);
  });

  it('answers 404 JSON for a chunk that is not built, and serves no other file of the folder', async () => {
    const file = sdkFile();
    writeFileSync(join(file, '../other.js'), 'secret');
    const { app } = await fx.collector({ sdkPath: file });
    const res = await request(app).get('/spur-jsonld.js');
    expect(res.status).toBe(404);
    expect(res.body.error.message).toBe('spur-jsonld.js is not built (npm run build)');
    expect((await request(app).get('/other.js')).status).toBe(404);
    expect((await request(app).get('/spur-other.js')).status).toBe(404);
    expect((await request(app).get('//spur-other.js')).status).toBe(404);
  });
});

describe('GET /spur.js, compressed', () => {
  it.each([
    ['br, gzip, deflate', 'br'],
    ['gzip, deflate, br, zstd', 'br'], // what Chrome sends
    ['gzip, deflate', 'gzip'],
    ['gzip', 'gzip'],
    ['deflate', undefined],
    ['', undefined],
  ])('answers Accept-Encoding "%s" with %s, a body that decodes to spur.js', async (accept, encoding) => {
    const { file, source } = builtSdk();
    const { app } = await fx.collector({ sdkPath: file });
    const res = await get(app, accept ? { 'Accept-Encoding': accept } : {});
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe(encoding);
    expect(res.headers.vary).toBe('Accept-Encoding');
    expect(Number(res.headers['content-length'])).toBe(res.body.length);
    expect(decode(res).equals(source)).toBe(true);
  });

  it('sends the precompressed files as they are, far smaller than spur.js', async () => {
    const { file, source } = builtSdk();
    const { app } = await fx.collector({ sdkPath: file });
    const br = await get(app, { 'Accept-Encoding': 'br' });
    const gzip = await get(app, { 'Accept-Encoding': 'gzip' });
    const identity = await get(app);
    expect(br.body.equals(readFileSync(`${file}.br`))).toBe(true);
    expect(gzip.body.equals(readFileSync(`${file}.gz`))).toBe(true);
    // (Not what the collector would make of spur.js itself.)
    expect(br.body.equals(brotliCompressSync(source))).toBe(false);
    expect(gzip.body.equals(gzipSync(source, { level: 9 }))).toBe(false);
    expect(identity.body.equals(source)).toBe(true);
    expect(gzip.body.length).toBeLessThan(source.length / 3);
    expect(br.body.length).toBeLessThan(source.length / 3);
  });

  it('gives each encoding its own strong ETag, and answers 304 only to the ETag of the encoding it would send', async () => {
    const { file } = builtSdk();
    const { app } = await fx.collector({ sdkPath: file });
    const tags = {
      br: (await get(app, { 'Accept-Encoding': 'br' })).headers.etag!,
      gzip: (await get(app, { 'Accept-Encoding': 'gzip' })).headers.etag!,
      identity: (await get(app)).headers.etag!,
    };
    expect(new Set(Object.values(tags)).size).toBe(3);
    for (const tag of Object.values(tags)) expect(tag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(tags.br).toBe(tags.identity.replace(/"$/, '-br"'));
    expect(tags.gzip).toBe(tags.identity.replace(/"$/, '-gz"'));

    for (const [accept, tag] of [
      ['br', tags.br],
      ['gzip', tags.gzip],
      ['', tags.identity],
    ]) {
      const headers = { 'If-None-Match': tag, ...(accept && { 'Accept-Encoding': accept }) };
      const notModified = await get(app, headers);
      expect(notModified.status).toBe(304);
      expect(notModified.body.length).toBe(0);
      expect(notModified.headers.etag).toBe(tag);
      expect(notModified.headers.vary).toBe('Accept-Encoding');
    }
    // A gzip copy's ETag does not validate the brotli body, nor the other way round.
    const switched = await get(app, { 'Accept-Encoding': 'br', 'If-None-Match': tags.gzip });
    expect(switched.status).toBe(200);
    expect(switched.headers.etag).toBe(tags.br);
    // A cache holding several copies may list them all.
    expect((await get(app, { 'Accept-Encoding': 'gzip', 'If-None-Match': `${tags.br}, W/${tags.gzip}` })).status).toBe(304);
  });

  it('compresses spur.js itself when the build left no compressed copies, or stale ones', async () => {
    const file = sdkFile('window.spur = "fresh build";'.repeat(20));
    writeFileSync(`${file}.gz`, gzipSync('window.spur = "an older build";')); // stale
    const { app } = await fx.collector({ sdkPath: file });
    for (const accept of ['br', 'gzip']) {
      const res = await get(app, { 'Accept-Encoding': accept });
      expect(res.headers['content-encoding']).toBe(accept);
      expect(decode(res).toString()).toBe('window.spur = "fresh build";'.repeat(20));
    }
  });

  it('serves the new build in every encoding after a rebuild', async () => {
    const { file } = builtSdk();
    const { app } = await fx.collector({ sdkPath: file });
    const before = await get(app, { 'Accept-Encoding': 'br' });
    const rebuilt = Buffer.from('window.spur = "rebuilt";');
    writeFileSync(file, rebuilt);
    writeFileSync(`${file}.br`, brotliCompressSync(rebuilt));
    writeFileSync(`${file}.gz`, gzipSync(rebuilt));
    for (const accept of ['br', 'gzip', '']) {
      const res = await get(app, accept ? { 'Accept-Encoding': accept, 'If-None-Match': before.headers.etag! } : {});
      expect(res.status).toBe(200);
      expect(decode(res).equals(rebuilt)).toBe(true);
    }
  });

  it('answers HEAD with the headers of the encoding and no body', async () => {
    const { file } = builtSdk();
    const { app } = await fx.collector({ sdkPath: file });
    const res = await get(app, { 'Accept-Encoding': 'br' }, 'HEAD');
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('br');
    expect(Number(res.headers['content-length'])).toBe(readFileSync(`${file}.br`).length);
    expect(res.body.length).toBe(0);
  });
});

// The build's own files: what a browser downloads from a collector serving this checkout.
const built = join(__dirname, '../../../sdk/dist/spur.js');
// (Skipped before the SDK is built; once it is, its .br and .gz must be there.)
(existsSync(built) ? describe : describe.skip)('GET /spur.js, the built SDK', () => {
  it('serves dist/spur.js.br and .gz, which decode to dist/spur.js', async () => {
    expect(existsSync(`${built}.br`) && existsSync(`${built}.gz`)).toBe(true);
    const { app } = await fx.collector({ sdkPath: built });
    const source = readFileSync(built);
    const sizes: Record<string, number> = {};
    for (const accept of ['br', 'gzip', '']) {
      const res = await get(app, accept ? { 'Accept-Encoding': accept } : {});
      expect(decode(res).equals(source)).toBe(true);
      sizes[accept || 'identity'] = res.body.length;
    }
    expect(sizes.br).toBe(readFileSync(`${built}.br`).length);
    expect(sizes.gzip).toBe(readFileSync(`${built}.gz`).length);
    expect(sizes.br).toBeLessThan(sizes.gzip);
    expect(sizes.gzip).toBeLessThan(sizes.identity / 2);
  });
});

describe('negotiateEncoding(Accept-Encoding)', () => {
  it.each([
    [undefined, 'identity'],
    ['', 'identity'],
    ['identity', 'identity'],
    ['br', 'br'],
    ['BR;q=1', 'br'],
    ['gzip, br', 'br'], // the collector prefers brotli on a tie
    ['br;q=0.5, gzip', 'gzip'], // the client prefers gzip
    ['br;q=0, gzip;q=0.1', 'gzip'],
    ['br;q=0, gzip;q=0', 'identity'],
    ['x-gzip', 'gzip'],
    ['*', 'br'],
    ['*;q=0.5, gzip;q=0.8', 'gzip'],
    ['*, br;q=0', 'gzip'],
    ['deflate, compress', 'identity'],
    ['br;q=nonsense, gzip', 'gzip'],
  ])('%j → %s', (header, encoding) => {
    expect(negotiateEncoding(header)).toBe(encoding);
  });
});
