// What PostgreSQL takes of SDK-shaped events, durably (fsync on, synchronous_commit = on), on
// a server of its own (bench/lib/postgres.js): a bare multi-row INSERT … ON CONFLICT
// (message_id) DO NOTHING, one statement and one commit per batch, several in flight; and the
// collector's group commit (packages/collector/src/storage/postgres/group-commit.ts), where
// callers of 20 events each share transactions. Each run gets a fresh, migrated database (the
// real events table with its indexes). Needs the build (`npm run build`): it loads
// packages/collector/dist.
//
//   node bench/postgres-insert.js [--quick] [--seconds N]
'use strict';
const { Client } = require('pg');
const { randomUUID } = require('node:crypto');
const { batchFactory } = require('./lib/events');
const { num, table } = require('./lib/format');
const { machine } = require('./lib/machine');
const { startDurablePostgres } = require('./lib/postgres');
const { connectPostgres } = require('../packages/collector/dist/storage/postgres/connection');
const { migrate } = require('../packages/collector/dist/storage/postgres/migrations');
const { createEventGroupCommit } = require('../packages/collector/dist/storage/postgres/group-commit');

const COLUMNS = ['messageId', 'type', 'anonymousId', 'userId', 'timestamp', 'receivedAt', 'writeKey', 'body'];

/**
 * `next()` -> `size` event rows as the collector stores them (stored JSON body, context reduced
 * as the collector reduces it), with never-repeating messageIds. Bodies are prebuilt around the
 * id, so the generator spends little of the CPU the server needs.
 */
function rowFactory(size) {
  const factory = batchFactory(size);
  const receivedAt = new Date().toISOString();
  const templates = Array.from({ length: 50 }, () =>
    JSON.parse(factory.next()).batch.map((e) => {
      const { userAgent: _ua, ...context } = e.context;
      const stored = {
        ...e,
        messageId: '@ID@',
        context: { ...context, device: { type: 'desktop' }, browser: { name: 'Chrome' }, os: { name: 'macOS' }, ip: '127.0.0.0' },
        originalTimestamp: e.timestamp,
        receivedAt,
        sentAt: receivedAt,
      };
      const [head, tail] = JSON.stringify(stored).split('@ID@');
      return { type: e.type, anonymousId: e.anonymousId, timestamp: e.timestamp, head, tail };
    }),
  );
  const prefix = randomUUID();
  let made = 0;
  let turn = 0;
  return () =>
    templates[turn++ % templates.length].map((t) => {
      const messageId = `${prefix}-${made++}`;
      return { messageId, type: t.type, anonymousId: t.anonymousId, userId: null, timestamp: t.timestamp, receivedAt, writeKey: 'bench', body: t.head + messageId + t.tail };
    });
}

/** INSERT … VALUES ($1 … $8), ($9 … $16) … for `rows` rows: the bare multi-row statement. */
function valuesInsert(rows) {
  const tuples = Array.from({ length: rows }, (_, r) => `(${COLUMNS.map((_c, c) => `$${r * COLUMNS.length + c + 1}`).join(', ')})`);
  return `INSERT INTO events (message_id, type, anonymous_id, user_id, timestamp, received_at, write_key, body)
    VALUES ${tuples.join(', ')} ON CONFLICT (message_id) DO NOTHING`;
}

/** Runs `lanes` loops of `step()` (resolving to rows stored) for `seconds`; rows per second. */
async function drive(lanes, seconds, step) {
  let rows = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (performance.now() < deadline) {
        const stored = await step(); // not `rows += await step()`: that reads rows before the await
        rows += stored;
      }
    }),
  );
  return rows / ((performance.now() - start) / 1000);
}

async function fresh(cluster) {
  const admin = new Client({ connectionString: cluster.url() });
  await admin.connect();
  const name = `bench_${randomUUID().replace(/-/g, '')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return cluster.url(name);
}

/** One configuration on a fresh database: rows/s, rows per transaction, WAL bytes per row. */
async function measure(cluster, config, seconds) {
  const url = await fresh(cluster);
  const connection = connectPostgres({ url, maxConnections: config.lanes + 2 });
  try {
    await migrate(connection);
    const wal = async () => (await connection.query('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0].lsn;
    const lsnBytes = (lsn) => {
      const [hi, lo] = lsn.split('/');
      return parseInt(hi, 16) * 2 ** 32 + parseInt(lo, 16);
    };
    const next = rowFactory(config.batch);
    const walBefore = lsnBytes(await wal());
    let rowsPerSec;
    if (config.kind === 'bare') {
      const text = valuesInsert(config.batch);
      rowsPerSec = await drive(config.lanes, seconds, async () => {
        const rows = next();
        const values = [];
        for (const r of rows) for (const c of COLUMNS) values.push(r[c]);
        return (await connection.query(text, values)).rowCount;
      });
    } else {
      const commits = createEventGroupCommit(connection, { maxInFlight: config.inFlight });
      rowsPerSec = await drive(config.lanes, seconds, async () => (await commits.submit(next())).filter(Boolean).length);
    }
    const walBytes = lsnBytes(await wal()) - walBefore;
    const { rows } = await connection.query('SELECT count(*)::int AS n, count(DISTINCT xid)::int AS tx FROM events');
    return { rowsPerSec, rowsPerTx: rows[0].n / rows[0].tx, walPerRow: walBytes / rows[0].n, rows: rows[0].n };
  } finally {
    await connection.close();
  }
}

const CONFIGS = [
  { kind: 'bare', label: 'bare INSERT … VALUES, 20 rows, 16 in flight', batch: 20, lanes: 16 },
  { kind: 'bare', label: 'bare INSERT … VALUES, 100 rows, 8 in flight', batch: 100, lanes: 8 },
  { kind: 'bare', label: 'bare INSERT … VALUES, 1,000 rows, 2 in flight', batch: 1000, lanes: 2 },
  { kind: 'group', label: 'group commit, 16 callers of 20 events, 1 transaction in flight', batch: 20, lanes: 16, inFlight: 1 },
  { kind: 'group', label: 'group commit, 16 callers of 20 events, 2 in flight', batch: 20, lanes: 16, inFlight: 2 },
  { kind: 'group', label: 'group commit, 16 callers of 20 events, 4 in flight (default)', batch: 20, lanes: 16, inFlight: 4 },
  { kind: 'group', label: 'group commit, 16 callers of 20 events, 8 in flight', batch: 20, lanes: 16, inFlight: 8 },
  { kind: 'group', label: 'group commit, 64 callers of 20 events, 4 in flight', batch: 20, lanes: 64, inFlight: 4 },
];

async function main() {
  const quick = process.argv.includes('--quick');
  const at = process.argv.indexOf('--seconds');
  const seconds = at > 0 ? Number(process.argv[at + 1]) : quick ? 3 : 8;
  const rounds = quick ? 1 : 3;
  const cluster = await startDurablePostgres();
  const results = CONFIGS.map(() => []);
  try {
    // Rounds alternate the configurations, so that a neighbour's load spreads over all of them.
    for (let round = 0; round < rounds; round++) {
      for (const [i, config] of CONFIGS.entries()) {
        results[i].push(await measure(cluster, config, seconds));
        process.stderr.write('.');
      }
    }
  } finally {
    await cluster.destroy();
  }
  process.stderr.write('\n');
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const m = machine();
  console.log(`PostgreSQL ${cluster.version}, fsync on, synchronous_commit on; ${m.cpu}, ${m.cores} cores, load ${m.load}; ` +
    `${rounds} round(s) of ${seconds} s per configuration\n`);
  console.log(
    table(
      ['Configuration', 'Rows/s (median)', 'Range', 'Rows per transaction', 'WAL bytes per row'],
      CONFIGS.map((c, i) => {
        const r = results[i];
        const rates = r.map((x) => x.rowsPerSec);
        return [c.label, num(median(rates)), `${num(Math.min(...rates))}–${num(Math.max(...rates))}`, num(median(r.map((x) => x.rowsPerTx)), 1), num(median(r.map((x) => x.walPerRow)))];
      }),
    ),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
