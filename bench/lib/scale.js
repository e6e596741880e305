// What the data-size benchmarks (funnel.js, exports.js) share: sizes on the command line, their
// flags, and a seeded random generator so every run builds the same synthetic shop.
'use strict';

/** "100k", "1M", "250000" -> a count. */
function parseSize(text) {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(text.trim());
  if (!m) throw new Error(`bench: a size is like 100k, 1M or 250000; got ${text}`);
  return Math.round(Number(m[1]) * (m[2] ? (m[2].toLowerCase() === 'k' ? 1e3 : 1e6) : 1));
}

/** The value after flag `name` on the command line `argv`; undefined without the flag. */
function flag(argv, name) {
  const i = argv.indexOf(name);
  return i === -1 ? undefined : argv[i + 1];
}

/** The flags of a sized bench: --child N (one size, in a child process), --sizes, --runs, --builds. */
function sizedArgs(argv, defaults) {
  const get = (name) => flag(argv, name);
  const quick = argv.includes('--quick');
  return {
    child: get('--child'),
    sizes: (get('--sizes') || (quick ? defaults.quickSizes : defaults.sizes)).split(',').map(parseSize),
    runs: Number(get('--runs') || (quick ? defaults.quickRuns : defaults.runs)),
    builds: Number(get('--builds') || (quick ? 2 : 3)),
  };
}

/** A seeded generator of numbers in [0, 1) (mulberry32): the same data on every run. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

module.exports = { parseSize, flag, sizedArgs, random };
