// Builds packages/sdk: a minified IIFE for the script tag (with its precompressed copies), and ESM
// and CommonJS builds of the same API for bundlers and test runners; and the dashboard's app
// (packages/dashboard/rollup.builds.mjs), which the collector serves at /dashboard.
import { writeFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import resolve from '@rollup/plugin-node-resolve';
import typescript from '@rollup/plugin-typescript';
import { minify as swcMinify } from '@swc/core';
import { CHUNK_CEILINGS, sizeReport } from './scripts/size-report.mjs';
import { dashboardBuilds } from './packages/dashboard/rollup.builds.mjs';

const ts = () =>
  typescript({
    tsconfig: 'packages/sdk/tsconfig.json',
    compilerOptions: { sourceMap: true, composite: false, declaration: false, emitDeclarationOnly: false, outDir: undefined, rootDir: undefined },
    outputToFilesystem: false,
  });

// swc's minifier: its output of spur.js is ~30 B gzip smaller than terser's (const as let, hoisted
// functions). ES2020, as packages/sdk/tsconfig.json targets.
// Internal property names that would otherwise survive minification, mangled in spur.js (each
// listed name is a property of spur's own objects only: queue, outbox, identity, page lock; never
// an event's field or the public API, whose names the output must keep).
const INTERNAL = '^(enqueue|unload|online|adopt|ids|peek|stash|shut|pid|letGo|drain|remember|renew)$';

const minify = (props) => ({
  name: 'swc-minify',
  renderChunk: (code, _chunk, options) =>
    swcMinify(code, {
      compress: { passes: 3, const_to_let: true, hoist_funs: true },
      mangle: props ? { props: { regex: INTERNAL } } : true,
      ecma: 2020,
      module: options.format === 'es',
      sourceMap: true,
    }),
});

// spur.js.br and spur.js.gz next to spur.js, at the highest quality each has: the collector
// serves them as the browser's Accept-Encoding asks (packages/collector/src/routes/sdk.ts), so
// that no request pays for compressing, and every request gets the smallest bytes.
const precompress = () => ({
  name: 'spur-precompress',
  writeBundle(options, bundle) {
    for (const chunk of Object.values(bundle)) {
      if (chunk.type !== 'chunk') continue;
      const code = Buffer.from(chunk.code);
      const br = brotliCompressSync(code, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
          [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
          [constants.BROTLI_PARAM_SIZE_HINT]: code.length,
        },
      });
      const gz = gzipSync(code, { level: constants.Z_BEST_COMPRESSION, memLevel: 9 });
      writeFileSync(`${options.file}.br`, br);
      writeFileSync(`${options.file}.gz`, gz);
      console.log(`${options.file}: served as ${br.length} B brotli (.br), ${gz.length} B gzip (.gz), ${code.length} B identity`);
    }
  },
});

export default [
  {
    input: 'packages/sdk/src/browser.ts',
    // 'hidden': the map is written but the script carries no sourceMappingURL comment (bytes).
    // strict: false: no "use strict" prologue (bytes); the code is written as strict TypeScript anyway.
    output: { file: 'packages/sdk/dist/spur.js', format: 'iife', strict: false, sourcemap: 'hidden' },
    plugins: [resolve({ browser: true }), ts(), minify(true), sizeReport(), precompress()],
  },
  // Chunks: scripts of their own beside spur.js, for a feature only some pages need, each with its
  // ceiling (scripts/size-report.mjs); spur.js imports them (src/browser.ts). spur-jsonld.js:
  // Product Viewed from schema.org JSON-LD; spur-survey.js: the exit survey's watcher, which
  // imports spur-survey-dialog.js (an ES module) when it is about to ask. The first two are IIFEs
  // with no import or export statement: the same file runs as a module (spur.js's import()) and as
  // a classic script (the chunk's own tag, as shops added them before).
  ...Object.entries({
    'spur-jsonld.js': 'auto-product.ts',
    'spur-survey.js': 'survey.ts',
    'spur-survey-dialog.js': 'survey-dialog.ts',
  }).map(([file, input]) => ({
    input: `packages/sdk/src/${input}`,
    output: { file: `packages/sdk/dist/${file}`, format: file.endsWith('dialog.js') ? 'es' : 'iife', strict: false, sourcemap: 'hidden' },
    plugins: [resolve({ browser: true }), ts(), minify(), sizeReport({ ceiling: CHUNK_CEILINGS[file] }), precompress()],
  })),
  {
    // The package's entry (package.json `exports`): `import` gets spur.mjs, `require` spur.cjs.
    // idb-keyval stays a dependency of the package, not a copy inside it, so that an app that
    // uses it too bundles it once.
    input: 'packages/sdk/src/index.ts',
    external: ['idb-keyval'],
    output: [
      { file: 'packages/sdk/dist/spur.mjs', format: 'es', sourcemap: true },
      { file: 'packages/sdk/dist/spur.cjs', format: 'cjs', sourcemap: true },
    ],
    plugins: [resolve({ browser: true }), ts(), minify()],
  },
  ...dashboardBuilds,
];
