// Serves the built browser SDK at /spur.js (and its chunks beside it, such as /spur-jsonld.js), compressed as the browser's Accept-Encoding asks:
// brotli (preferred), gzip, or as it is for a client that accepts neither. The build writes
// spur.js.br and spur.js.gz next to spur.js at the highest quality (rollup.config.mjs), so no
// request pays for compressing. Each encoding has its own strong ETag (the content's hash, plus
// `-br` or `-gz`), so that a revalidation costs a 304, not the bundle, and a cache never hands
// one encoding for another; `Vary: Accept-Encoding` tells shared caches the same. Short cache
// lifetime, so that shops pick up fixes within minutes.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, constants, gunzipSync, gzipSync } from 'node:zlib';
import { Router } from 'express';
import { notFound } from '../errors';

/** The encodings /spur.js comes in, in the collector's order of preference. */
export type SdkEncoding = 'br' | 'gzip' | 'identity';

interface Variant {
  body: Buffer;
  etag: string;
}

function defaultSdkPath(): string | undefined {
  try {
    return require.resolve('@spur/sdk/spur.js');
  } catch {
    return undefined; // not built yet: answer 404 until it is
  }
}

/**
 * The encoding to answer with for an Accept-Encoding header (RFC 9110, 12.5.3): brotli or gzip,
 * whichever the client weighs more (q), brotli on a tie; identity when it accepts neither, or
 * sends no header (a client that sends none, such as curl by default, may not decode anything).
 */
export function negotiateEncoding(header: string | undefined): SdkEncoding {
  if (!header) return 'identity';
  const q: Record<string, number> = {};
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    // q=0..1, 1 without one; a q that is not a number makes the coding unacceptable.
    const weight = params.map((p) => /^\s*q\s*=(.*)$/.exec(p)?.[1].trim()).find((v) => v !== undefined);
    const value = weight === undefined ? 1 : /^[0-9.]+$/.test(weight) ? Number(weight) : NaN;
    q[name.trim() === 'x-gzip' ? 'gzip' : name.trim()] = Number.isFinite(value) ? value : 0;
  }
  // `*` stands for every coding the header does not name.
  const weight = (coding: string) => q[coding] ?? q['*'] ?? 0;
  const br = weight('br');
  const gzip = weight('gzip');
  if (br > 0 && br >= gzip) return 'br';
  if (gzip > 0) return 'gzip';
  return 'identity';
}

// True when an If-None-Match header lists `etag` (weak comparison, as RFC 9110 asks) or is `*`.
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}

/** A precompressed file, if it decodes to `body`; otherwise (missing, or left from an older build) undefined. */
async function precompressed(file: string, body: Buffer, decode: (b: Buffer) => Buffer): Promise<Buffer | undefined> {
  const bytes = await readFile(file).catch(() => undefined);
  try {
    return bytes && decode(bytes).equals(body) ? bytes : undefined;
  } catch {
    return undefined; // not in that encoding at all
  }
}

/**
 * The three variants of the bundle. The build's spur.js.br and spur.js.gz are used when they hold
 * this very spur.js; otherwise (a bundle built without them, or a rebuild that left old ones)
 * the collector compresses it itself, once per version of the file, at the same quality.
 */
async function loadVariants(file: string): Promise<Record<SdkEncoding, Variant>> {
  const body = await readFile(file);
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 32);
  const br =
    (await precompressed(`${file}.br`, body, (b) => brotliDecompressSync(b))) ??
    brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT } });
  const gzip = (await precompressed(`${file}.gz`, body, (b) => gunzipSync(b))) ?? gzipSync(body, { level: constants.Z_BEST_COMPRESSION });
  return {
    br: { body: br, etag: `"${hash}-br"` },
    gzip: { body: gzip, etag: `"${hash}-gz"` },
    identity: { body, etag: `"${hash}"` },
  };
}

/** Version of the files behind /spur.js: any rebuild (of spur.js or its compressed copies) changes it. */
async function version(file: string): Promise<string | undefined> {
  const [js, br, gz] = await Promise.all([file, `${file}.br`, `${file}.gz`].map((f) => stat(f).catch(() => null)));
  if (!js?.isFile()) return undefined;
  return [js, br, gz].map((s) => (s ? `${s.mtimeMs}:${s.size}` : '-')).join('/');
}

/** The SDK's chunks, served beside /spur.js from its folder, the same way. */
export const SDK_CHUNKS = ['spur-jsonld.js', 'spur-survey.js', 'spur-survey-dialog.js'];

export function createSdkRouter(deps: { sdkPath?: string }): Router {
  const router = Router();
  // Per file, read again only when it changes (a rebuild while the collector runs is picked up).
  const cache = new Map<string, { version: string; variants: Promise<Record<SdkEncoding, Variant>> }>();

  // Also after more than one slash: spur.js asks for its chunks at `${endpoint}/spur-….js`, and a
  // data-endpoint given with a trailing slash makes that `//spur-….js` (a byte of spur.js spared).
  const names = new Set(['spur.js', ...SDK_CHUNKS]);
  router.get(/^\/+spur(-[a-z-]+)?\.js$/, async (req, res, next) => {
    const name = req.path.replace(/^\/+/, '');
    if (!names.has(name)) return next();
    const bundle = deps.sdkPath ?? defaultSdkPath();
    const file = bundle && (name == 'spur.js' ? bundle : join(dirname(bundle), name));
    const current = file && (await version(file));
    if (!file || !current) throw notFound(`${name} is not built (npm run build)`);
    let cached = cache.get(file);
    if (cached?.version !== current) {
      const variants = loadVariants(file);
      cache.set(file, (cached = { version: current, variants }));
      // A failed read is not kept: the next request tries again.
      variants.catch(() => cache.get(file)?.variants === variants && cache.delete(file));
    }
    const encoding = negotiateEncoding(req.get('accept-encoding'));
    const { body, etag } = (await cached.variants)[encoding];
    res.set({
      'Content-Type': 'application/javascript; charset=utf-8',
      ETag: etag,
      'Cache-Control': 'public, max-age=300',
      // One URL, three bodies: caches must key them by what the client accepts.
      Vary: 'Accept-Encoding',
      // The script itself is public; any page may load it.
      'Access-Control-Allow-Origin': '*',
      'Cross-Origin-Resource-Policy': 'cross-origin',
    });
    if (matches(req.get('if-none-match'), etag)) {
      res.status(304).end();
      return;
    }
    if (encoding !== 'identity') res.set('Content-Encoding', encoding);
    res.status(200).send(body);
  });
  return router;
}
