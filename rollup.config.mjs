// Builds packages/sdk only: a minified IIFE for the script tag and an ESM build for bundlers.
import resolve from '@rollup/plugin-node-resolve';
import typescript from '@rollup/plugin-typescript';
import { minify as swcMinify } from '@swc/core';
import { sizeReport } from './scripts/size-report.mjs';

const ts = () =>
  typescript({
    tsconfig: 'packages/sdk/tsconfig.json',
    compilerOptions: { sourceMap: true, composite: false, declaration: false, emitDeclarationOnly: false, outDir: undefined, rootDir: undefined },
    outputToFilesystem: false,
  });

// swc's minifier: its output of spur.js is ~30 B gzip smaller than terser's (const as let, hoisted
// functions). ES2020, as packages/sdk/tsconfig.json targets.
const minify = () => ({
  name: 'swc-minify',
  renderChunk: (code, _chunk, options) =>
    swcMinify(code, {
      compress: { passes: 3, const_to_let: true, hoist_funs: true },
      mangle: true,
      ecma: 2020,
      module: options.format === 'es',
      sourceMap: true,
    }),
});

export default [
  {
    input: 'packages/sdk/src/browser.ts',
    // 'hidden': the map is written but the script carries no sourceMappingURL comment (bytes).
    // strict: false: no "use strict" prologue (bytes); the code is written as strict TypeScript anyway.
    output: { file: 'packages/sdk/dist/spur.js', format: 'iife', strict: false, sourcemap: 'hidden' },
    plugins: [resolve({ browser: true }), ts(), minify(), sizeReport()],
  },
  {
    input: 'packages/sdk/src/index.ts',
    output: { file: 'packages/sdk/dist/spur.mjs', format: 'es', sourcemap: true },
    plugins: [resolve({ browser: true }), ts(), minify()],
  },
];
