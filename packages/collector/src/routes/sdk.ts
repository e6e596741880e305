// Serves the built browser SDK at /spur.js. Short cache lifetime so shops pick up fixes within
// minutes; a strong content-hash ETag so revalidation costs a 304, not the bundle.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { Router } from 'express';
import { notFound } from '../errors';

function defaultSdkPath(): string | undefined {
  try {
    return require.resolve('@spur/sdk/spur.js');
  } catch {
    return undefined; // not built yet: answer 404 until it is
  }
}

// True when an If-None-Match header lists `etag` (or is `*`).
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}

export function createSdkRouter(deps: { sdkPath?: string }): Router {
  const router = Router();
  // Re-read only when the file changes (a rebuild while the collector runs is picked up).
  let cached: { version: string; etag: string; body: Buffer } | null = null;

  router.get('/spur.js', async (req, res) => {
    const file = deps.sdkPath ?? defaultSdkPath();
    const info = file ? await stat(file).catch(() => null) : null;
    if (!file || !info?.isFile()) throw notFound('the SDK bundle is not built (npm run build)');
    const version = `${file}:${info.mtimeMs}:${info.size}`;
    if (cached?.version !== version) {
      const body = await readFile(file);
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`;
      cached = { version, etag, body };
    }
    res.set({
      'Content-Type': 'application/javascript; charset=utf-8',
      ETag: cached.etag,
      'Cache-Control': 'public, max-age=300',
      // The script itself is public; any page may load it.
      'Access-Control-Allow-Origin': '*',
      'Cross-Origin-Resource-Policy': 'cross-origin',
    });
    if (matches(req.get('if-none-match'), cached.etag)) {
      res.status(304).end();
      return;
    }
    res.status(200).send(cached.body);
  });
  return router;
}
