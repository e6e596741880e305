#!/usr/bin/env node
'use strict';
// The `spur` command. The TypeScript sources build to ../dist (`npm run build` at the repo root).
let cli;
try {
  cli = require('../dist/index.js');
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes('dist')) {
    process.stderr.write('spur: the command is not built yet; run `npm run build` in the spur repository first\n');
    process.exit(1);
  }
  throw err;
}
cli.main(process.argv.slice(2)).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`spur: ${err && err.message ? err.message : err}\n`);
    process.exit(1);
  },
);
