// One start of `spur serve`, taken apart in-process (bench/restart.js --stages runs it as a child
// process per start): the build given by its CLI's bin/spur.js, on the database given. Prints one
// JSON line of ms: process start to this script, loading what `spur serve` loads, opening the
// store (writer thread, WAL recovery, migrations, the read connection), the first write (the
// readiness probe: after an unclean stop, SQLite's automatic checkpoint of the whole WAL may run
// inside it), a full analytics catch-up, building the app, listening. Exits with SIGKILL, as after
// a crash: no checkpoint at close, so every start sees the same files.
//
//   node bench/lib/start-stages.js <path/to/packages/cli/bin/spur.js> <database>
'use strict';
const path = require('node:path');

async function main() {
  const stages = { processToScript: performance.now() };
  const since = (t) => performance.now() - t;
  const [cli, db] = process.argv.slice(2);
  const cliDir = path.dirname(path.dirname(cli));
  let t = performance.now();
  // What `spur serve` loads: the CLI's entry, then the serve command (already loaded by a build
  // whose entry loads every command), which loads the collector.
  require(path.join(cliDir, 'dist/index.js'));
  require(path.join(cliDir, 'dist/commands/serve.js'));
  const collector = require(require.resolve('@spur/collector', { paths: [cliDir] }));
  stages.modules = since(t);
  t = performance.now();
  const storage = await collector.openStorage({ db });
  stages.open = since(t);
  t = performance.now();
  await storage.ping();
  stages.firstWrite = since(t);
  t = performance.now();
  const analytics = await collector.createAnalyticsService(storage, { intervalMs: 3_600_000 }).refresh();
  stages.catchUp = since(t);
  stages.events = analytics.table.length;
  // Last, so that the app's own analytics cache (started at once by a build that does) does not
  // run beside the catch-up measured above.
  t = performance.now();
  const app = collector.createCollector({ storage, writeKeys: { bench: [] } });
  stages.app = since(t);
  t = performance.now();
  await collector.startServer(app, { port: 0, host: '127.0.0.1', storage });
  stages.listen = since(t);
  process.stdout.write(`${JSON.stringify(stages)}\n`, () => process.kill(process.pid, 'SIGKILL'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
