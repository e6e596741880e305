// The dashboard's build, one of the builds of the repository's rollup.config.mjs: src/main.tsx
// (TypeScript with Preact's JSX) into one ES module, and src/style.css into one style sheet, both
// named by a hash of their content (dist/assets/app-<hash>.js, app-<hash>.css, and the icon), each with its
// precompressed .br and .gz next to it, and dist/manifest.json naming them for the collector
// (packages/collector/src/dashboard/assets.ts). It prints the JavaScript's size and fails the build
// over the budget.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import resolve from '@rollup/plugin-node-resolve';
import typescript from '@rollup/plugin-typescript';
import { minify as swcMinify } from '@swc/core';

const HERE = dirname(fileURLToPath(import.meta.url));
const DIST = join(HERE, 'dist');
const ASSETS = join(DIST, 'assets');

/** The dashboard's JavaScript, gzip, everything included, at most (issue 16). */
export const GZIP_BUDGET = 100 * 1024;

const gzip = (bytes) => gzipSync(bytes, { level: constants.Z_BEST_COMPRESSION, memLevel: 9 });
const brotli = (bytes) =>
  brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } });

// The files of the last build go first: only the current build's names are ever served.
const clean = () => ({
  name: 'dashboard-clean',
  buildStart() {
    rmSync(ASSETS, { recursive: true, force: true });
    rmSync(join(DIST, 'manifest.json'), { force: true });
  },
});

// The style sheet (comments and runs of white space dropped) and the icon, emitted with hashed names.
const styles = (file, icon) => ({
  name: 'dashboard-styles',
  buildStart() {
    this.addWatchFile(file);
    this.emitFile({ type: 'asset', name: 'icon.svg', source: readFileSync(icon, 'utf8').trim() });
    const css = readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/\s+/g, ' ')
      .replace(/\s*([{};:,>])\s*/g, '$1')
      .replace(/;}/g, '}')
      .trim();
    this.emitFile({ type: 'asset', name: 'app.css', source: css });
  },
});

const minify = () => ({
  name: 'swc-minify',
  renderChunk: (code) => swcMinify(code, { compress: { passes: 2 }, mangle: true, ecma: 2020, module: true }),
});

// manifest.json, the compressed copies, the size report and the budget.
const manifest = () => ({
  name: 'dashboard-manifest',
  generateBundle(_options, bundle) {
    let js = 0;
    const lines = [];
    for (const file of Object.values(bundle)) {
      if (file.type !== 'chunk') continue;
      const size = gzip(Buffer.from(file.code)).length;
      js += size;
      lines.push(`${file.fileName}: ${Buffer.byteLength(file.code)} B, ${size} B gzip`);
    }
    for (const line of lines) console.log(`packages/dashboard/dist/assets/${line}`);
    console.log(`packages/dashboard: ${js} B gzip of JavaScript in all (budget ${GZIP_BUDGET} B)`);
    if (js > GZIP_BUDGET) this.error(`the dashboard's JavaScript is ${js} B gzip, over the ${GZIP_BUDGET} B budget`);
  },
  writeBundle(_options, bundle) {
    const files = Object.keys(bundle).sort();
    for (const name of files) {
      const bytes = readFileSync(join(ASSETS, name));
      writeFileSync(join(ASSETS, `${name}.gz`), gzip(bytes));
      writeFileSync(join(ASSETS, `${name}.br`), brotli(bytes));
    }
    const script = files.find((f) => f.endsWith('.js'));
    const style = files.find((f) => f.endsWith('.css'));
    const icon = files.find((f) => f.endsWith('.svg'));
    mkdirSync(DIST, { recursive: true });
    writeFileSync(join(DIST, 'manifest.json'), `${JSON.stringify({ script, style, icon, files }, null, 1)}\n`);
    if (readdirSync(ASSETS).length !== files.length * 3) this.error('packages/dashboard/dist/assets holds files of another build');
  },
});

export const dashboardBuilds = [
  {
    input: join(HERE, 'src/main.tsx'),
    output: { dir: ASSETS, format: 'es', entryFileNames: 'app-[hash].js', chunkFileNames: 'chunk-[hash].js', assetFileNames: '[name]-[hash][extname]' },
    plugins: [
      clean(),
      styles(join(HERE, 'src/style.css'), join(HERE, 'src/icon.svg')),
      resolve({ browser: true, extensions: ['.ts', '.tsx', '.js', '.mjs'] }),
      typescript({
        tsconfig: join(HERE, 'tsconfig.json'),
        compilerOptions: { composite: false, declaration: false, emitDeclarationOnly: false, outDir: undefined, rootDir: undefined, noEmitOnError: true },
        outputToFilesystem: false,
      }),
      minify(),
      manifest(),
    ],
  },
];
