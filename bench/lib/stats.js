// Small statistics for noisy machines: medians and percentiles of repeated runs.
'use strict';

/** The q-quantile (0..1) of numbers, by linear interpolation; NaN for an empty list. */
function quantile(values, q) {
  const xs = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!xs.length) return NaN;
  const pos = (xs.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo);
}

const median = (values) => quantile(values, 0.5);

/** Median plus the spread of the runs, for "1.2 ms (1.0–1.9, n=15)". */
function summary(values) {
  const xs = values.filter(Number.isFinite);
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
}

module.exports = { quantile, median, summary };
