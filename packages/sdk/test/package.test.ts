/**
 * @jest-environment node
 */
// @spur/sdk as its consumers get it, through package.json: Node's require (CommonJS, as test
// runners load it) and import (ESM), and a bundler that drops it when nothing of it is used. The
// real resolution, in child processes and a real rollup: jest itself maps @spur/sdk to src.
// `npm test` builds first; without dist/ these tests skip.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, constants, gunzipSync, gzipSync } from 'node:zlib';
import resolve from '@rollup/plugin-node-resolve';
import { rollup, type Plugin } from 'rollup';
import * as src from '../src/index';

const root = join(__dirname, '../../..');
const sdk = join(__dirname, '..');
const pkg = JSON.parse(readFileSync(join(sdk, 'package.json'), 'utf8'));
// Built when the script-tag build is: then the package's builds must be there too.
const built = existsSync(join(sdk, 'dist/spur.js'));

// What src/index.ts exports (exports.test.ts pins the list); importing it touches no DOM either.
const expected = Object.keys(src).sort();

/** Runs node in the repository (where node_modules/@spur/sdk is this package) and parses its JSON output. */
const node = (...args: string[]): unknown => JSON.parse(execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }));

const describeBuilt = built ? describe : describe.skip;

describe('package.json', () => {
  it('maps the entry to types, an ESM build for import and a CommonJS build for require', () => {
    expect(pkg.exports['.']).toEqual({ types: './dist/types/index.d.ts', import: './dist/spur.mjs', require: './dist/spur.cjs' });
    expect(Object.keys(pkg.exports['.'])[0]).toBe('types'); // TypeScript reads the first match
    expect(pkg.main).toBe('./dist/spur.cjs');
    expect(pkg.sideEffects).toBe(false);
    expect(pkg.exports['./spur.js']).toBe('./dist/spur.js');
  });

  it('names idb-keyval as a dependency, which the ESM and CommonJS builds import', () => {
    expect(pkg.dependencies['idb-keyval']).toBeDefined();
    if (!built) return;
    expect(readFileSync(join(sdk, 'dist/spur.mjs'), 'utf8')).toMatch(/from\s*"idb-keyval"/);
    expect(readFileSync(join(sdk, 'dist/spur.cjs'), 'utf8')).toMatch(/require\("idb-keyval"\)/);
  });
});

describeBuilt('require and import in Node (no DOM)', () => {
  it('has every file the exports map names', () => {
    for (const file of [pkg.exports['.'].types, pkg.exports['.'].import, pkg.exports['.'].require, pkg.main]) expect(existsSync(join(sdk, file))).toBe(true);
  });

  it('gives every export of src/index.ts to require(), as functions, without touching the DOM', () => {
    expect(expected.length).toBeGreaterThan(10);
    const out = node('-e', "const s = require('@spur/sdk'); console.log(JSON.stringify([require.resolve('@spur/sdk'), Object.entries(s).map(([k, v]) => [k, typeof v]), s.cart(), s.user()]))");
    const [file, exports, cart, user] = out as [string, [string, string][], unknown, unknown];
    expect(file).toBe(join(sdk, 'dist/spur.cjs'));
    expect(exports.map(([name]) => name).sort()).toEqual(expected);
    expect(exports.every(([, type]) => type === 'function')).toBe(true);
    expect([cart, user]).toEqual([[], {}]);
  });

  it('gives the same exports to import', () => {
    const out = node(
      '--input-type=module',
      '-e',
      "import * as s from '@spur/sdk'; console.log(JSON.stringify([import.meta.resolve('@spur/sdk'), Object.entries(s).map(([k, v]) => [k, typeof v])]))",
    );
    const [url, exports] = out as [string, [string, string][]];
    expect(url).toBe(`file://${join(sdk, 'dist/spur.mjs')}`);
    expect(exports.map(([name]) => name).sort()).toEqual(expected);
    expect(exports.every(([, type]) => type === 'function')).toBe(true);
  });
});

describeBuilt('a bundler (rollup)', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'spur-bundle-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Bundles `entry` as an app would, and notes whether rollup took @spur/sdk's module to have side effects. */
  async function bundle(entry: string) {
    const file = join(dir, `entry-${Math.random().toString(36).slice(2)}.js`);
    writeFileSync(file, entry);
    const effects: Record<string, boolean | 'no-treeshake'> = {};
    const watch: Plugin = {
      name: 'watch-side-effects',
      moduleParsed(info) {
        if (info.id.startsWith(join(sdk, 'dist'))) effects[info.id] = info.moduleSideEffects;
      },
    };
    const build = await rollup({ input: file, plugins: [resolve({ browser: true, modulePaths: [join(root, 'node_modules')] }), watch], onwarn: () => undefined });
    const { output } = await build.generate({ format: 'es' });
    await build.close();
    return { code: output[0].code, effects };
  }

  it('resolves @spur/sdk to the ESM build and leaves it out when nothing of it is used (sideEffects: false)', async () => {
    const unused = await bundle("import { track } from '@spur/sdk';\nexport const answer = 42;\n");
    expect(unused.effects).toEqual({ [join(sdk, 'dist/spur.mjs')]: false });
    expect(unused.code).not.toMatch(/spur_aid|indexedDB|createSpur/);
    expect(unused.code.trim()).toBe('const answer = 42;\n\nexport { answer };');
  });

  it('keeps what is used, with the idb-keyval it imports', async () => {
    const used = await bundle("import { track } from '@spur/sdk';\ntrack('Hello');\n");
    expect(used.code).toMatch(/spur_aid/);
    expect(used.code).toMatch(/indexedDB\.open/);
  });
});

const iife = join(sdk, 'dist/spur.js');
describeBuilt('the precompressed script tag build', () => {
  it('writes spur.js.br and spur.js.gz next to spur.js, at the highest quality, decoding to spur.js', () => {
    const source = readFileSync(iife);
    const br = readFileSync(`${iife}.br`);
    const gz = readFileSync(`${iife}.gz`);
    expect(brotliDecompressSync(br).equals(source)).toBe(true);
    expect(gunzipSync(gz).equals(source)).toBe(true);
    const best = {
      br: brotliCompressSync(source, { params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY } }).length,
      gz: gzipSync(source, { level: constants.Z_BEST_COMPRESSION }).length,
    };
    expect(br.length).toBeLessThanOrEqual(best.br);
    expect(gz.length).toBeLessThanOrEqual(best.gz);
    expect(br.length).toBeLessThan(gz.length);
  });
});
