'use strict';
// Small HTTP helpers shared by the site server and the sinks: bounded body reading, decoding of
// what the SDKs send (gzip, base64 form bodies, plain JSON), CORS, and a server that can be taken
// down (connection refused) and brought back on the same port.
const http = require('node:http');
const zlib = require('node:zlib');

const MAX_BODY = 10 * 1024 * 1024;

/** Reads a request body, at most MAX_BODY bytes (the rest is discarded). */
function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', () => resolve(Buffer.concat(chunks)));
  });
}

const isGzip = (buf) => buf.length > 2 && buf[0] === 0x1f && buf[1] === 0x8b;

function tryJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Turns a request body into JSON whatever way the SDK encoded it: gzip (by header or by magic
 * bytes, as PostHog's gzip-js sends it without a header), `data=<base64>` forms (PostHog's
 * base64 compression), base64 JSON, or plain JSON. Returns undefined when it is none of these.
 */
function decodeBody(buf) {
  if (!buf || !buf.length) return undefined;
  let raw = buf;
  if (isGzip(raw)) {
    try {
      raw = zlib.gunzipSync(raw);
    } catch {
      return undefined;
    }
  }
  const text = raw.toString('utf8');
  const direct = tryJson(text);
  if (direct !== undefined) return direct;
  if (/^data=/.test(text)) {
    const params = new URLSearchParams(text);
    const data = params.get('data') || '';
    const fromB64 = tryJson(Buffer.from(data, 'base64').toString('utf8'));
    if (fromB64 !== undefined) return fromB64;
    return tryJson(data);
  }
  if (/^[A-Za-z0-9+/=\s]+$/.test(text)) return tryJson(Buffer.from(text, 'base64').toString('utf8'));
  return undefined;
}

/** CORS for credentialed requests: echo the origin (never a wildcard with credentials). */
function corsHeaders(req) {
  const origin = req.headers.origin;
  const h = { vary: 'Origin' };
  if (origin) {
    h['access-control-allow-origin'] = origin;
    h['access-control-allow-credentials'] = 'true';
  }
  if (req.method === 'OPTIONS') {
    h['access-control-allow-methods'] = 'GET, POST, PUT, OPTIONS';
    h['access-control-allow-headers'] = req.headers['access-control-request-headers'] || 'content-type';
    h['access-control-max-age'] = '600';
  }
  return h;
}

/**
 * An HTTP server that can be stopped so that connecting fails with ECONNREFUSED, and restarted
 * on the same port. `handler(req, res)` is the request listener.
 */
function switchableServer(handler) {
  let server = null;
  let port = 0;
  const sockets = new Set();

  function listen() {
    return new Promise((resolve, reject) => {
      const s = http.createServer(handler);
      s.keepAliveTimeout = 5000;
      s.on('connection', (sock) => {
        sockets.add(sock);
        sock.on('close', () => sockets.delete(sock));
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        s.off('error', reject);
        port = s.address().port;
        server = s;
        resolve(port);
      });
    });
  }

  function down() {
    const s = server;
    server = null;
    if (!s) return Promise.resolve();
    return new Promise((resolve) => {
      s.close(() => resolve());
      // Cut open keep-alive connections too: a down collector answers nothing.
      for (const sock of sockets) sock.destroy();
      sockets.clear();
    });
  }

  return {
    /** Starts listening (first call: a free port; later calls: the same port). Returns the port. */
    async up() {
      if (server) return port;
      // The port was just released; retry briefly if the kernel has not let go of it yet.
      for (let i = 0; i < 20; i++) {
        try {
          return await listen();
        } catch (err) {
          if (err.code !== 'EADDRINUSE' || i === 19) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      return port;
    },
    down,
    get port() {
      return port;
    },
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get isUp() {
      return !!server;
    },
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

module.exports = { readBody, decodeBody, corsHeaders, switchableServer, sleep, isGzip };
