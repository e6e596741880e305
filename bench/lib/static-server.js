// A tiny page server on loopback for the browser benchmarks: the shop's page and the SDK bundle
// from packages/sdk/dist, read per request so a rebuild is picked up.
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const SDK = path.resolve(__dirname, '..', '..', 'packages', 'sdk', 'dist', 'spur.js');

/** `pages` maps a path to HTML (a string, or a function of the URL); /spur.js is the SDK. */
function startPageServer(pages) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname === '/spur.js') {
      res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' });
      return res.end(fs.readFileSync(SDK));
    }
    const page = pages[url.pathname];
    if (page === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(typeof page === 'function' ? page(url) : page);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const origin = `http://127.0.0.1:${server.address().port}`;
      resolve({ origin, close: () => new Promise((r) => (server.closeAllConnections(), server.close(r))) });
    });
  });
}

module.exports = { startPageServer, SDK };
