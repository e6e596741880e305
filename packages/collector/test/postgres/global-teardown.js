// Jest global teardown: stops the run's PostgreSQL server and removes its folder, whatever the
// tests did (jest runs the teardown after failed tests too).
'use strict';

module.exports = async function stopTestPostgres() {
  const cluster = globalThis.__spurTestPostgres;
  globalThis.__spurTestPostgres = undefined;
  if (cluster) await cluster.destroy();
};
