'use strict';
// Delivery matrix: spur's browser SDK and four well-known SDKs at their default settings, in
// headless Chromium, against local sinks that speak each SDK's protocol. See README.md here.
//
//   node bench/delivery/index.js [--quick] [--sdk spur,segment] [--scenario unload,tabs] [--json]
//
// module.exports = async function deliveryMatrix({ quick }) -> { rows, markdown }
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { SDKS } = require('./sdks');
const { SCENARIOS, settingsFor } = require('./scenarios');

const SDK_ORDER = ['spur', 'segment', 'snowplow', 'posthog', 'rudderstack'];
const SCENARIO_ORDER = ['unload', 'offline', 'down', 'tabs'];

/**
 * How many SDKs run a scenario at the same time. Unload (a race between sending and the page going
 * away) and tabs (600 events in 3 tabs) depend on CPU time, so each SDK runs them alone. Offline
 * and collector-down are mostly waiting (bounded sleeps, a few events), so SDKs share the time.
 */
const CONCURRENCY = { unload: 1, offline: 3, down: 5, tabs: 1 };
/** Wall-clock cap for one SDK × scenario run; past it the browser context is closed. */
const RUN_CAP_MS = { unload: 240000, offline: 120000, down: 240000, tabs: 180000 };

async function pool(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  });
  await Promise.all(workers);
  return results;
}

/** Runs one SDK × scenario, never longer than its cap; a failure becomes a row that says why. */
async function runOne(base, adapter, scenario) {
  const ctx = { ...base, adapter };
  const cap = RUN_CAP_MS[scenario];
  let timer;
  let timedOut = false;
  // Closing every context this run opened makes whatever it awaits in the browser fail at once.
  const contexts = new Set();
  const browser = {
    newContext: async (opts) => {
      const c = await base.browser.newContext(opts);
      contexts.add(c);
      return c;
    },
  };
  const started = Date.now();
  try {
    return await Promise.race([
      SCENARIOS[scenario].run({ ...ctx, browser }),
      new Promise((_, reject) => {
        timer = setTimeout(() => {
          timedOut = true;
          for (const c of contexts) c.close().catch(() => {});
          reject(new Error(`timed out after ${cap / 1000} s`));
        }, cap);
      }),
    ]);
  } catch (err) {
    return {
      sdk: adapter.name,
      scenario,
      recorded: null,
      delivered: null,
      duplicates: null,
      notes: `not measured: ${timedOut ? `timed out after ${cap / 1000} s` : String(err && err.message).split('\n')[0]}`,
      failed: true,
    };
  } finally {
    clearTimeout(timer);
    base.log(`  ${adapter.name} × ${scenario}: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
}

function cell(r) {
  if (!r) return '–';
  if (r.failed) return 'not measured';
  let s = `${r.delivered}/${r.recorded}`;
  if (r.duplicates) s += `, ${r.duplicates} dup`;
  if (r.resent !== undefined) s += `, ${r.resent} resent`;
  return s;
}

function renderMarkdown(rows, meta) {
  const sdks = [...new Set(rows.map((r) => r.sdk))];
  const scenarios = SCENARIO_ORDER.filter((s) => rows.some((r) => r.scenario === s));
  const lines = [];
  lines.push(
    `Delivery: events delivered / recorded, and events received more than once ("dup"), per SDK at its default ` +
      `settings; for spur also events that reached the collector in more than one request whatever the answers ("resent"). ` +
      `${meta.quick ? 'Quick mode. ' : ''}${meta.date}, ${meta.browser}.`,
  );
  lines.push('');
  lines.push(`| SDK | ${scenarios.map((s) => SCENARIOS[s].title).join(' | ')} |`);
  lines.push(`| --- | ${scenarios.map(() => '---').join(' | ')} |`);
  for (const sdk of sdks) {
    const cells = scenarios.map((s) => cell(rows.find((r) => r.sdk === sdk && r.scenario === s)));
    lines.push(`| ${sdk} ${meta.versions[sdk] || ''} | ${cells.join(' | ')} |`);
  }
  lines.push('');
  lines.push('Scripts the pages loaded (all from 127.0.0.1):');
  for (const sdk of sdks) {
    const scripts = [...new Set(rows.filter((r) => r.sdk === sdk).flatMap((r) => r.scripts || []))].sort();
    lines.push(`- ${sdk}: ${scripts.length ? scripts.map((x) => `\`${x}\``).join(', ') : 'none recorded'}`);
  }
  const notes = rows.filter((r) => r.notes);
  if (notes.length) {
    lines.push('');
    lines.push('Notes:');
    for (const r of notes) lines.push(`- ${r.sdk}, ${r.scenario}: ${r.notes}`);
  }
  lines.push('');
  lines.push('Method, settings per SDK and limits: bench/delivery/README.md.');
  return lines.join('\n');
}

module.exports = async function deliveryMatrix({
  quick = false,
  sdks = SDK_ORDER,
  scenarios = SCENARIO_ORDER,
  log = (line) => process.stderr.write(`${line}\n`),
} = {}) {
  const { launchChromium } = require('@spur/journeys');
  const settings = settingsFor(quick);
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'spur-bench-delivery-'));
  // The visitor's browser as a real one: automation flag off (navigator.webdriver false) and the
  // "HeadlessChrome" token out of the user agent. PostHog drops every event of a browser that looks
  // like a bot; the same browser settings apply to every SDK.
  const browser = await launchChromium({ args: ['--disable-blink-features=AutomationControlled'] });
  const rows = [];
  const versions = {};
  try {
    const probe = await browser.newPage();
    const userAgent = (await probe.evaluate(() => navigator.userAgent)).replace('HeadlessChrome', 'Chrome');
    await probe.context().close();
    const base = { settings, tmpDir, userAgent, log, browser };

    const adapters = [];
    const unprepared = {};
    for (const name of sdks) {
      const adapter = SDKS[name];
      if (!adapter) throw new Error(`unknown SDK ${name}; known: ${SDK_ORDER.join(', ')}`);
      try {
        versions[name] = adapter.version();
        await adapter.prepare({ tmpDir });
        adapters.push(adapter);
      } catch (err) {
        unprepared[name] = String(err && err.message).split('\n')[0];
      }
    }

    for (const scenario of scenarios) {
      if (!SCENARIOS[scenario]) throw new Error(`unknown scenario ${scenario}; known: ${SCENARIO_ORDER.join(', ')}`);
      log(`delivery: ${scenario}`);
      const results = await pool(adapters, CONCURRENCY[scenario], (adapter) => runOne(base, adapter, scenario));
      rows.push(...results);
      for (const [name, why] of Object.entries(unprepared)) {
        rows.push({ sdk: name, scenario, recorded: null, delivered: null, duplicates: null, notes: `not measured: ${why}`, failed: true });
      }
    }
    rows.sort(
      (a, b) =>
        SDK_ORDER.indexOf(a.sdk) - SDK_ORDER.indexOf(b.sdk) ||
        SCENARIO_ORDER.indexOf(a.scenario) - SCENARIO_ORDER.indexOf(b.scenario),
    );
    const markdown = renderMarkdown(rows, {
      quick,
      versions,
      date: new Date().toISOString().slice(0, 10),
      browser: `Chromium ${browser.version()} headless`,
    });
    return { rows, markdown };
  } finally {
    await browser.close().catch(() => {});
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
};

module.exports.renderMarkdown = renderMarkdown;

if (require.main === module) {
  const args = process.argv.slice(2);
  const opt = (name) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const list = (v) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined);
  const started = Date.now();
  module
    .exports({ quick: args.includes('--quick'), sdks: list(opt('--sdk')), scenarios: list(opt('--scenario')) })
    .then(({ rows, markdown }) => {
      if (args.includes('--json')) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      else process.stdout.write(`${markdown}\n`);
      process.stderr.write(`delivery: done in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    })
    .catch((err) => {
      process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
      process.exitCode = 1;
    });
}
