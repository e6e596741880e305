// Markdown output: numbers with units, tables, and the ✅/❌ of a target.
'use strict';

/** 12345.6 -> "12,346"; digits after the point on request. */
function num(value, digits = 0) {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Bytes as "3,912 B (3.8 KB)". */
function bytes(value) {
  if (!Number.isFinite(value)) return 'n/a';
  return value < 1024 ? `${num(value)} B` : `${num(value)} B (${num(value / 1024, 1)} KB)`;
}

/** ✅ when ok, ❌ when not, – when there is nothing to judge. */
function mark(ok) {
  if (ok === undefined || ok === null) return '–';
  return ok ? '✅' : '❌';
}

/** A markdown table from a header row and body rows (cells are strings or numbers). */
function table(header, rows) {
  const esc = (cell) => String(cell ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const line = (cells) => `| ${cells.map(esc).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** A section run on its own (`node bench/x.js`): prints its markdown, or the error with exit code 1. */
function printSection(run) {
  run.then(
    (r) => console.log(r.markdown),
    (err) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}

module.exports = { num, bytes, mark, table, printSection };
