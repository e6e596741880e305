// What the request-id middleware (packages/collector/src/request-id.ts) adds to every request,
// ingest's fast path included: `node bench/request-id.js` (needs `npm run build`). It runs the
// middleware on real node:http request and answer objects, at info level as `spur serve` does,
// and subtracts the cost of making the answer object alone. Compare the figure with the main
// thread's CPU per ingest request in section 4 (a batch of 20 events: some hundred µs).
'use strict';
const http = require('node:http');
const { Socket } = require('node:net');
const path = require('node:path');
const { median } = require('./lib/stats');

const dist = path.join(__dirname, '../packages/collector/dist');
const { assignRequestIds } = require(path.join(dist, 'request-id.js'));
const { createLogger } = require(path.join(dist, 'log.js'));

const ROUNDS = 7;
const PER_ROUND = 200_000;

/** ns per request the middleware costs, with or without a usable incoming X-Request-Id. */
function round(middleware, incoming) {
  const req = new http.IncomingMessage(new Socket());
  req.headers = incoming ? { 'x-request-id': 'lb-0123456789abcdef' } : {};
  const next = () => undefined;
  const start = process.hrtime.bigint();
  for (let i = 0; i < PER_ROUND; i++) middleware(req, new http.ServerResponse(req), next);
  const middle = process.hrtime.bigint();
  for (let i = 0; i < PER_ROUND; i++) new http.ServerResponse(req);
  const end = process.hrtime.bigint();
  return (Number(middle - start) - Number(end - middle)) / PER_ROUND;
}

const middleware = assignRequestIds(createLogger({ level: 'info', destination: { write() {} } }));
round(middleware, false); // warm-up
const made = [];
const kept = [];
for (let r = 0; r < ROUNDS; r++) {
  made.push(round(middleware, false));
  kept.push(round(middleware, true));
}
const fmt = (xs) => `${median(xs).toFixed(0)} ns (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
console.log(`request id made (randomUUID) and set: ${fmt(made)} per request`);
console.log(`incoming id checked and set:          ${fmt(kept)} per request`);
