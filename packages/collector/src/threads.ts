// Starting the collector's threads: the SQLite backend's writer and checkpointer, and the
// analytics catch-up's page decoder.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

// Run from the TypeScript sources (as under Jest) there is no compiled module to start, and a
// worker thread cannot load TypeScript: it compiles the sources itself with @swc/core, the
// compiler the tests run with, so that tests exercise the same threads as production.
const FROM_SOURCES = `
const { readFileSync } = require('node:fs');
const Module = require('node:module');
const { workerData } = require('node:worker_threads');
const { transformSync } = require(workerData.swc);
Module._extensions['.ts'] = (module, filename) => {
  const options = { filename, jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } };
  module._compile(transformSync(readFileSync(filename, 'utf8'), options).code, filename);
};
require(workerData.entry);
`;

/**
 * Starts the module `name` of the folder `dir` (a sibling of the caller: pass its __dirname) on a
 * new thread with `workerData`.
 */
export function startThread(dir: string, name: string, workerData: object): Worker {
  if (!__filename.endsWith('.ts')) return new Worker(join(dir, `${name}.js`), { workerData });
  const entry = join(dir, `${name}.ts`);
  return new Worker(FROM_SOURCES, { eval: true, workerData: { ...workerData, entry, swc: require.resolve('@swc/core') } });
}
