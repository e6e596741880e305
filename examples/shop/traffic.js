// `npm run demo:traffic`: fills the running demo (`npm start`) with a few hundred simulated
// customers, so that the funnel, cart and product exports have something believable to show.
// Plays the journeys of examples/journeys/traffic in headless Chromium, mixed by the weights
// below, each customer on days spread over the last two weeks. Nothing is checked, so no admin
// token is needed. Uses the BUILT @spur/journeys (`npm start` builds it).
//
//   node examples/shop/traffic.js [--customers 300] [--concurrency 4] [--days 14]
//                                 [--base-url http://localhost:3000]
const path = require('node:path');
const { parseArgs } = require('node:util');

const TRAFFIC = path.join(__dirname, '..', 'journeys', 'traffic');

/**
 * How many customers of each kind, per 33: most look and leave, some fill a cart, a few buy
 * (about 4 in 10 product viewers add to the cart, 1 in 5 orders): a demo's funnel, not a real
 * shop's.
 */
const WEIGHTS = {
  'bounce.json': 6,
  'browser.json': 10,
  'mobile-browser.json': 6,
  'abandoner.json': 4,
  'checkout-dropout.json': 2,
  'buyer.json': 2,
  'returning-buyer.json': 1,
  'mobile-buyer.json': 1,
  'cross-device.json': 1,
};

function loadJourneysPackage() {
  try {
    return require('@spur/journeys');
  } catch (error) {
    if (error.code === 'MODULE_NOT_FOUND' && /@spur[\\/]journeys|journeys[\\/]dist/.test(String(error.message))) {
      console.error('demo:traffic: @spur/journeys is not built yet. Run `npm run build` first (`npm start` does).');
      process.exit(1);
    }
    throw error;
  }
}

function positive(text, flag) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} must be a whole number above 0, got ${text}`);
  return n;
}

async function main() {
  const { values } = parseArgs({
    options: {
      customers: { type: 'string', default: '300' },
      concurrency: { type: 'string', default: '4' },
      days: { type: 'string', default: '14' },
      'base-url': { type: 'string', default: process.env.SPUR_SHOP_URL || `http://localhost:${process.env.SPUR_SHOP_PORT || 3000}` },
    },
  });
  const customers = positive(values.customers, 'customers');
  const concurrency = positive(values.concurrency, 'concurrency');
  const days = positive(values.days, 'days');
  const baseUrl = values['base-url'];
  const { loadJourneys, runJourneys, summaryLine, formatDuration } = loadJourneysPackage();

  try {
    const res = await fetch(baseUrl);
    await res.body?.cancel();
  } catch (error) {
    console.error(`demo:traffic: cannot reach the shop at ${baseUrl} (${error.cause?.message ?? error.message}). Start the demo first: npm start`);
    process.exit(1);
  }

  // Each journey as often as its weight: the runner plays every listed journey `runs` times.
  const specs = loadJourneys(Object.keys(WEIGHTS).map((file) => path.join(TRAFFIC, file)));
  const mix = specs.flatMap((journey) => Array(WEIGHTS[path.basename(journey.file)]).fill(journey));
  const runs = Math.max(1, Math.round(customers / mix.length));
  console.log(`demo:traffic: ${runs * mix.length} simulated customers, ${concurrency} at a time, spread over the last ${days} days, on ${baseUrl}`);

  const started = Date.now();
  let shown = 0;
  const result = await runJourneys(mix, {
    baseUrl,
    runs,
    concurrency,
    check: false,
    spreadMs: days * 86_400_000,
    onRunDone(run, progress) {
      if (!run.passed) console.error(`  a customer got stuck (${run.journey}): ${run.failures[0].message}`);
      if (progress.done - shown >= 25 || progress.done === progress.total) {
        shown = progress.done;
        console.log(`  ${progress.done}/${progress.total} customers, ${formatDuration(Date.now() - started)}`);
      }
    },
  });
  console.log(`demo:traffic: ${summaryLine(result)}`);
  const collector = `http://localhost:${process.env.SPUR_PORT || 8080}`;
  console.log('See the funnel and the abandoned carts with the admin token that `npm start` printed, e.g.');
  console.log(`  node packages/cli/bin/spur.js export funnel --url ${collector} --token <admin token> --unit customer --by device`);
  console.log(`  node packages/cli/bin/spur.js export carts --url ${collector} --token <admin token> --format csv`);
}

main().catch((error) => {
  console.error(`demo:traffic: ${error.message}`);
  process.exit(1);
});
