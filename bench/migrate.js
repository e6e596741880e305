// `spur migrate` throughput: an SQLite database of 1M events (lib/big-database.js: a shop's
// events with their identity links, built once into bench/out/ and reused) copied into a fresh
// database on a durable PostgreSQL server of its own (lib/postgres.js: fsync on,
// synchronous_commit = on), through copySqliteToPostgres of the build. Rows per second of the
// whole copy (all tables, the schema migration and the checks included): the default chunk and
// 5,000 rows alternating, three runs each (one with --quick; the machine's load moves between
// runs, and alternating spreads it over both), then one run at 1,000.
//
//   npm run build && node bench/migrate.js [--quick] [--events N]
'use strict';
const path = require('node:path');
const { Client } = require('pg');
const { bigDatabase } = require('./lib/big-database');
const { machine } = require('./lib/machine');
const { num, table, printSection } = require('./lib/format');
const { startDurablePostgres } = require('./lib/postgres');

const OUT = path.join(__dirname, 'out');
const DEFAULT_CHUNK = 20_000;

/** Runs one statement on the server's postgres database. */
async function admin(cluster, sql) {
  const client = new Client({ connectionString: cluster.url() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One copy into a new database of `cluster`: { rows, seconds, rate }. */
async function copyOnce(cluster, file, chunkRows, round, log) {
  const { copySqliteToPostgres } = require('../packages/collector/dist');
  const name = `spur_migrate_${chunkRows}_${round}`;
  await admin(cluster, `CREATE DATABASE ${name}`);
  const started = process.hrtime.bigint();
  let last = 0;
  const report = await copySqliteToPostgres({
    from: file,
    to: cluster.url(name),
    chunkRows,
    onProgress: (tables) => {
      const done = tables.reduce((s, t) => s + t.done, 0);
      if (done - last >= 200_000) {
        last = done;
        log(`bench/migrate: chunk ${chunkRows}: ${num(done)} rows`);
      }
    },
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rows = report.tables.reduce((s, t) => s + t.copied, 0);
  await admin(cluster, `DROP DATABASE ${name}`);
  return { rows, seconds, rate: rows / seconds, tables: report.tables.map((t) => [t.table, t.copied]) };
}

async function migrateBench({ quick = false, log = console.error, events = 1_000_000 } = {}) {
  const file = path.join(OUT, `migrate-${events}.db`);
  const built = await bigDatabase(file, Infinity, log, { events });
  if (built.built) log(`bench/migrate: built ${path.basename(file)} in ${(built.ms / 1000).toFixed(0)} s`);
  const cluster = await startDurablePostgres();
  try {
    const runs = [];
    const cases = [...Array(quick ? 1 : 3).fill([DEFAULT_CHUNK, 5000]).flat(), ...(quick ? [] : [1000])];
    for (const [round, chunk] of cases.entries()) {
      const run = await copyOnce(cluster, file, chunk, round, log);
      log(`bench/migrate: chunk ${chunk}: ${num(run.rows)} rows in ${run.seconds.toFixed(1)} s, ${num(run.rate)} rows/s`);
      runs.push({ chunk, ...run });
    }
    const byChunk = [...new Set(cases)].map((chunk) => {
      const r = runs.filter((x) => x.chunk === chunk);
      const rates = r.map((x) => x.rate);
      return [
        `${num(chunk)}${chunk === DEFAULT_CHUNK ? ' (the default)' : ''}`,
        r.length,
        num(median(rates)),
        r.length > 1 ? `${num(Math.min(...rates))}–${num(Math.max(...rates))}` : '',
        num(median(r.map((x) => x.seconds)), 1),
      ];
    });
    const m = machine();
    const rows = runs[0].tables.map(([t, n]) => `${t} ${num(n)}`).join(', ');
    const markdown = [
      `Source: ${path.basename(file)} (${num(built.bytes / 2 ** 20)} MiB; ${rows}). Target: PostgreSQL ${cluster.version} ` +
        `on this machine, fsync on, synchronous_commit on. ${m.cpu}, ${m.cores} cores, load ${m.load}.`,
      '',
      table(['Rows per chunk', 'Runs', 'Rows/s (median)', 'Range', 'Seconds (median)'], byChunk),
    ].join('\n');
    return { markdown, targets: [], data: runs };
  } finally {
    await cluster.destroy();
  }
}

module.exports = migrateBench;

if (require.main === module) {
  const argv = process.argv.slice(2);
  const i = argv.indexOf('--events');
  printSection(migrateBench({ quick: argv.includes('--quick'), ...(i !== -1 && { events: Number(argv[i + 1]) }) }));
}
