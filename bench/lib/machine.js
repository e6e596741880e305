// What the figures were measured on: they mean little without it.
'use strict';
const os = require('node:os');

/** CPU model, cores, memory, Node.js version, load average, and Chromium's version if known. */
function machine(chromiumVersion) {
  const cpus = os.cpus();
  return {
    cpu: cpus[0] ? cpus[0].model.trim() : 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    load: os.loadavg().map((l) => l.toFixed(2)).join(' '),
    chromium: chromiumVersion || 'not used',
  };
}

module.exports = { machine };
