// The ceiling for ingest on this machine: a bare node:http server that reads the body, parses
// the JSON and answers 200 with an answer of the collector's shape. No validation, no storage.
// Run as its own process: `node bench/lib/bare-server.js` prints "listening on http://…".
'use strict';
const http = require('node:http');

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let n = 0;
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      n = Array.isArray(body.batch) ? body.batch.length : 1;
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"code":"invalid_json"}}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(`{"ok":true,"accepted":${n},"duplicates":0,"rejected":[]}`);
  });
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`bare server listening on http://127.0.0.1:${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
