// Jest global setup: one PostgreSQL server for the whole `npm test` run (cluster.js), its URL
// handed to the test files (and their worker processes) in SPUR_TEST_DATABASE_URL. Each test
// file then makes a database of its own (server.ts). The server runs with fsync=off: tests never
// need what a crash of the machine would lose, and every commit is faster.
//
// This never throws: a machine without PostgreSQL leaves the reason in SPUR_TEST_POSTGRES_SKIP
// (the PostgreSQL tests are skipped, or fail under CI=true), a server that would not start leaves
// it in SPUR_TEST_POSTGRES_ERROR (they fail); the other tests run either way.
'use strict';
const { cleanStale, findPostgres, startCluster } = require('./cluster');

/** Folders of the test servers, `<tmp>/spur-pg-test-<pid>-XXXXXX`. */
const PREFIX = 'spur-pg-test';
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];

module.exports = async function startTestPostgres() {
  for (const name of ['SPUR_TEST_DATABASE_URL', 'SPUR_TEST_POSTGRES_SKIP', 'SPUR_TEST_POSTGRES_ERROR']) delete process.env[name];
  const found = findPostgres();
  if (!found.bindir) {
    process.env.SPUR_TEST_POSTGRES_SKIP = found.reason;
    console.warn(`\npostgres: the PostgreSQL tests will be skipped: ${found.reason}`);
    return;
  }
  try {
    // Servers of runs killed midway (their jest process is gone) are stopped and removed first.
    const stale = cleanStale(PREFIX, found.bindir);
    if (stale.length) console.warn(`\npostgres: stopped and removed ${stale.length} server(s) left by an earlier run: ${stale.join(', ')}`);
    const cluster = await startCluster({ prefix: PREFIX, bindir: found.bindir });
    process.env.SPUR_TEST_DATABASE_URL = cluster.url();
    globalThis.__spurTestPostgres = cluster;
    // Stopped by the global teardown; also when jest exits without it (an error, Ctrl-C).
    const stopNow = () => {
      if (globalThis.__spurTestPostgres === cluster) cluster.destroySync();
      globalThis.__spurTestPostgres = undefined;
    };
    process.once('exit', stopNow);
    for (const signal of SIGNALS) {
      process.once(signal, () => {
        stopNow();
        // Then as if this listener had not been there: the default action, unless jest listens.
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      });
    }
  } catch (err) {
    process.env.SPUR_TEST_POSTGRES_ERROR = `the test PostgreSQL server did not start: ${err.message}`;
    console.error(`\npostgres: ${process.env.SPUR_TEST_POSTGRES_ERROR}`);
  }
};
