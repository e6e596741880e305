'use strict';
// Bundles an SDK the way a shop's bundler would: rollup with @rollup/plugin-node-resolve (browser
// field on) and @rollup/plugin-terser at its default options. Used for the size table (ESM) and
// for the Snowplow script the delivery benchmark puts on its pages (IIFE).
const fs = require('node:fs');
const path = require('node:path');

const ENTRIES = path.join(__dirname, 'entries');

/**
 * Bundles `entry` (a file in bench/compare/entries) and returns the code as a string.
 * `format`: 'es' (what a bundler user ships) or 'iife' (with `name` as the global).
 */
async function bundle(entry, { format = 'es', name, minify = true } = {}) {
  const { rollup } = require('rollup');
  const { nodeResolve } = require('@rollup/plugin-node-resolve');
  const terser = require('@rollup/plugin-terser');
  const plugins = [nodeResolve({ browser: true })];
  if (minify) plugins.push(terser());
  const build = await rollup({
    input: path.join(ENTRIES, entry),
    plugins,
    // Third-party code: its warnings (circular imports, `this` at top level) are not ours to fix.
    onwarn: () => {},
  });
  try {
    const { output } = await build.generate({ format, name, inlineDynamicImports: true });
    return output
      .filter((o) => o.type === 'chunk')
      .map((o) => o.code)
      .join('\n');
  } finally {
    await build.close();
  }
}

/** Writes the Snowplow page script (window.snowplow = {newTracker, trackPageView, ...}) to `file`. */
async function bundleSnowplowIife(file) {
  const code = await bundle('snowplow-page.mjs', { format: 'iife', name: 'snowplow' });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, code);
  return file;
}

module.exports = { bundle, bundleSnowplowIife };
