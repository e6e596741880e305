// The first funnel of a restarted `spur serve --database-url` (bench/first-funnel.js on
// PostgreSQL): N stored events of bench/lib/shop-events.js's shop, written once through this
// build's storage.append into a durable server of its own (bench/lib/postgres.js, on the same
// cores as the collector), then `spur serve` of each build started on it in turn, alternated, and
// a funnel export asked for the moment it listens. Both builds read the same database (the
// schema is the same); the first start records the shop's Cart Abandoned events, later starts
// find them stored. Times from spawning the process; its CPU time (user + system, all threads)
// up to the answer, per stored event, and its RSS then; the server's own CPU is not in it.
//
//   npm run build && node bench/postgres-first-funnel.js                 # 1M events, 3 starts per build
//   node bench/postgres-first-funnel.js --size 200K --runs 5
//   node bench/postgres-first-funnel.js --before bench/out/before-tree   # main's build (the default)
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { Client } = require('pg');
const { oneStart, median } = require('./first-funnel');
const { num, table } = require('./lib/format');
const { startDurablePostgres } = require('./lib/postgres');
const { parseSize } = require('./lib/scale');
const { appendShop } = require('./lib/shop-events');

const ROOT = path.join(__dirname, '..');

function args(argv) {
  const get = (name, fallback) => {
    const i = argv.indexOf(name);
    return i === -1 ? fallback : argv[i + 1];
  };
  return {
    size: parseSize(get('--size', '1M')),
    runs: Number(get('--runs', 3)),
    before: path.resolve(get('--before', path.join(__dirname, 'out', 'before-tree'))),
  };
}

async function store(url, size, log) {
  const { openStorage, createStore } = require(path.join(ROOT, 'packages/collector/dist'));
  const storage = createStore(await openStorage({ db: url }));
  try {
    await appendShop(storage, size, { log, label: 'bench/postgres-first-funnel: stored', every: 100_000 });
  } finally {
    await storage.close();
  }
}

async function main() {
  const o = args(process.argv.slice(2));
  const log = (line) => console.error(line);
  const builds = [{ name: 'after', tree: ROOT }];
  if (fs.existsSync(path.join(o.before, 'packages/cli/bin/spur.js'))) builds.unshift({ name: 'before', tree: o.before });
  const cluster = await startDurablePostgres();
  try {
    const admin = new Client({ connectionString: cluster.url() });
    await admin.connect();
    await admin.query('CREATE DATABASE first_funnel');
    await admin.end();
    const url = cluster.url('first_funnel');
    await store(url, o.size, log);
    const runs = Object.fromEntries(builds.map((b) => [b.name, []]));
    for (let i = 0; i < o.runs; i++) {
      for (const build of builds) {
        const r = await oneStart(build.tree, null, ['--database-url', url]);
        log(`bench/postgres-first-funnel: ${build.name}: funnel ${Math.round(r.funnelMs)} ms, CPU ${r.cpu.toFixed(1)} s (main thread ${r.mainCpu.toFixed(1)} s), RSS ${Math.round(r.rss / 2 ** 20)} MiB`);
        runs[build.name].push(r);
      }
    }
    const fmt = (xs) => `${num(Math.round(median(xs)))} ms (${num(Math.round(Math.min(...xs)))}–${num(Math.round(Math.max(...xs)))})`;
    console.log(
      table(
        ['Events', 'Build', 'Listening', 'First funnel answered', 'CPU to the answer, per event', 'of it the main thread', 'RSS after', 'Funnel units'],
        builds.map(({ name }) => {
          const rs = runs[name];
          const cpu = median(rs.map((r) => r.cpu));
          const main = median(rs.map((r) => r.mainCpu));
          return [
            num(o.size),
            name,
            fmt(rs.map((r) => r.listening)),
            fmt(rs.map((r) => r.funnelMs)),
            `${((cpu / o.size) * 1e6).toFixed(2)} µs (${cpu.toFixed(1)} s)`,
            `${((main / o.size) * 1e6).toFixed(2)} µs (${main.toFixed(1)} s)`,
            `${num(Math.round(median(rs.map((r) => r.rss)) / 2 ** 20))} MiB`,
            rs[0].units.map((u) => num(u)).join(' → '),
          ];
        }),
      ),
    );
    console.log(`\nMedians of ${o.runs} start(s) per build, alternated; times from spawning \`spur serve --database-url\`.`);
  } finally {
    await cluster.destroy();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
