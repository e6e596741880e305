// Journey runs per minute (issue 6): 100 runs of the example journeys at concurrency 4 in one
// headless Chromium, each run checked against the admin API as `spur simulate` does. The
// collector runs as shipped, `spur serve` in its own process on a fresh SQLite file (client
// clocks trusted, as in the demo); the demo shop is served from this process. Target: the 100
// runs in under 2 minutes. Uses the BUILT packages.
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { startCollector, cleanup } = require('./lib/collector');
const { num, mark, table, printSection } = require('./lib/format');

const RUNS = 100;
const QUICK_RUNS = 20;
const CONCURRENCY = 4;
const TARGET_MS = 120_000;
// The example journeys without consent-refused, which needs an SDK with a consent API; five
// journeys, so 100 runs are 20 of each.
const EXAMPLES = path.join(__dirname, '..', 'examples', 'journeys');
const JOURNEYS = ['browse-and-leave', 'cart-abandoner-returns', 'cart-abandoner-second-device', 'offline-shopper', 'mobile-shopper'];

/**
 * CPU seconds used so far by this process and its descendants, live and reaped (Chromium's
 * renderers, the collector): on a shared machine, runs per CPU minute say more than the wall
 * time. Linux only (/proc); undefined elsewhere.
 */
function treeCpuSeconds() {
  try {
    const procs = new Map();
    for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        // utime, stime, and cutime, cstime of the children it has reaped
        procs.set(pid, { ppid: f[1], ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) });
      } catch {
        // gone meanwhile
      }
    }
    let ticks = 0;
    const todo = [String(process.pid)];
    while (todo.length) {
      const pid = todo.pop();
      ticks += procs.get(pid)?.ticks ?? 0;
      for (const [child, p] of procs) if (p.ppid === pid) todo.push(child);
    }
    return ticks / 100; // USER_HZ
  } catch {
    return undefined;
  }
}

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN;
};

/** The shop on a free loopback port, and then `spur serve` with a write key for its origin. */
async function startDemo() {
  const { createShopApp } = require('../examples/shop/server');
  const shop = http.createServer();
  await new Promise((resolve) => shop.listen(0, '127.0.0.1', resolve));
  const shopUrl = `http://127.0.0.1:${shop.address().port}`;
  const collector = await startCollector({ writeKeys: `bench=${shopUrl}`, env: { SPUR_CLIENT_CLOCK: 'trust' } });
  shop.on('request', createShopApp({ collectorUrl: collector.url, writeKey: 'bench' }));
  return {
    shopUrl,
    collectorUrl: collector.url,
    adminToken: collector.adminToken,
    async close() {
      shop.closeAllConnections();
      await new Promise((resolve) => shop.close(resolve));
      await collector.stop();
      cleanup(collector.dir);
    },
  };
}

/** Runs the section. Resolves to { markdown, targets, data }. */
module.exports = async function journeys({ quick = false, log = console.error } = {}) {
  const { launchChromium, loadJourneys, runJourneys, describeFailure } = require('@spur/journeys');
  const total = quick ? QUICK_RUNS : RUNS;
  const specs = loadJourneys(JOURNEYS.map((name) => path.join(EXAMPLES, `${name}.json`)));
  const runsEach = total / specs.length;

  const demo = await startDemo();
  const browser = await launchChromium();
  let sim;
  let cpuBefore;
  let cpuAfter;
  try {
    log(`journeys: ${total} runs (${specs.length} journeys × ${runsEach}) at concurrency ${CONCURRENCY}`);
    let lastLog = Date.now();
    cpuBefore = treeCpuSeconds();
    sim = await runJourneys(specs, {
      baseUrl: demo.shopUrl,
      collectorUrl: demo.collectorUrl,
      adminToken: demo.adminToken,
      runs: runsEach,
      concurrency: CONCURRENCY,
      browser,
      onRunDone(result, p) {
        if (!result.passed) log(`  FAIL ${describeFailure(result, result.failures[0])}`);
        if (Date.now() - lastLog > 10_000 || p.done === p.total) {
          lastLog = Date.now();
          log(`  ${p.done}/${p.total} runs, ${p.failed} failed`);
        }
      },
    });
    // Before the browser and the collector exit: their CPU is theirs until they are reaped.
    cpuAfter = treeCpuSeconds();
  } finally {
    await browser.close();
    await demo.close();
  }

  const seconds = sim.durationMs / 1000;
  const cpuPerRun = cpuBefore !== undefined && cpuAfter !== undefined ? (cpuAfter - cpuBefore) / sim.runs.length : NaN;
  const perMinute = sim.runs.length / (seconds / 60);
  const passed = sim.runs.filter((r) => r.passed).length;
  const times = sim.runs.map((r) => r.durationMs / 1000);
  const byJourney = specs.map((j) => {
    const runs = sim.runs.filter((r) => r.journey === j.spec.name);
    const t = runs.map((r) => r.durationMs / 1000);
    return [j.spec.name, runs.length, runs.filter((r) => r.passed).length, num(percentile(t, 50), 1), num(percentile(t, 95), 1), String(j.spec.visits.length)];
  });
  // The target is for 100 runs; a quick run is scaled to it.
  const projectedMs = (sim.durationMs / sim.runs.length) * RUNS;
  const fast = projectedMs < TARGET_MS;
  const markdown = [
    `${sim.runs.length} runs of ${specs.length} example journeys (${JOURNEYS.join(', ')}; ${runsEach} each, interleaved), ` +
      `${CONCURRENCY} at a time in one headless Chromium, each run a new customer in fresh browser contexts with simulated days between visits, ` +
      `checked against the admin API afterwards. Collector: \`spur serve\` in its own process on a fresh SQLite file; shop: served from the bench process.`,
    '',
    table(
      ['Measure', 'Value', 'Target', ''],
      [
        [`wall time for ${sim.runs.length} runs`, `${num(seconds, 1)} s`, quick ? `< ${TARGET_MS / 1000 / (RUNS / QUICK_RUNS)} s (scaled)` : `< ${TARGET_MS / 1000} s`, mark(fast)],
        ['runs per minute', num(perMinute, 1), `> ${num(RUNS / (TARGET_MS / 60_000), 0)}`, mark(fast)],
        ['run time, median / p95', `${num(percentile(times, 50), 1)} s / ${num(percentile(times, 95), 1)} s`, '', ''],
        ['CPU time per run (Chromium, collector and runner)', `${num(cpuPerRun, 2)} s`, '', ''],
        ['runs passed', `${passed} of ${sim.runs.length}`, 'all', mark(passed === sim.runs.length)],
      ],
    ),
    '',
    table(['Journey', 'Runs', 'Passed', 'Median s', 'p95 s', 'Visits'], byJourney),
  ].join('\n');
  return {
    markdown,
    targets: [
      { name: `${RUNS} journey runs at concurrency ${CONCURRENCY} < ${TARGET_MS / 60_000} min`, ok: fast },
      { name: 'every journey run passed', ok: passed === sim.runs.length },
    ],
    data: { runs: sim.runs.length, seconds, perMinute, cpuPerRun, passed, failures: sim.runs.filter((r) => !r.passed).flatMap((r) => r.failures.map((f) => describeFailure(r, f))) },
  };
};

if (require.main === module) printSection(module.exports({ quick: process.argv.includes('--quick') }));
