'use strict';
// One run environment per (SDK, scenario): the shop's site (pages /a and /b, the SDK files as a
// local CDN, config stubs) on one port, and the sink (the SDK's collector API) on another, so the
// sink can go down (connection refused) while the site stays up. The sink counts, per bench id,
// how many times an event carrying it arrived in a request that was answered 2xx.
const fs = require('node:fs');
const path = require('node:path');
const { readBody, corsHeaders, switchableServer } = require('./http-util');

const MAX_LOG = 5000;

function page(adapterHead, title) {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${title}</title>
<script>
// Bench driver: records events through the SDK's public API; never part of the SDK under test.
window.__benchRun = function (ids, nav) {
  var n = 0;
  for (var i = 0; i < ids.length; i++) {
    try { window.__benchTrack(ids[i]); n++; } catch (e) { console.error('bench: track threw', e); }
  }
  if (nav) location.href = nav;
  return n;
};
window.__benchSpaced = function (ids, gapMs) {
  return new Promise(function (resolve) {
    var i = 0, n = 0;
    (function next() {
      if (i >= ids.length) return resolve(n);
      try { window.__benchTrack(ids[i]); n++; } catch (e) { console.error('bench: track threw', e); }
      i++;
      setTimeout(next, gapMs);
    })();
  });
};
</script>
${adapterHead}
</head><body><h1>${title}</h1><p><a href="/a">Page A</a> · <a href="/b">Page B</a></p></body></html>`;
}

/**
 * Starts site + sink (+ whatever the adapter needs, e.g. spur's collector).
 * Returns { siteUrl, sinkUrl, counts, requests, siteRequests, sinkDown(), sinkUp(), delivered(ids), close() }.
 */
async function openEnv(adapter, { tmpDir }) {
  let inst = null;
  const counts = new Map(); // bench id -> times received (2xx)
  // bench id -> requests that carried it here, whatever the answer (adapters that say: spur)
  const sent = new Map();
  const requests = []; // sink requests: {t, method, path, status, seqs}
  const siteRequests = []; // site requests: {t, path, status}

  const sink = switchableServer(async (req, res) => {
    const url = new URL(req.url, 'http://sink');
    const body = await readBody(req);
    let out;
    if (req.method === 'OPTIONS' && adapter.name !== 'spur') {
      out = { status: 204, headers: {}, body: '' };
    } else if (!inst) {
      out = { status: 503, headers: {}, body: 'starting' };
    } else {
      try {
        out = await inst.handle(req, url, body);
      } catch (err) {
        out = { status: 500, headers: {}, body: String(err && err.message) };
      }
    }
    const seqs = out.status >= 200 && out.status < 300 ? out.seqs || [] : [];
    for (const s of seqs) counts.set(s, (counts.get(s) || 0) + 1);
    for (const s of out.sent || []) sent.set(s, (sent.get(s) || 0) + 1);
    if (requests.length < MAX_LOG) {
      requests.push({ t: Date.now(), method: req.method, path: url.pathname, status: out.status, seqs });
    }
    const headers = { ...(out.cors === false ? {} : corsHeaders(req)), ...out.headers };
    res.writeHead(out.status, headers);
    res.end(out.body);
  });

  const site = switchableServer(async (req, res) => {
    const url = new URL(req.url, 'http://site');
    await readBody(req);
    const p = url.pathname;
    let status = 200;
    let type = 'text/html; charset=utf-8';
    let body;
    if (p === '/a' || p === '/b') {
      body = page(inst ? inst.head : '', `Bench shop ${adapter.name} ${p.slice(1).toUpperCase()}`);
    } else if (inst && inst.assets[p]) {
      const a = inst.assets[p];
      type = a.type || 'application/javascript';
      body = a.file ? fs.readFileSync(a.file) : a.body;
    } else if (p === '/favicon.ico') {
      status = 204;
      body = '';
    } else {
      status = 404;
      body = 'not found';
    }
    if (siteRequests.length < MAX_LOG) siteRequests.push({ t: Date.now(), path: p, status });
    // The pages must never be served from cache: each visit is a real page load.
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...corsHeaders(req) });
    res.end(body);
  });

  await sink.up();
  await site.up();
  try {
    inst = await adapter.start({ siteUrl: site.url, sinkUrl: sink.url, tmpDir });
  } catch (err) {
    await sink.down();
    await site.down();
    throw err;
  }

  const marks = [];
  return {
    /** Phase markers for the debug timeline (SPUR_BENCH_DEBUG=1). */
    mark: (name) => marks.push({ t: Date.now(), name }),
    /** Sink requests and phase markers in time order, one line each. */
    timeline() {
      const t0 = Math.min(...[...marks, ...requests].map((e) => e.t));
      const lines = [
        ...marks.map((m) => ({ t: m.t, line: `-- ${m.name}` })),
        ...requests.map((r) => ({
          t: r.t,
          line: `${r.method} ${r.path} ${r.status}${r.seqs.length ? ` [${r.seqs.map((x) => x.replace(/^bseq_/, '')).join(' ')}]` : ''}`,
        })),
      ].sort((a, b) => a.t - b.t);
      return lines.map((l) => `${String(l.t - t0).padStart(7)} ms  ${l.line}`).join('\n');
    },
    siteUrl: site.url,
    sinkUrl: sink.url,
    counts,
    requests,
    siteRequests,
    /** Adapter-specific observations for the notes (e.g. spur's collector deduplicating). */
    adapterNotes: () => (inst && inst.notes ? inst.notes() : []),
    sinkDown: () => sink.down(),
    sinkUp: () => sink.up(),
    /**
     * { delivered, duplicates, extraCopies } over the given ids, and where the adapter tells which
     * ids each request carried whatever its answer (spur), { resent, resentCopies }: ids that
     * arrived in more than one request, and the requests beyond the first.
     */
    tally(ids) {
      let delivered = 0;
      let duplicates = 0;
      let extraCopies = 0;
      let resent = 0;
      let resentCopies = 0;
      for (const id of ids) {
        const n = counts.get(id) || 0;
        if (n > 0) delivered++;
        if (n > 1) {
          duplicates++;
          extraCopies += n - 1;
        }
        const m = sent.get(id) || 0;
        if (m > 1) (resent += 1), (resentCopies += m - 1);
      }
      return { delivered, duplicates, extraCopies, ...(adapter.reportsSent && { resent, resentCopies }) };
    },
    async close() {
      await sink.down();
      await site.down();
      if (inst) await inst.close();
    },
  };
}

module.exports = { openEnv, page };
