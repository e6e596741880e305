// Runs a TypeScript module of the tests in a process of its own (`node ts-child.js file.ts …`):
// compiled on load with @swc/core, the compiler the tests run with, so that a second process
// runs the same sources as the test that spawned it.
'use strict';
const { readFileSync } = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const { transformSync } = require('@swc/core');

Module._extensions['.ts'] = (module, filename) => {
  const options = { filename, jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } };
  module._compile(transformSync(readFileSync(filename, 'utf8'), options).code, filename);
};
require(path.resolve(process.argv[2]));
