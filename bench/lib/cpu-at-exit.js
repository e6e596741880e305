// Preloaded into a measured command (`node --require bench/lib/cpu-at-exit.js ...`): at exit it
// writes the process's CPU time (all threads, user + system) and peak memory as JSON to the file
// SPUR_BENCH_CPU_FILE names. CPU time is what a busy shared machine inflates least.
'use strict';
const fs = require('node:fs');

const file = process.env.SPUR_BENCH_CPU_FILE;
if (file) {
  process.on('exit', () => {
    const cpu = process.cpuUsage();
    fs.writeFileSync(file, JSON.stringify({ cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));
  });
}
