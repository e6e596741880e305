'use strict';
// The four delivery scenarios. Each runs in a fresh browser context against a fresh environment
// (site + sink, see env.js), records events with unique bench ids through the SDK's public API,
// and waits a bounded time (real time, no fake clocks) for the sink to receive them.
const { openEnv } = require('./env');
const { sleep } = require('./http-util');

const POLL_MS = 250;

/** Settings per mode. Every wait and every loop below is bounded by these. */
function settingsFor(quick) {
  return quick
    ? {
        unloadTrials: 5,
        offlineEvents: 10,
        downEvents: 10,
        downMs: 30000,
        downWaitMs: 30000,
        nextPageWaitMs: 10000,
        tabs: 3,
        tabEvents: 200,
        tabGapMs: 10,
        waitMs: 15000,
        settleMs: 3000,
        readyMs: 15000,
      }
    : {
        unloadTrials: 20,
        offlineEvents: 20,
        downEvents: 20,
        downMs: 30000,
        downWaitMs: 60000,
        nextPageWaitMs: 20000,
        tabs: 3,
        tabEvents: 200,
        tabGapMs: 10,
        waitMs: 30000,
        settleMs: 5000,
        readyMs: 15000,
      };
}

async function waitReady(page, ms) {
  try {
    await page.waitForFunction(() => typeof window.__benchReady === 'function' && window.__benchReady(), null, {
      timeout: ms,
      polling: 50,
    });
    return true;
  } catch {
    return false;
  }
}

/**
 * Polls the sink until every id arrived, then keeps listening `settleMs` longer (late duplicates),
 * or until `maxMs` passed. Returns how long it waited.
 */
async function waitDelivery(env, ids, { maxMs, settleMs }) {
  const start = Date.now();
  const deadline = start + maxMs;
  while (Date.now() < deadline) {
    if (env.tally(ids).delivered === ids.length) {
      await sleep(Math.min(settleMs, Math.max(0, deadline - Date.now())));
      break;
    }
    await sleep(POLL_MS);
  }
  return Date.now() - start;
}

const ids = (prefix, n) => Array.from({ length: n }, (_, i) => `bseq_${prefix}_${i}`);

/**
 * Opens env + context, runs `fn`, closes both. Collects what the notes need: console warnings
 * about dropped events, page errors, requests to anything but 127.0.0.1.
 */
async function withEnv(ctx, fn) {
  const { browser, adapter, tmpDir, userAgent } = ctx;
  const env = await openEnv(adapter, { tmpDir });
  const context = await browser.newContext({ userAgent });
  const seen = { remote: new Set(), pageErrors: [], dropWarnings: 0, consoleErrors: [], scripts: new Set() };
  context.on('request', (r) => {
    const u = r.url();
    if (!/^https?:/.test(u)) return;
    const url = new URL(u);
    if (url.hostname !== '127.0.0.1') seen.remote.add(u.split('?')[0]);
    else if (r.resourceType() === 'script') seen.scripts.add(url.pathname);
  });
  const watch = (page) => {
    page.on('pageerror', (e) => seen.pageErrors.length < 20 && seen.pageErrors.push(String(e.message).slice(0, 200)));
    page.on('console', (m) => {
      const text = m.text();
      if (/rate.?limit/i.test(text)) seen.dropWarnings++;
      if (m.type() === 'error' && seen.consoleErrors.length < 20) seen.consoleErrors.push(text.slice(0, 200));
    });
  };
  context.on('page', watch);
  try {
    return await fn(env, context, seen);
  } finally {
    if (process.env.SPUR_BENCH_DEBUG) {
      process.stderr.write(`\n== ${adapter.name}: timeline\n${env.timeline()}\n`);
      if (seen.consoleErrors.length) process.stderr.write(`console errors: ${seen.consoleErrors.join('\n  ')}\n`);
    }
    await context.close().catch(() => {});
    await env.close().catch(() => {});
  }
}

function row(adapter, scenario, env, recordedIds, seen, extraNotes = []) {
  const t = env.tally(recordedIds);
  const notes = [...extraNotes];
  if (t.duplicates) notes.push(`${t.extraCopies} extra copies in all`);
  if (t.resent !== undefined) notes.push(`resent (arrived in more than one request, whatever the answer): ${t.resent} events, ${t.resentCopies} copies beyond the first`);
  notes.push(...env.adapterNotes());
  if (seen.dropWarnings) notes.push(`${seen.dropWarnings} console warnings about client-side rate limiting`);
  if (seen.remote.size) notes.push(`tried to reach ${[...seen.remote].slice(0, 3).join(', ')}`);
  if (seen.pageErrors.length) notes.push(`page errors: ${seen.pageErrors.slice(0, 2).join(' | ')}`);
  return {
    sdk: adapter.name,
    scenario,
    recorded: recordedIds.length,
    delivered: t.delivered,
    duplicates: t.duplicates,
    ...(t.resent !== undefined && { resent: t.resent, resentCopies: t.resentCopies }),
    ...(notes.length ? { notes: notes.join('; ') } : {}),
    scripts: [...seen.scripts].sort(),
  };
}

/** The SDK never became ready on the page: nothing could be recorded, so there is no figure. */
function notReady(adapter, scenario, seen, where) {
  const notes = [`not measured: the SDK never became ready ${where}`];
  if (seen.pageErrors.length) notes.push(`page errors: ${seen.pageErrors.slice(0, 2).join(' | ')}`);
  if (seen.consoleErrors.length) notes.push(`console errors: ${seen.consoleErrors.slice(0, 2).join(' | ')}`);
  return { sdk: adapter.name, scenario, recorded: null, delivered: null, duplicates: null, notes: notes.join('; '), failed: true };
}

// (1) Record 5 events, then at once (same task) navigate to another page of the same shop.
async function unload(ctx) {
  const { adapter, settings: s } = ctx;
  return withEnv(ctx, async (env, context, seen) => {
    const page = await context.newPage();
    const recorded = [];
    let skipped = 0;
    for (let t = 0; t < s.unloadTrials; t++) {
      await page.goto(`${env.siteUrl}/a`, { waitUntil: 'load', timeout: 15000 });
      if (!(await waitReady(page, s.readyMs))) {
        skipped++;
        continue;
      }
      const trial = ids(`unload_${t}`, 5);
      let n;
      try {
        n = await page.evaluate(([list, nav]) => window.__benchRun(list, nav), [trial, '/b']);
      } catch {
        // The page went away before the result came back; the calls ran synchronously before
        // the navigation could start, so all of them were made.
        n = trial.length;
      }
      recorded.push(...trial.slice(0, n));
      env.mark(`trial ${t}: recorded, navigating`);
      // The next page of the shop, with the SDK on it, as a visitor would see it.
      await page.waitForURL('**/b', { timeout: 15000 }).catch(() => {});
      await page.waitForLoadState('load', { timeout: 15000 }).catch(() => {});
      await waitReady(page, s.readyMs);
    }
    if (!recorded.length) return notReady(adapter, 'unload', seen, `on /a in any of ${s.unloadTrials} trials`);
    const waited = await waitDelivery(env, recorded, { maxMs: s.waitMs, settleMs: s.settleMs });
    const notes = [`${s.unloadTrials} trials × 5 events; waited ${(waited / 1000).toFixed(0)} s on the last page`];
    if (skipped) notes.push(`${skipped} trials skipped: SDK not ready within ${s.readyMs / 1000} s`);
    return row(adapter, 'unload', env, recorded, seen, notes);
  });
}

// (2) Offline: record N events, reload while still offline, go online, visit the shop again.
async function offline(ctx) {
  const { adapter, settings: s } = ctx;
  return withEnv(ctx, async (env, context, seen) => {
    const page = await context.newPage();
    await page.goto(`${env.siteUrl}/a`, { waitUntil: 'load', timeout: 15000 });
    if (!(await waitReady(page, s.readyMs))) return notReady(adapter, 'offline', seen, 'on /a');
    await sleep(1000);
    // Chromium's offline emulation does not hold back the keepalive fetches and beacons a page
    // sends while it unloads (they reached the sink in trials), so the sink is unreachable too
    // for as long as the browser is offline: a device without network reaches nothing.
    await context.setOffline(true);
    await env.sinkDown();
    env.mark('offline (sink down too); recording');
    const list = ids('offline', s.offlineEvents);
    const n = await page.evaluate((l) => window.__benchRun(l), list);
    const recorded = list.slice(0, n);
    await sleep(2000);
    // Still offline: the reload fails (Chromium's offline error page); the SDK's page unloads.
    env.mark('reload while offline');
    await page.reload({ timeout: 10000 }).catch(() => {});
    env.mark(`reload done: ${page.url()}`);
    await sleep(1000);
    await env.sinkUp();
    await context.setOffline(false);
    env.mark('online');
    await sleep(2000);
    env.mark('visit again');
    await page.goto(`${env.siteUrl}/a`, { waitUntil: 'load', timeout: 15000 });
    await waitReady(page, s.readyMs);
    const waited = await waitDelivery(env, recorded, { maxMs: s.waitMs, settleMs: s.settleMs });
    return row(adapter, 'offline', env, recorded, seen, [`waited ${(waited / 1000).toFixed(0)} s after the visit`]);
  });
}

// (3) The collector refuses connections for 30 s while events are recorded, then comes back.
async function collectorDown(ctx) {
  const { adapter, settings: s } = ctx;
  return withEnv(ctx, async (env, context, seen) => {
    const page = await context.newPage();
    await page.goto(`${env.siteUrl}/a`, { waitUntil: 'load', timeout: 15000 });
    if (!(await waitReady(page, s.readyMs))) return notReady(adapter, 'down', seen, 'on /a');
    await sleep(2000);
    await env.sinkDown();
    env.mark('sink down');
    const downAt = Date.now();
    const list = ids('down', s.downEvents);
    const recorded = [];
    const gap = s.downMs / s.downEvents;
    for (let i = 0; i < list.length; i++) {
      await sleep(Math.max(0, downAt + i * gap - Date.now()));
      const n = await page.evaluate((l) => window.__benchRun(l), [list[i]]);
      if (n) recorded.push(list[i]);
    }
    await sleep(Math.max(0, downAt + s.downMs - Date.now()));
    await env.sinkUp();
    env.mark('sink up');
    // Phase A: the same page stays open.
    await waitDelivery(env, recorded, { maxMs: s.downWaitMs, settleMs: s.settleMs });
    const a = env.tally(recorded);
    // Phase B: the visitor goes on to the next page of the shop.
    env.mark('next page');
    await page.goto(`${env.siteUrl}/b`, { waitUntil: 'load', timeout: 15000 }).catch(() => {});
    await waitReady(page, s.readyMs);
    await waitDelivery(env, recorded, { maxMs: s.nextPageWaitMs, settleMs: s.settleMs });
    return row(adapter, 'down', env, recorded, seen, [
      `on the same page within ${s.downWaitMs / 1000} s after the collector came back: ${a.delivered}/${recorded.length}` +
        `${a.duplicates ? `, ${a.duplicates} dup` : ''}; the rest after the next page view`,
    ]);
  });
}

// (4) Three tabs of one browser context each record 200 events, at the same time.
async function tabs(ctx) {
  const { adapter, settings: s } = ctx;
  return withEnv(ctx, async (env, context, seen) => {
    const pages = [];
    for (let k = 0; k < s.tabs; k++) pages.push(await context.newPage());
    await Promise.all(pages.map((p) => p.goto(`${env.siteUrl}/a`, { waitUntil: 'load', timeout: 15000 })));
    const ready = await Promise.all(pages.map((p) => waitReady(p, s.readyMs)));
    if (!ready.every(Boolean)) return notReady(adapter, 'tabs', seen, 'in every tab');
    const lists = pages.map((_, k) => ids(`tabs_${k}`, s.tabEvents));
    const counts = await Promise.all(
      pages.map((p, k) => p.evaluate(([l, gap]) => window.__benchSpaced(l, gap), [lists[k], s.tabGapMs])),
    );
    const recorded = lists.flatMap((l, k) => l.slice(0, counts[k]));
    const waited = await waitDelivery(env, recorded, { maxMs: s.waitMs * 2, settleMs: s.settleMs });
    return row(adapter, 'tabs', env, recorded, seen, [
      `${s.tabs} tabs × ${s.tabEvents} events, one every ${s.tabGapMs} ms per tab; waited ${(waited / 1000).toFixed(0)} s with the tabs open`,
    ]);
  });
}

const SCENARIOS = {
  unload: { run: unload, title: 'unload (5 events, then navigate)' },
  offline: { run: offline, title: 'offline + reload, then online' },
  down: { run: collectorDown, title: 'collector down 30 s' },
  tabs: { run: tabs, title: '3 tabs × 200 events' },
};

module.exports = { SCENARIOS, settingsFor, waitReady, waitDelivery };
