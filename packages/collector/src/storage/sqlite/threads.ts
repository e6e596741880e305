// Starting the threads of the SQLite backend (the writer, and the checkpointer it starts).
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

export type ThreadModule = 'writer-thread' | 'checkpoint-thread';

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

/** Starts `module` (a file next to this one) on a new thread with `workerData`. */
export function startThread(module: ThreadModule, workerData: object): Worker {
  if (!__filename.endsWith('.ts')) return new Worker(join(__dirname, `${module}.js`), { workerData });
  const entry = join(__dirname, `${module}.ts`);
  return new Worker(FROM_SOURCES, { eval: true, workerData: { ...workerData, entry, swc: require.resolve('@swc/core') } });
}
