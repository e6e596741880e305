// Ingest throughput and latency of the collector, as a separate process on a fresh SQLite file
// (WAL, synchronous=FULL, group commit: as shipped), against the ceiling of this machine: a bare
// node:http server that only parses the JSON. Load: autocannon, in this process, 16 keep-alive
// connections on loopback, POST /v1/batch with 20 unique events per request.
// Every collector run is checked: the events stored in the file equal the events acknowledged.
'use strict';
const autocannon = require('autocannon');
const { startCollector, startBare, countStored, cleanup, tempDir } = require('./lib/collector');
const { batchFactory } = require('./lib/events');
const { pacedLoad } = require('./lib/paced-load');
const { summarizeProfile } = require('./lib/cpu-profile');
const { storageFloor } = require('./lib/storage-floor');
const { median } = require('./lib/stats');
const { num, mark, table, printSection } = require('./lib/format');
const fs = require('node:fs');
const path = require('node:path');

const CONNECTIONS = 16;
const BATCH = 20;
const RATIO_TARGET = 0.5;
const FIXED_RATE = 250; // requests/s = 5,000 events/s
const P99_TARGET_MS = 50;
/** Warm-up requests per warm-up second (about a second of full load for the collector). */
const WARMUP_REQUESTS = 600;
const WRITE_KEY = 'bench';
const HEADERS = {
  'content-type': 'application/json',
  authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`,
};

/** Adds one 2xx answer of the collector to `counts`. */
function tally(counts, body) {
  try {
    const answer = JSON.parse(body);
    counts.accepted += answer.accepted;
    counts.duplicates += answer.duplicates;
    counts.rejected += answer.rejected.length;
  } catch {
    counts.errors++;
  }
}

/**
 * CPU seconds a process has used so far (user + system, all its threads), from /proc; null where
 * there is no /proc. Clock ticks are USER_HZ, 100 on Linux.
 */
function processCpuSeconds(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/**
 * One closed-loop autocannon run of `amount` requests (each connection sends its next request
 * when the answer to the last one is in). Every body is fresh (unique messageIds). Resolves once
 * every request has its answer, to counts, latency percentiles (ms), the wall time, and the CPU
 * the server process (`pid`) and this process (the load generator) used, in cores.
 */
function load(url, { amount, factory, pid, maxSeconds = 120 }) {
  const counts = { ok: 0, accepted: 0, duplicates: 0, rejected: 0, errors: 0 };
  const serverCpu = processCpuSeconds(pid);
  const ownCpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  // The wall time ends at the last answer. The load generator calls back only at its next 1 s
  // sample tick, so its own end time rounds every run up to whole seconds: 0.8 s counted as 1 s.
  let lastAnswer = started;
  // CPU taken at the last answer too, for the same reason; an errored request leaves no answer,
  // and then the end of the call stands in.
  let answers = 0;
  let cpuAtEnd = null;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections: CONNECTIONS,
        pipelining: 1,
        amount,
        timeout: 30,
        requests: [
          {
            method: 'POST',
            path: '/v1/batch',
            headers: HEADERS,
            setupRequest: (req) => ({ ...req, body: factory.next() }),
            onResponse: (status, body) => {
              lastAnswer = process.hrtime.bigint();
              if (++answers === amount) cpuAtEnd = { server: processCpuSeconds(pid), own: process.cpuUsage(ownCpu) };
              if (status < 200 || status > 299) return;
              counts.ok++;
              tally(counts, body);
            },
          },
        ],
      },
      (err, result) => {
        clearTimeout(guard);
        if (err) return reject(err);
        const seconds = Number(lastAnswer - started) / 1e9;
        const cpu = cpuAtEnd ?? { server: processCpuSeconds(pid), own: process.cpuUsage(ownCpu) };
        const cpuSeconds = cpuAtEnd ? seconds : Number(process.hrtime.bigint() - started) / 1e9;
        resolve({
          ...counts,
          seconds,
          serverCores: cpu.server === null || serverCpu === null ? NaN : (cpu.server - serverCpu) / cpuSeconds,
          loadCores: (cpu.own.user + cpu.own.system) / 1e6 / cpuSeconds,
          requests: counts.ok,
          errors: counts.errors + result.errors + result.timeouts,
          non2xx: result.non2xx,
          eventsPerSec: counts.accepted / seconds,
          p50: result.latency.p50,
          p99: result.latency.p99,
        });
      },
    );
    // Bounded whatever the server does.
    const guard = setTimeout(() => instance.stop(), maxSeconds * 1000);
  });
}

/** The fixed-rate run: open loop, `rate` requests/s (see lib/paced-load.js). */
async function paced(url, { amount, rate, factory }) {
  const counts = { accepted: 0, duplicates: 0, rejected: 0, errors: 0 };
  const r = await pacedLoad(url, {
    rate,
    amount,
    connections: CONNECTIONS,
    headers: HEADERS,
    body: () => factory.next(),
    onAnswer: (body) => tally(counts, body),
  });
  return { ...r, ...counts, errors: r.errors + counts.errors, eventsPerSec: counts.accepted / r.seconds };
}

/** Collector run: fresh file, warm-up, measured run, stop, then stored == acknowledged? */
async function collectorRun({ seconds, warmup, rate, profileDir }) {
  const collector = await startCollector({
    writeKeys: WRITE_KEY,
    nodeArgs: profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [],
  });
  const factory = batchFactory(BATCH);
  try {
    // Amounts, not durations: autocannon cuts a timed run with requests in flight, whose events
    // are stored but never acknowledged; with an amount every request gets its answer. The
    // warm-up's rate sizes the measured run to about `seconds`.
    let run;
    let warm;
    if (rate) {
      warm = await paced(collector.url, { amount: Math.round(rate * warmup), rate, factory });
      run = await paced(collector.url, { amount: Math.round(rate * seconds), rate, factory });
    } else {
      warm = await load(collector.url, { amount: WARMUP_REQUESTS * warmup, factory, pid: collector.pid });
      const amount = Math.max(50, Math.round((warm.requests / warm.seconds) * seconds));
      run = await load(collector.url, { amount, factory, pid: collector.pid });
    }
    await collector.stop();
    const stored = countStored(collector.db);
    const acknowledged = warm.accepted + run.accepted;
    return { ...run, stored: stored.events, acknowledged, sentEvents: factory.made, honest: stored.events === acknowledged && stored.rejected === 0 };
  } finally {
    await collector.stop();
    cleanup(collector.dir);
  }
}

async function bareRun({ seconds, warmup }) {
  const bare = await startBare();
  const factory = batchFactory(BATCH);
  try {
    const warm = await load(bare.url, { amount: WARMUP_REQUESTS * warmup * 4, factory, pid: bare.pid });
    const amount = Math.max(50, Math.round((warm.requests / warm.seconds) * seconds));
    return await load(bare.url, { amount, factory, pid: bare.pid });
  } finally {
    await bare.stop();
  }
}

/**
 * Runs a collector under full load with `node --cpu-prof` and summarises where its time went, per
 * thread: node writes one profile per thread (CPU.<date>.<time>.<pid>.<thread id>.<n>.cpuprofile),
 * the main thread (id 0: HTTP and validation) first, then the SQLite writer and the checkpointer.
 * Resolves to { events, threads: [{ thread, totalMs, self, inclusive }] }; `events` is what the
 * profiled process acknowledged (warm-up and measured run).
 */
async function profileCollector(seconds) {
  const dir = tempDir('profile');
  try {
    const run = await collectorRun({ seconds, warmup: 1, profileDir: dir });
    const threadOf = (f) => Number(f.split('.')[4]);
    const files = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .sort((a, b) => threadOf(a) - threadOf(b));
    // `spur serve` starts the writer thread when it opens the database, the checkpointer later.
    const names = ['main thread', 'SQLite writer thread', 'checkpointer thread'];
    const threads = files.map((f) => ({
      thread: names[threadOf(f)] ?? `thread ${threadOf(f)}`,
      ...summarizeProfile(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))),
    }));
    return { events: run.acknowledged, threads };
  } finally {
    cleanup(dir);
  }
}

// Ingest stages by where a profile's self time lands: [stage, test on (function, file)]. The
// first match counts; a native call (JSON.parse, a statement's run, COMMIT with its fsync) is
// self time of the JavaScript function that made it.
const STAGES = [
  ['idle (waiting for requests, answers or the disk)', (fn) => fn === '(idle)'],
  ['garbage collection', (fn) => fn === '(garbage collector)'],
  ['body to text + JSON.parse', (fn) => fn === 'parseJson' || fn === 'readPlainBody'],
  ['validation', (fn, file) => file === 'validate.js'],
  [
    'row building: StoredEvent, JSON.stringify of the body',
    (fn, file) => ['stored-event.js', 'useragent.js', 'ip.js'].includes(file) || fn === 'toRows',
  ],
  [
    'hand-off between threads (postMessage, group commit)',
    (fn, file) => fn === 'postMessage' || ['storage.js', 'group-commit.js', 'writer-thread.js', 'writer-link.js'].includes(file),
  ],
  ['COMMIT: WAL write + fsync (+ SQLite automatic checkpoint)', (fn) => fn === 'sqliteTransaction' || fn === 'commitTransaction'],
  ['the rules: suppression, duplicates, identity (rules/append.js)', (fn, file) => ['append.js', 'identity.js', 'suppression.js', 'conflicts.js'].includes(file)],
  ['SQLite inserts (events, runs, identity)', (fn, file) => ['writer.js', 'transaction.js', 'rejected.js'].includes(file)],
  ['PASSIVE checkpoint', (fn, file) => fn === 'pragma' || file === 'checkpoint-thread.js'],
  // On the main thread: node's HTTP parser and response writing, Express, the ingest handler.
  ['everything else', () => true],
];

/** Rows of per-stage time per event (µs), per thread, from profileCollector's result. */
function stageRows({ events, threads }) {
  const rows = [];
  for (const t of threads) {
    const byStage = new Map();
    for (const { name, ms } of t.self) {
      const m = /^(.*?)(?: \((?:.*\/)?([^/:]+):\d+:\d+\))?$/.exec(name);
      const [fn, file] = [m[1], m[2] ?? ''];
      const stage = STAGES.find(([, test]) => test(fn, file))[0];
      byStage.set(stage, (byStage.get(stage) || 0) + ms);
    }
    for (const [stage] of STAGES) {
      const ms = byStage.get(stage);
      if (ms >= 0.005 * t.totalMs) rows.push([t.thread, stage, num((ms * 1000) / events, 2), `${num((100 * ms) / t.totalMs, 1)} %`]);
    }
  }
  return rows;
}

// CPU of a full-load run in cores (of this machine's os.availableParallelism()): is either side short of CPU?
const cpu = (r) => `CPU: server ${num(r.serverCores, 2)} cores, load generator ${num(r.loadCores, 2)}`;
const medianCpu = (runs) => ({ serverCores: median(runs.map((r) => r.serverCores)), loadCores: median(runs.map((r) => r.loadCores)) });

const range = (xs, digits = 0) => `${num(Math.min(...xs), digits)}–${num(Math.max(...xs), digits)}`;

/** Runs section 3. Resolves to { markdown, targets, data }. */
module.exports = async function ingest({ quick = false, log = console.error, profile = false } = {}) {
  const reps = 3;
  const seconds = quick ? 5 : 12;
  const warmup = quick ? 1 : 3;
  log(`ingest: ${reps} × (collector, bare ceiling, fixed ${FIXED_RATE} req/s), ${seconds} s each after ${warmup} s warm-up`);
  const full = [];
  const bare = [];
  const fixed = [];
  for (let i = 0; i < reps; i++) {
    const c = await collectorRun({ seconds, warmup });
    log(
      `  collector ${i + 1}: ${num(c.eventsPerSec)} events/s, p50 ${c.p50} ms, p99 ${c.p99} ms; ${cpu(c)}; ` +
        `stored ${c.stored} / acknowledged ${c.acknowledged}${c.honest ? '' : ' MISMATCH'}; non-2xx ${c.non2xx}, errors ${c.errors}`,
    );
    full.push(c);
    const b = await bareRun({ seconds, warmup });
    log(`  bare      ${i + 1}: ${num(b.eventsPerSec)} events/s, p50 ${b.p50} ms, p99 ${b.p99} ms; ${cpu(b)}`);
    bare.push(b);
    const f = await collectorRun({ seconds, warmup: 2, rate: FIXED_RATE });
    log(
      `  fixed     ${i + 1}: ${num(f.eventsPerSec)} events/s, p50 ${num(f.p50, 1)} ms, p99 ${num(f.p99, 1)} ms; ` +
        `stored ${f.stored} / acknowledged ${f.acknowledged}${f.honest ? '' : ' MISMATCH'}`,
    );
    fixed.push(f);
  }
  const floors = [];
  for (let i = 0; i < reps; i++) floors.push((await storageFloor({ seconds: Math.min(seconds, 6), inFlight: CONNECTIONS, batch: BATCH })).eventsPerSec);
  log(`  storage alone: ${floors.map((x) => num(x)).join(', ')} events/s`);
  const floor = median(floors);
  const eps = median(full.map((r) => r.eventsPerSec));
  const ceiling = median(bare.map((r) => r.eventsPerSec));
  // Ratio per repetition (each collector run next to its own ceiling run), then the median.
  const ratio = median(full.map((r, i) => r.eventsPerSec / bare[i].eventsPerSec));
  const fixedP99 = median(fixed.map((r) => r.p99));
  const honest = [...full, ...fixed].every((r) => r.honest && r.non2xx === 0 && r.errors === 0);

  const rows = [
    [
      `collector, full load (${CONNECTIONS} connections)`,
      `${num(eps)} events/s`,
      range(full.map((r) => r.eventsPerSec)),
      `p50 ${num(median(full.map((r) => r.p50)), 1)} ms, p99 ${num(median(full.map((r) => r.p99)), 1)} ms; ${cpu(medianCpu(full))}`,
      '',
      '',
    ],
    [
      'bare node:http + JSON.parse (ceiling)',
      `${num(ceiling)} events/s`,
      range(bare.map((r) => r.eventsPerSec)),
      `p50 ${num(median(bare.map((r) => r.p50)), 1)} ms, p99 ${num(median(bare.map((r) => r.p99)), 1)} ms; ${cpu(medianCpu(bare))}`,
      '',
      '',
    ],
    [
      'storage alone: openStorage().append(), in-process, no HTTP',
      `${num(floor)} events/s`,
      range(floors),
      `${num(floor / ceiling, 2)} × the ceiling: the most the collector could reach`,
      '',
      '',
    ],
    ['collector ÷ ceiling', num(ratio, 2), range(full.map((r, i) => r.eventsPerSec / bare[i].eventsPerSec), 2), '', `≥ ${RATIO_TARGET}`, mark(ratio >= RATIO_TARGET)],
    [
      `collector at a fixed ${num(FIXED_RATE * BATCH)} events/s (${FIXED_RATE} req/s)`,
      `p99 ${num(fixedP99, 1)} ms`,
      range(fixed.map((r) => r.p99), 1),
      `p50 ${num(median(fixed.map((r) => r.p50)), 1)} ms; achieved ${num(median(fixed.map((r) => r.eventsPerSec)))} events/s`,
      `p99 < ${P99_TARGET_MS} ms`,
      mark(fixedP99 < P99_TARGET_MS),
    ],
    [
      'stored rows = acknowledged events (every collector run)',
      honest ? 'yes' : 'NO',
      `${full.concat(fixed).map((r) => `${r.stored}/${r.acknowledged}`).join(', ')}`,
      'counted in the SQLite file after SIGTERM',
      'equal',
      mark(honest),
    ],
  ];
  const bodyBytes = Buffer.byteLength(batchFactory(BATCH).next());
  const notes = [];
  if (profile || ratio < RATIO_TARGET) {
    const profile = await profileCollector(seconds);
    notes.push(
      '',
      `Where the collector's time goes under full load, per stage and thread (\`node --cpu-prof\`, which slows the collector; ` +
        `${num(profile.events)} events; wall time of each thread, so idle and blocking calls count):`,
      '',
      table(['Thread', 'Stage', 'µs per event', 'Share of the thread'], stageRows(profile)),
    );
    for (const p of profile.threads) {
      notes.push(
        '',
        `Collector CPU profile under full load, ${p.thread} (${num(p.totalMs / 1000, 1)} s sampled; self time):`,
        '',
        ...p.self.slice(0, 12).map((x) => `- ${num((100 * x.ms) / p.totalMs, 1)} % ${x.name}`),
      );
    }
  }
  const markdown = [
    `\`POST /v1/batch\`, ${BATCH} unique events per request (${num(bodyBytes / BATCH)} B per event, ${num(bodyBytes)} B per body), ` +
      `${CONNECTIONS} keep-alive connections on 127.0.0.1, autocannon in the bench process; collector = \`spur serve\` on a fresh SQLite file ` +
      `(WAL, synchronous=FULL). Full load: closed loop (autocannon, a fixed number of requests ≈ ${seconds} s). ` +
      `Fixed rate: open loop, one request every ${1000 / FIXED_RATE} ms, latency counted from when it was due (bench/lib/paced-load.js). ` +
      `Median of ${reps} repetitions, each after a warm-up.`,
    '',
    table(['Measure', 'Median', 'Range', 'Latency', 'Target', ''], rows),
    ...notes,
  ].join('\n');
  return {
    markdown,
    targets: [
      { name: `ingest ≥ ${RATIO_TARGET} × ceiling`, ok: ratio >= RATIO_TARGET },
      { name: `p99 < ${P99_TARGET_MS} ms at ${FIXED_RATE * BATCH} events/s`, ok: fixedP99 < P99_TARGET_MS },
      { name: 'stored = acknowledged', ok: honest },
    ],
    data: { full, bare, fixed, floors, eps, ceiling, ratio },
  };
};

if (require.main === module) {
  printSection(module.exports({ quick: process.argv.includes('--quick'), profile: process.argv.includes('--profile') }));
}

module.exports.profileCollector = profileCollector;
module.exports.collectorRun = collectorRun;
