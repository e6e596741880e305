// The built dashboard (packages/dashboard: `npm run build` writes dist/manifest.json and the
// content-hashed files under dist/assets/, each with its .br and .gz copies). Loaded into memory
// once per build: a few dozen kilobytes. A file changes name whenever its content does, so every
// asset can be cached for a year without ever going stale; the HTML that names them is never cached.
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { negotiateEncoding, type SdkEncoding } from '../routes/sdk';

/** What the dashboard's build writes in dist/manifest.json. */
export interface DashboardManifest {
  /** The entry script and the style sheet, file names under assets/. */
  script: string;
  style: string;
  /** The page icon (so that no browser asks for /favicon.ico). */
  icon?: string;
  /** Every file under assets/ that may be served. */
  files: string[];
}

export interface Asset {
  contentType: string;
  variants: Partial<Record<SdkEncoding, Buffer>>;
}

export interface DashboardBuild {
  manifest: DashboardManifest;
  asset(name: string, acceptEncoding: string | undefined): { body: Buffer; encoding: SdkEncoding; contentType: string } | undefined;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json; charset=utf-8',
};

/** Where the built dashboard is: the folder of `@spur/dashboard`'s manifest, when built. */
export function defaultDashboardPath(): string | undefined {
  try {
    return dirname(require.resolve('@spur/dashboard/manifest.json'));
  } catch {
    return undefined;
  }
}

// Names as the build makes them: a name, a hash, an extension. Nothing else is ever looked up.
const FILE = /^[a-z0-9-]+-[A-Za-z0-9_-]{8,}\.(js|css|svg|map)$/;

async function load(dir: string): Promise<DashboardBuild> {
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as DashboardManifest;
  const assets = new Map<string, Asset>();
  for (const name of manifest.files) {
    if (!FILE.test(name)) throw new Error(`the dashboard's manifest names an unexpected file: ${name}`);
    const file = join(dir, 'assets', name);
    const read = (suffix: string) => readFile(file + suffix).catch(() => undefined);
    const [identity, br, gzip] = await Promise.all([readFile(file), read('.br'), read('.gz')]);
    assets.set(name, { contentType: TYPES[name.slice(name.lastIndexOf('.'))], variants: { identity, br, gzip } });
  }
  return {
    manifest,
    asset(name, acceptEncoding) {
      const asset = assets.get(name);
      if (!asset) return undefined;
      const wanted = negotiateEncoding(acceptEncoding);
      const encoding = asset.variants[wanted] ? wanted : 'identity';
      return { body: asset.variants[encoding]!, encoding, contentType: asset.contentType };
    },
  };
}

/**
 * The dashboard as built in `dir`, read again when its manifest changes (a rebuild while the
 * collector runs); undefined while it is not built.
 */
export function dashboardBuild(dir: string | undefined): () => Promise<DashboardBuild | undefined> {
  let cached: { version: string; build: Promise<DashboardBuild> } | undefined;
  return async () => {
    if (!dir) return undefined;
    const s = await stat(join(dir, 'manifest.json')).catch(() => undefined);
    if (!s) return undefined;
    const version = `${s.mtimeMs}:${s.size}`;
    if (cached?.version !== version) {
      const build = load(dir);
      cached = { version, build };
      build.catch(() => cached?.build === build && (cached = undefined));
    }
    return cached.build;
  };
}
