// `npm run bench`: runs the benchmark sections, prints one markdown document and writes it to
// bench/results.md. Flags: --only size,main-thread,delivery,ingest,analytics,journeys,first-page,restart,flood,postgres,
// analytics-memory,migrate,purchase-model,customers,dashboard,facts-backfill,import-orders,live,history,abandonment,
// customer-lookup --quick (fewer repetitions, smaller stores).
// Benchmarks, not tests: nothing here fails a build; the ✅/❌ marks say which targets were met.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { machine } = require('./lib/machine');
const { mark, table } = require('./lib/format');

const SECTIONS = ['size', 'main-thread', 'delivery', 'ingest', 'analytics', 'journeys', 'first-page', 'restart', 'flood', 'postgres', 'analytics-memory', 'migrate', 'purchase-model', 'customers', 'dashboard', 'facts-backfill', 'import-orders', 'live', 'history', 'abandonment', 'customer-lookup'];

function parseArgs(argv) {
  const quick = argv.includes('--quick');
  let only = SECTIONS;
  const i = argv.findIndex((a) => a === '--only' || a.startsWith('--only='));
  if (i !== -1) {
    const value = argv[i].includes('=') ? argv[i].split('=')[1] : argv[i + 1];
    only = String(value || '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const unknown = only.filter((s) => !SECTIONS.includes(s));
    if (unknown.length || !only.length) {
      console.error(`bench: --only takes a comma-separated list of ${SECTIONS.join(', ')}`);
      process.exit(2);
    }
  }
  return { quick, only };
}

/** The delivery matrix from bench/delivery (another module), rendered from its rows. */
async function delivery({ quick, log }) {
  let run;
  try {
    run = require('./delivery');
  } catch (err) {
    if (err.code === 'MODULE_NOT_FOUND' && /[\\/]delivery/.test(err.message)) return { markdown: 'not available (bench/delivery is not there)' };
    throw err;
  }
  const result = await run({ quick, log });
  if (result.markdown) return { markdown: result.markdown, data: result.rows };
  const rows = (result.rows || []).map((r) => [r.sdk, r.scenario, r.recorded, r.delivered, r.duplicates, r.notes || '']);
  return {
    markdown: table(['SDK', 'Scenario', 'Recorded', 'Delivered', 'Duplicates', 'Notes'], rows),
    data: result.rows,
  };
}

/** Section 5: the funnel engine alone (bench/funnel.js), then exports from SQLite (bench/exports.js). */
async function analyticsSection(o) {
  const engine = await require('./funnel')(o);
  const stored = await require('./exports')(o);
  return {
    markdown: ['### The engine, in memory (bench/funnel.js)', '', engine.markdown, '', '### From a SQLite store (bench/exports.js)', '', stored.markdown].join('\n'),
    targets: [...engine.targets, ...stored.targets],
    data: { engine: engine.data, stored: stored.data },
  };
}

const RUNNERS = {
  size: (o) => require('./size')(o),
  'main-thread': (o) => require('./main-thread')(o),
  delivery,
  ingest: (o) => require('./ingest')(o),
  analytics: analyticsSection,
  journeys: (o) => require('./journeys')(o),
  'first-page': (o) => require('./first-page')(o),
  restart: (o) => require('./restart')(o),
  flood: (o) => require('./flood')(o),
  postgres: (o) => require('./postgres-ingest')(o),
  'analytics-memory': (o) => require('./analytics-memory')(o),
  migrate: (o) => require('./migrate')(o),
  'purchase-model': (o) => require('./purchase-model')(o),
  customers: (o) => require('./customers')(o),
  dashboard: (o) => require('./dashboard')(o),
  'facts-backfill': (o) => require('./facts-backfill')(o),
  'import-orders': (o) => require('./import-orders')(o),
  live: (o) => require('./live')(o),
  history: (o) => require('./history')(o.quick ? { events: 20_000, buyers: 500, requests: 10 } : {}),
  abandonment: (o) => require('./abandonment')(o.quick ? { events: 100_000, buyers: 2_000, minutes: 2 } : {}),
  'customer-lookup': (o) => require('./customer-lookup')(o.quick ? { events: 50_000, runs: 3 } : {}),
};

const TITLES = {
  size: '1. Size of the script-tag build',
  'main-thread': '2. Main-thread cost in headless Chromium',
  delivery: '3. Delivery',
  ingest: '4. Ingest throughput and latency',
  analytics: '5. Funnels and exports',
  journeys: '6. Journey runs in Chromium',
  'first-page': '7. The script tag on a first page (fresh browser profile)',
  restart: '8. Restart on a 1 GiB database',
  flood: '9. A flood from one address',
  postgres: '10. Ingest on PostgreSQL, one and three collectors, next to SQLite',
  'analytics-memory': '11. The analytics engine: memory per event, build and first queries at 1M and 5M',
  migrate: '12. spur migrate: SQLite into PostgreSQL',
  'purchase-model': '13. The purchase model: the CDNOW fit, predictions for 100,000 customers',
  customers: '14. Customers: segments and predictions for 100,000 customers over 5M events',
  dashboard: "15. The dashboard's first view on 1M stored events",
  'facts-backfill': '16. Facts an older build stored: the backfill of 1M rows, the first funnel before and after',
  'import-orders': '17. Order import: 1M line items from a CSV',
  live: '18. Live stream and webhooks: from commit to the stream and to the receiver',
  history: "19. Customer histories: the purchase model's fit reused",
  abandonment: "20. The abandonment job's CPU per minute, narrowed replays",
  'customer-lookup': "21. The order importer's customer lookup",
};

/** Chromium's version when no browser section ran (for the machine line). */
async function chromiumVersion() {
  try {
    const { launchChromium } = require('@spur/journeys');
    const browser = await launchChromium();
    try {
      return `Chromium ${browser.version()} (headless)`;
    } finally {
      await browser.close();
    }
  } catch (err) {
    return `not available (${err.message.split('\n')[0]})`;
  }
}

async function main() {
  const { quick, only } = parseArgs(process.argv.slice(2));
  const log = (line) => console.error(line);
  const started = new Date();
  const results = {};
  for (const name of SECTIONS.filter((s) => only.includes(s))) {
    const t0 = Date.now();
    log(`bench: ${name}${quick ? ' (quick)' : ''}`);
    try {
      results[name] = await RUNNERS[name]({ quick, log });
    } catch (err) {
      log(`bench: ${name} failed: ${err.stack || err}`);
      results[name] = { markdown: `not available: ${String(err.message || err).split('\n')[0]}`, failed: true };
    }
    log(`bench: ${name} done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }

  const chromium = results['main-thread']?.chromium || (await chromiumVersion());
  const m = machine(chromium);
  const targets = Object.values(results).flatMap((r) => r.targets || []);
  const doc = [
    '# spur benchmarks',
    '',
    `${started.toISOString().slice(0, 16).replace('T', ' ')} UTC · \`npm run bench${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\``,
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.platform}; Node.js ${m.node}; ${m.chromium}. ` +
      `Load average at the end: ${m.load}. Medians of repeated runs; see bench/README.md for what each figure means.`,
    '',
    '## Targets',
    '',
    targets.length ? table(['Target', ''], targets.map((t) => [t.name, mark(t.ok)])) : 'No target was measured.',
    ...SECTIONS.filter((s) => only.includes(s)).flatMap((s) => ['', `## ${TITLES[s]}`, '', results[s].markdown]),
    '',
  ].join('\n');

  process.stdout.write(doc);
  fs.writeFileSync(path.join(__dirname, 'results.md'), doc);
  log('bench: wrote bench/results.md');
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
