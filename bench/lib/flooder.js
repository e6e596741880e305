// The flooder of bench/flood.js, a process of its own (forked), so that its CPU does not sit in
// the event loop that times the good client. It posts one prebuilt body of 5,000 invalid events
// (no anonymousId or userId: each is rejected on its own) over `connections` keep-alive sockets
// bound to another loopback address, each sending its next request when the last one is
// answered, as fast as the collector lets it. Messages: 'pause' and 'resume' (answered 'paused'
// once no request is in flight, 'resumed'), 'stop' (answered with what it was answered).
'use strict';
const http = require('node:http');

const EVENTS = 5000;

/** A batch of `count` events that validation rejects ("anonymousId or userId is required"). */
function invalidBatch(count) {
  const events = Array.from({ length: count }, (_, i) => `{"type":"track","event":"Flood","properties":{"i":${i}}}`);
  return Buffer.from(`{"batch":[${events.join(',')}]}`);
}

function run({ url, localAddress, connections, writeKey, paused = false }) {
  const body = invalidBatch(EVENTS);
  const target = new URL('/v1/batch', url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const headers = {
    'content-type': 'application/json',
    'content-length': body.length,
    authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`,
  };
  const counts = { requests: 0, byStatus: {}, errors: 0, eventsAnswered: 0, bytesSent: 0 };
  let running = true;
  let inFlight = 0;
  // While paused, the loops wait on `gate`; resuming opens it.
  let gate = null;
  let open = () => {};
  if (paused) gate = new Promise((resolve) => (open = resolve));

  function post() {
    inFlight++;
    return new Promise((resolve) => {
      const req = http.request(target, { method: 'POST', agent, headers, localAddress }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          counts.requests++;
          counts.byStatus[res.statusCode] = (counts.byStatus[res.statusCode] ?? 0) + 1;
          if (res.statusCode === 200) {
            try {
              const answer = JSON.parse(Buffer.concat(chunks).toString('utf8'));
              counts.eventsAnswered += answer.accepted + answer.duplicates + answer.rejected.length;
            } catch {
              counts.errors++;
            }
          }
          resolve();
        });
        res.on('error', () => resolve());
      });
      // A collector that refuses before reading closes the connection: the write fails, the
      // answer (if any) still counts; a request without one is an error.
      let answered = false;
      req.on('response', () => (answered = true));
      req.on('error', () => {
        if (!answered) {
          counts.errors++;
          resolve();
        }
      });
      req.end(body);
      counts.bytesSent += body.length;
    });
  }

  async function loop() {
    while (running) {
      if (gate) await gate;
      else await post().finally(() => inFlight--);
    }
  }
  const loops = Array.from({ length: connections }, loop);
  process.on('message', async (message) => {
    if (message === 'pause') {
      gate ??= new Promise((resolve) => (open = resolve));
      // Quiet means quiet: every request in flight has its answer first.
      while (inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 5));
      return process.send('paused');
    }
    if (message === 'resume' || message === 'stop') {
      gate = null;
      open();
    }
    if (message === 'resume') return process.send('resumed');
    if (message !== 'stop') return;
    running = false;
    // Requests in flight get their answers, within 15 s; a collector still busy then is cut off.
    await Promise.race([Promise.all(loops), new Promise((resolve) => setTimeout(resolve, 15_000))]);
    agent.destroy();
    process.send({ ...counts, bodyBytes: body.length, events: EVENTS }, () => process.exit(0));
  });
  process.send('started');
}

if (require.main === module) run(JSON.parse(process.argv[2]));

module.exports = { invalidBatch, EVENTS };
