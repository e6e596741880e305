// Open-loop load at a fixed rate: request i is due at start + i / rate, whatever the server does,
// and its latency counts from when it was due, so time spent waiting for a free connection is
// included (no coordinated omission). autocannon's overallRate is not used for this: it lets each
// connection send its share of a second back to back at the start of that second, which measures
// bursts, not a steady rate.
'use strict';
const http = require('node:http');
const { quantile } = require('./stats');

/**
 * Sends `amount` POSTs of `body()` to `url` at `rate` per second over at most `connections`
 * keep-alive sockets. Resolves to { seconds, requests, latencies (ms, each answer's), p50, p99, max, errors, non2xx }
 * once every request has its answer (or failed); bounded by `maxSeconds`.
 */
function pacedLoad(url, { rate, amount, connections = 16, path = '/v1/batch', headers = {}, body, onAnswer, maxSeconds = 120 }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const target = new URL(path, url);
  const latencies = [];
  let errors = 0;
  let non2xx = 0;
  let done = 0;
  let sent = 0;
  const start = performance.now();
  return new Promise((resolve) => {
    let timer;
    const guard = setTimeout(() => finish(), maxSeconds * 1000);
    function finish() {
      clearTimeout(timer);
      clearTimeout(guard);
      agent.destroy();
      resolve({
        seconds: (performance.now() - start) / 1000,
        requests: done,
        errors,
        non2xx,
        p50: quantile(latencies, 0.5),
        p99: quantile(latencies, 0.99),
        max: Math.max(...latencies),
        latencies,
      });
    }
    function settle() {
      if (++done === amount) finish();
    }
    function send(due) {
      const payload = body();
      const req = http.request(
        target,
        { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(payload) } },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            latencies.push(performance.now() - due);
            if (res.statusCode >= 200 && res.statusCode < 300) {
              if (onAnswer) onAnswer(Buffer.concat(chunks).toString('utf8'));
            } else non2xx++;
            settle();
          });
        },
      );
      req.on('error', () => {
        errors++;
        settle();
      });
      req.end(payload);
    }
    function tick() {
      const now = performance.now();
      while (sent < amount && start + (sent * 1000) / rate <= now) send(start + (sent++ * 1000) / rate);
      if (sent < amount) timer = setTimeout(tick, Math.max(0, start + (sent * 1000) / rate - performance.now()));
    }
    tick();
  });
}

module.exports = { pacedLoad };
