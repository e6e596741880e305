// A durable PostgreSQL server for benchmarks: the test server's machinery
// (packages/collector/test/postgres/cluster.js: the system's initdb and pg_ctl, as the postgres
// user when root, a free port on 127.0.0.1, a temp folder), but with PostgreSQL's durable
// defaults: fsync on, full_page_writes on, synchronous_commit = on. A test server runs with fsync
// off; a figure measured on one would promise what a crash of the machine takes back.
'use strict';
const { cleanStale, findPostgres, startCluster } = require('../../packages/collector/test/postgres/cluster');

/** Folders `<tmp>/spur-pg-bench-<pid>-XXXXXX`; those of a bench killed midway are removed at the next start. */
const PREFIX = 'spur-pg-bench';

/**
 * Starts a durable server; resolves to the cluster (`url(name)`, `stop()`, `destroy()`). It is
 * removed when the process exits, also without destroy(). Rejects naming why when the machine has
 * no PostgreSQL binaries.
 */
async function startDurablePostgres(settings = {}) {
  const found = findPostgres();
  if (!found.bindir) throw new Error(found.reason);
  cleanStale(PREFIX, found.bindir);
  const cluster = await startCluster({ prefix: PREFIX, durable: true, bindir: found.bindir, settings });
  const stopNow = () => {
    if (cluster.running) cluster.destroySync();
  };
  process.once('exit', stopNow);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      stopNow();
      process.exit(130);
    });
  }
  return cluster;
}

module.exports = { startDurablePostgres };
