// Summaries of V8 CPU profiles (CDP Profiler / node --cpu-prof): where the time went, by self
// time and by inclusive time, with positions in minified code mapped back through a source map.
'use strict';
const fs = require('node:fs');

function loadSourceMap(file) {
  try {
    const { SourceMapConsumer } = require('source-map');
    return new SourceMapConsumer(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch {
    return null; // no source map or no library: raw positions are reported
  }
}

/**
 * `profile` is a V8 CPU profile ({nodes, samples, timeDeltas}). `maps` maps a URL suffix to a
 * source map file for naming minified frames. Returns { totalMs, self: [{name, ms}], inclusive:
 * [{name, ms}] } sorted by time, names as "fn (file:line)".
 */
function summarizeProfile(profile, { maps = {}, filter } = {}) {
  const consumers = Object.fromEntries(Object.entries(maps).map(([suffix, file]) => [suffix, loadSourceMap(file)]));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);

  const names = new Map();
  function nameOf(node) {
    if (names.has(node.id)) return names.get(node.id);
    const f = node.callFrame;
    let where = f.url ? `${f.url.replace(/^.*\//, '')}:${f.lineNumber + 1}:${f.columnNumber + 1}` : '';
    let fn = f.functionName || '(anonymous)';
    const suffix = Object.keys(consumers).find((s) => f.url && f.url.endsWith(s));
    const consumer = suffix && consumers[suffix];
    if (consumer && f.lineNumber >= 0) {
      const pos = consumer.originalPositionFor({ line: f.lineNumber + 1, column: f.columnNumber });
      if (pos.source) {
        where = `${pos.source.replace(/^.*\/src\//, '')}:${pos.line}`;
        if (pos.name && (!f.functionName || f.functionName.length <= 2)) fn = pos.name;
      }
    }
    const name = where ? `${fn} (${where})` : fn;
    names.set(node.id, name);
    return name;
  }

  const self = new Map();
  const inclusive = new Map();
  let total = 0;
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    // The time of sample i is the gap to the next sample (V8's convention in DevTools).
    const dt = (i + 1 < timeDeltas.length ? timeDeltas[i + 1] : 0) / 1000;
    if (dt <= 0) continue;
    const node = byId.get(samples[i]);
    if (filter && !filter(node.callFrame)) continue;
    total += dt;
    const leaf = nameOf(node);
    self.set(leaf, (self.get(leaf) || 0) + dt);
    const seen = new Set();
    for (let id = node.id; id !== undefined; id = parent.get(id)) {
      const n = nameOf(byId.get(id));
      if (seen.has(n)) continue;
      seen.add(n);
      inclusive.set(n, (inclusive.get(n) || 0) + dt);
    }
  }
  const sorted = (m) => [...m].map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms);
  return { totalMs: total, self: sorted(self), inclusive: sorted(inclusive) };
}

module.exports = { summarizeProfile };
