// Size of the script-tag build (packages/sdk/dist/spur.js): minified, gzip -9 and brotli bytes,
// against the 4 KB gzip budget, next to the SDKs a shop would otherwise add.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { bytes, mark, table, printSection } = require('./lib/format');

const ROOT = path.resolve(__dirname, '..');
const SPUR = path.join(ROOT, 'packages', 'sdk', 'dist', 'spur.js');

// Published gzip sizes of the usual script-tag installs, quoted as context (not measured here).
const REFERENCE = [
  ['Snowplow browser tracker', '~18 KB'],
  ['Segment analytics-next', '~43 KB'],
  ['RudderStack JS SDK v3', '~52 KB'],
  ['PostHog (posthog-js)', '~126 KB'],
];

/** Competitor rows from bench/compare/sizes.js (another module); null when it is not there. */
async function competitors(log) {
  let sizes;
  try {
    sizes = require('./compare/sizes');
  } catch (err) {
    if (err.code === 'MODULE_NOT_FOUND' && /compare[\\/]sizes/.test(err.message)) return null;
    throw err;
  }
  try {
    return await sizes();
  } catch (err) {
    log(`size: bench/compare/sizes failed: ${err.message}`);
    return { error: err.message };
  }
}

/** Runs section 1. Resolves to { markdown, targets, data }. */
module.exports = async function size({ log = console.error } = {}) {
  const { sizes, GZIP_BUDGET } = await import(pathToFileURL(path.join(ROOT, 'scripts', 'size-report.mjs')).href);
  const spur = sizes(fs.readFileSync(SPUR));
  const ok = spur.gzip <= GZIP_BUDGET;
  const others = await competitors(log);

  const rows = [['spur', 'packages/sdk/dist/spur.js', bytes(spur.min), bytes(spur.gzip), bytes(spur.brotli), `≤ ${GZIP_BUDGET} B gzip`, mark(ok)]];
  if (Array.isArray(others)) {
    // spur's own row is the one above, measured here with the budget next to it.
    for (const o of others.filter((x) => x.sdk !== 'spur')) {
      rows.push([`${o.sdk}${o.version ? ` ${o.version}` : ''}`, o.file || '', bytes(o.min), bytes(o.gzip), bytes(o.brotli), '', '']);
    }
  }
  const lines = [
    'Bytes of the file a browser downloads; gzip at level 9, brotli at its default (quality 11). The budget is the one `npm run build` enforces (scripts/size-report.mjs).',
    '',
    table(['SDK', 'File', 'Minified', 'gzip', 'brotli', 'Target', ''], rows),
  ];
  if (others === null) lines.push('', 'Competitor sizes: not available (bench/compare/sizes.js is not there).');
  else if (others.error) lines.push('', `Competitor sizes: not available (${others.error}).`);
  lines.push('', `Reference figures quoted for the usual installs (gzip, not measured here): ${REFERENCE.map(([n, s]) => `${n} ${s}`).join(', ')}.`);
  return {
    markdown: lines.join('\n'),
    targets: [{ name: `spur.js ≤ ${GZIP_BUDGET} B gzip`, ok }],
    data: { spur, competitors: Array.isArray(others) ? others : [] },
  };
};

if (require.main === module) printSection(module.exports());
