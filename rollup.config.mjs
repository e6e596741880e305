// Builds packages/sdk only: a minified IIFE for the script tag and an ESM build for bundlers.
import resolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';
import { sizeReport } from './scripts/size-report.mjs';

const ts = () =>
  typescript({
    tsconfig: 'packages/sdk/tsconfig.json',
    compilerOptions: { sourceMap: true, composite: false, declaration: false, emitDeclarationOnly: false, outDir: undefined, rootDir: undefined },
    outputToFilesystem: false,
  });

export default [
  {
    input: 'packages/sdk/src/browser.ts',
    // 'hidden': the map is written but the script carries no sourceMappingURL comment (bytes).
    // strict: false: no "use strict" prologue (bytes); the code is written as strict TypeScript anyway.
    output: { file: 'packages/sdk/dist/spur.js', format: 'iife', strict: false, sourcemap: 'hidden' },
    plugins: [resolve({ browser: true }), ts(), terser({ compress: { passes: 2 } }), sizeReport()],
  },
  {
    input: 'packages/sdk/src/index.ts',
    output: { file: 'packages/sdk/dist/spur.mjs', format: 'es', sourcemap: true },
    plugins: [resolve({ browser: true }), ts(), terser({ compress: { passes: 2 } })],
  },
];
