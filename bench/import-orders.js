// `spur import orders` of 1M line items (300,000 orders) into a fresh SQLite file (issue 17.1,
// target 60 s), then the same file again into that database (every order a duplicate: the
// lookups of what is stored). Each run is the real command in a child process
// (`node packages/cli/bin/spur.js import orders FILE --db NEW.db`), timed from spawn to exit,
// with its CPU time (all threads, user + system; lib/cpu-at-exit.js) and peak memory; medians
// over the runs, with the load average beside them.
//
//   npm run build && node bench/import-orders.js [--quick] [--rows 1000000]
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { machine } = require('./lib/machine');
const { num, mark, table, printSection } = require('./lib/format');
const { median } = require('./lib/stats');

const SPUR = path.join(__dirname, '../packages/cli/bin/spur.js');
const TARGET_S = 60;
const HEADER = 'order_id,customer_id,email,phone,date,channel,sku,name,quantity,price,currency';
const CHANNELS = ['phone', 'store', 'fax', 'email', 'marketplace'];

// A deterministic file: orders of 1 to 6 line items (3.33 on average, so 1M rows make ~300,000
// orders), a third with a customer id, a third with an email, the rest with a phone number; dates
// over two years; 2,000 products.
async function writeCsv(file, rows) {
  const out = fs.createWriteStream(file);
  let seed = 17;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const start = Date.parse('2024-11-01T00:00:00Z');
  let written = 0;
  let orders = 0;
  let chunk = `${HEADER}\n`;
  while (written < rows) {
    orders++;
    const lines = Math.min(rows - written, 1 + Math.floor(rand() * 6));
    const who = orders % 3;
    const customer = Math.floor(rand() * 100_000);
    const customerId = who === 0 ? `c${customer}` : '';
    const email = who === 1 ? `buyer${customer}@example.com` : '';
    const phone = who === 2 ? `+4930${String(1_000_000 + customer)}` : '';
    const date = new Date(start + Math.floor(rand() * 730) * 86_400_000).toISOString().slice(0, 10);
    const channel = CHANNELS[orders % CHANNELS.length];
    for (let i = 0; i < lines; i++) {
      const sku = `sku-${Math.floor(rand() * 2000)}`;
      chunk += `ord-${orders},${customerId},${email},${phone},${date},${channel},${sku},Product ${sku},${1 + Math.floor(rand() * 3)},${(1 + rand() * 99).toFixed(2)},EUR\n`;
    }
    written += lines;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await new Promise((resolve) => out.once('drain', resolve));
      chunk = '';
    }
  }
  out.end(chunk);
  await new Promise((resolve, reject) => out.on('finish', resolve).on('error', reject));
  return { orders, bytes: fs.statSync(file).size };
}

// One run of the command; resolves with its wall and CPU seconds and its summary (stdout).
function importOnce(file, db) {
  const cpuFile = `${db}.cpu.json`;
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const args = ['--require', path.join(__dirname, 'lib/cpu-at-exit.js'), SPUR, 'import', 'orders', file, '--db', db];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SPUR_BENCH_CPU_FILE: cpuFile } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (code !== 0) return reject(new Error(`spur import exited ${code}: ${stderr || stdout}`));
      const { cpuSeconds, maxRssMiB } = JSON.parse(fs.readFileSync(cpuFile, 'utf8'));
      resolve({ seconds, cpuSeconds, maxRssMiB, stdout, load: os.loadavg()[0] });
    });
  });
}

async function importBench({ quick = false, rows = 1_000_000, log = (line) => console.error(line) } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spur-bench-import-'));
  try {
    const file = path.join(dir, 'orders.csv');
    const made = await writeCsv(file, rows);
    log(`bench/import-orders: ${num(rows)} rows, ${num(made.orders)} orders, ${num(made.bytes / 2 ** 20)} MiB`);
    const runs = quick ? 1 : 3;
    const fresh = [];
    const again = [];
    for (let i = 0; i < runs; i++) {
      const db = path.join(dir, `run-${i}.db`);
      const first = await importOnce(file, db);
      log(`bench/import-orders: fresh ${first.seconds.toFixed(1)} s, CPU ${first.cpuSeconds.toFixed(1)} s, ${num(first.maxRssMiB)} MiB (load ${first.load.toFixed(2)})`);
      fresh.push(first);
      // The re-import once: it is no target, and it takes several times a first import's time.
      if (i === 0) {
        const second = await importOnce(file, db);
        log(`bench/import-orders: again ${second.seconds.toFixed(1)} s, CPU ${second.cpuSeconds.toFixed(1)} s (load ${second.load.toFixed(2)})`);
        again.push(second);
      }
      for (const suffix of ['', '-wal', '-shm']) fs.rmSync(db + suffix, { force: true });
    }
    const row = (name, list, target) => {
      const s = list.map((r) => r.seconds);
      const cpu = median(list.map((r) => r.cpuSeconds));
      const range = list.length > 1 ? `${num(Math.min(...s), 1)}–${num(Math.max(...s), 1)}` : '';
      const target_ = target ? `≤ ${target} s ${mark(median(s) <= target)}` : '';
      return [name, num(median(s), 1), range, num(cpu, 1), num(rows / median(s)), num(median(list.map((r) => r.maxRssMiB))), num(median(list.map((r) => r.load)), 2), target_];
    };
    const m = machine();
    const summary = fresh[0].stdout.trim().split('\n').slice(0, 3).join(' / ');
    const markdown = [
      `${num(rows)} line items in ${num(made.orders)} orders (${num(made.bytes / 2 ** 20)} MiB of CSV), ` +
        `\`node packages/cli/bin/spur.js import orders FILE --db NEW.db\`; ${m.cpu}, ${m.cores} cores, load ${m.load}.`,
      '',
      table(['Run', 'Seconds (median)', 'Range', 'CPU s (all threads)', 'Rows/s', 'Peak MiB', 'Load (1 min)', 'Target'], [row('into a fresh SQLite file', fresh, TARGET_S), row('the same file again (all duplicates)', again)]),
      '',
      `Summary of the first run: ${summary}`,
    ].join('\n');
    const ok = median(fresh.map((r) => r.seconds)) <= TARGET_S;
    return { markdown, targets: [{ name: `spur import orders: ${num(rows)} rows into a fresh SQLite file ≤ ${TARGET_S} s`, ok }], data: { fresh, again } };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = importBench;

if (require.main === module) {
  const argv = process.argv.slice(2);
  const i = argv.indexOf('--rows');
  printSection(importBench({ quick: argv.includes('--quick'), ...(i !== -1 && { rows: Number(argv[i + 1]) }) }));
}
