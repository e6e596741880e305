'use strict';
// The bytes a shop's visitors download for each SDK at its default install, next to spur's.
//
//   node bench/compare/sizes.js [--json]
//
// module.exports = async function competitorSizes() -> [{ sdk, version, file, min, gzip, brotli, notes }]
// min: bytes of the minified JavaScript as served; gzip: level 9; brotli: zlib's default (quality 11).
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const { bundle } = require('./bundle');

const ROOT = path.resolve(__dirname, '..', '..');
const SPUR_JS = path.join(ROOT, 'packages', 'sdk', 'dist', 'spur.js');

function pkgDir(name) {
  for (const base of [path.join(ROOT, 'bench', 'node_modules'), path.join(ROOT, 'node_modules')]) {
    const dir = path.join(base, name);
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
  }
  return undefined;
}
const versionOf = (dir) => JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;

function measure(code) {
  const buf = Buffer.isBuffer(code) ? code : Buffer.from(code);
  return {
    min: buf.length,
    gzip: zlib.gzipSync(buf, { level: 9 }).length,
    brotli: zlib.brotliCompressSync(buf).length,
  };
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

/** A row for a package that is not installed: say so instead of inventing a number. */
const missing = (sdk, name) => ({
  sdk,
  version: null,
  file: null,
  min: null,
  gzip: null,
  brotli: null,
  notes: `${name} is not installed (devDependency of bench/package.json; run npm install)`,
});

async function spurRow() {
  const version = versionOf(path.join(ROOT, 'packages', 'sdk'));
  if (!fs.existsSync(SPUR_JS)) {
    return { sdk: 'spur', version, file: 'packages/sdk/dist/spur.js', min: null, gzip: null, brotli: null, notes: 'not built: run `npx rollup -c`' };
  }
  return {
    sdk: 'spur',
    version,
    file: 'packages/sdk/dist/spur.js',
    ...measure(fs.readFileSync(SPUR_JS)),
    notes: 'the script-tag build (IIFE), everything a page loads; the optional stub line is ~80 B inline',
  };
}

async function segmentRows() {
  const dir = pkgDir('@segment/analytics-next');
  if (!dir) return [missing('segment', '@segment/analytics-next')];
  const umd = path.join(dir, 'dist', 'umd');
  const standalone = fs.readFileSync(path.join(umd, 'standalone.js'));
  const chunk = (prefix) => {
    const f = fs.readdirSync(umd).find((n) => n.startsWith(prefix) && /\.bundle\.[0-9a-f]+\.js$/.test(n));
    return f ? { name: f, size: measure(fs.readFileSync(path.join(umd, f))) } : undefined;
  };
  const dest = chunk('ajs-destination.');
  const shared = chunk('407.');
  const destNote =
    dest && shared
      ? ` A source with any device-mode destination also loads ajs-destination (${kb(dest.size.gzip)} gzip) and its shared chunk 407 ` +
        `(${kb(shared.size.gzip)} gzip) plus each destination's own script from the CDN.`
      : '';
  return [
    {
      sdk: 'segment',
      version: versionOf(dir),
      file: '@segment/analytics-next/dist/umd/standalone.js',
      ...measure(standalone),
      notes:
        'what the snippet loads from cdn.segment.com (analytics.min.js = the package\'s standalone build). On a default page ' +
        '(settings of a source with no device-mode destinations, no middleware, no tracking plan in load options, no ajs_ ' +
        'query string) it loads no further chunk: seen in the delivery benchmark\'s request log, and in src/browser/index.ts.' +
        destNote +
        ' Not counted: the inline snippet (~1.7 KB, ~0.9 KB gzip) and the settings JSON.',
    },
  ];
}

async function snowplowRows() {
  const dir = pkgDir('@snowplow/browser-tracker');
  if (!dir) return [missing('snowplow', '@snowplow/browser-tracker')];
  const code = await bundle('snowplow-size.mjs');
  return [
    {
      sdk: 'snowplow',
      version: versionOf(dir),
      file: 'rollup bundle of bench/compare/entries/snowplow-size.mjs',
      ...measure(code),
      notes:
        '@snowplow/browser-tracker bundled as a bundler user would (rollup, node-resolve, terser defaults, ESM): newTracker ' +
        '+ trackPageView with default settings and plugins. The npm package has no sp.js (that is @snowplow/javascript-tracker).',
    },
  ];
}

async function posthogRows() {
  const dir = pkgDir('posthog-js');
  if (!dir) return [missing('posthog', 'posthog-js')];
  const dist = path.join(dir, 'dist');
  const array = fs.readFileSync(path.join(dist, 'array.js'));
  const surveys = fs.readFileSync(path.join(dist, 'surveys.js'));
  const s = measure(surveys);
  const rows = [
    {
      sdk: 'posthog',
      version: versionOf(dir),
      file: 'posthog-js/dist/array.js',
      ...measure(array),
      notes:
        'what the snippet loads (<assets host>/static/array.js). Lazy-loaded after it: /array/<token>/config.js (the ' +
        `project's remote config, small) and surveys.js (${kb(s.min)} min, ${kb(s.gzip)} gzip), which posthog-js loads ` +
        'whenever the remote config has a `surveys` key, even `false` (seen on the delivery benchmark\'s default page). ' +
        'Loaded only when enabled in the project: session recorder, toolbar, exception autocapture, dead clicks, web vitals. ' +
        'Not counted: the inline snippet (~1.8 KB, ~0.9 KB gzip).',
    },
  ];
  const a = rows[0];
  rows.push({
    sdk: 'posthog',
    version: versionOf(dir),
    file: 'posthog-js/dist/array.js + dist/surveys.js',
    min: a.min + s.min,
    gzip: a.gzip + s.gzip,
    brotli: a.brotli + s.brotli,
    notes: 'the default page total as seen in the delivery benchmark: the two files, each compressed on its own, summed',
  });
  return rows;
}

async function rudderstackRows() {
  const dir = pkgDir('@rudderstack/analytics-js');
  if (!dir) return [missing('rudderstack', '@rudderstack/analytics-js')];
  const version = versionOf(dir);
  const cdnBuild = path.join(dir, 'dist', 'cdn', 'modern', 'iife', 'rsa.min.js');
  const rows = [];
  if (fs.existsSync(cdnBuild)) {
    rows.push({ sdk: 'rudderstack', version, file: '@rudderstack/analytics-js/dist/cdn/modern/iife/rsa.min.js', ...measure(fs.readFileSync(cdnBuild)), notes: 'the CDN build (modern)' });
  } else {
    const core = await bundle('rudderstack-size.mjs');
    rows.push({
      sdk: 'rudderstack',
      version,
      file: 'rollup bundle of bench/compare/entries/rudderstack-size.mjs',
      ...measure(core),
      notes:
        'the package ships no CDN build (no dist/cdn; only dist/npm), so this is its default npm entry (modern) bundled with ' +
        'rollup + terser: the SDK core, the equivalent of the CDN\'s rsa.min.js. At run time it fetches its plugins ' +
        '(event queue, storage encryption, ...) from cdn.rudderlabs.com as separate files that are not in the package, ' +
        'so they are not counted here; see the bundled row for core + plugins.',
    });
  }
  const bundled = await bundle('rudderstack-bundled-size.mjs');
  rows.push({
    sdk: 'rudderstack',
    version,
    file: 'rollup bundle of bench/compare/entries/rudderstack-bundled-size.mjs',
    ...measure(bundled),
    notes:
      'the `@rudderstack/analytics-js/bundled` entry (all default plugins compiled in; what the delivery benchmark runs): an ' +
      'upper bound for a default page, which loads only the plugins it needs',
  });
  return rows;
}

module.exports = async function competitorSizes() {
  const rows = [];
  for (const part of [spurRow, segmentRows, snowplowRows, posthogRows, rudderstackRows]) {
    const r = await part();
    rows.push(...(Array.isArray(r) ? r : [r]));
  }
  return rows;
};

function markdown(rows) {
  const fmt = (n) => (n == null ? 'n/a' : n.toLocaleString('en-US'));
  const lines = [
    '| SDK | version | file | min (B) | gzip -9 (B) | brotli (B) |',
    '| --- | --- | --- | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.sdk} | ${r.version ?? 'n/a'} | ${r.file ?? 'n/a'} | ${fmt(r.min)} | ${fmt(r.gzip)} | ${fmt(r.brotli)} |`),
    '',
    'Notes:',
    ...rows.filter((r) => r.notes).map((r) => `- ${r.sdk} (${r.file}): ${r.notes}`),
  ];
  return lines.join('\n');
}
module.exports.markdown = markdown;

if (require.main === module) {
  module
    .exports()
    .then((rows) => {
      if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      else process.stdout.write(`${markdown(rows)}\n`);
    })
    .catch((err) => {
      process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
      process.exitCode = 1;
    });
}
