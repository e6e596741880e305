// Serves the demo shop's static pages. The only dynamic part: when the collector is not at the
// default address (tests run it on a random port), HTML responses get the script tag rewritten,
// so the pages themselves stay exactly what a customer would paste.
const fs = require('node:fs/promises');
const path = require('node:path');
const express = require('express');

const PUBLIC_DIR = path.join(__dirname, 'public');
const DEFAULT_COLLECTOR_URL = 'http://localhost:8080';
const DEFAULT_WRITE_KEY = 'demo';
/** Page names the shop has; anything else is left to express.static (and its 404). */
const PAGE = /^\/([a-z][a-z0-9-]*)\.html$/;

const escapeAttribute = (value) =>
  String(value).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Rewrites the spur script tag of one HTML page to point at another collector and write key. */
function rewriteTag(html, collectorUrl, writeKey) {
  return html
    .replace(/(<script\b[^>]*\bsrc=")http:\/\/localhost:8080(\/spur\.js")/g, `$1${escapeAttribute(collectorUrl)}$2`)
    .replace(/\bdata-write-key="demo"/g, `data-write-key="${escapeAttribute(writeKey)}"`);
}

/**
 * The shop as an Express app serving public/.
 * @param {{ collectorUrl?: string, writeKey?: string }} [options]
 *   collectorUrl: where the pages load spur.js from and send events to (default http://localhost:8080);
 *   writeKey: the script tag's data-write-key (default demo).
 */
function createShopApp({ collectorUrl = DEFAULT_COLLECTOR_URL, writeKey = DEFAULT_WRITE_KEY } = {}) {
  const url = collectorUrl.replace(/\/+$/, '');
  const rewrite = url !== DEFAULT_COLLECTOR_URL || writeKey !== DEFAULT_WRITE_KEY;
  const app = express();
  app.disable('x-powered-by');

  if (rewrite) {
    app.get(['/', PAGE], async (req, res, next) => {
      const name = req.path === '/' ? 'index' : PAGE.exec(req.path)[1];
      let html;
      try {
        html = await fs.readFile(path.join(PUBLIC_DIR, `${name}.html`), 'utf8');
      } catch (error) {
        if (error.code === 'ENOENT') return next();
        throw error;
      }
      res.type('html').set('Cache-Control', 'no-cache').send(rewriteTag(html, url, writeKey));
    });
  }
  app.use(express.static(PUBLIC_DIR, { index: 'index.html', setHeaders: noCacheForHtml }));
  return app;
}

/** The pages change with the collector address; always revalidate them. */
function noCacheForHtml(res, filePath) {
  if (filePath.endsWith('.html')) res.setHeader('Cache-Control', 'no-cache');
}

/**
 * Starts the shop and resolves once it listens.
 * @param {{ port?: number, host?: string, collectorUrl?: string, writeKey?: string }} [options]
 *   port: default 3000 (0 = any free port); host: default all interfaces.
 * @returns {Promise<{ url: string, port: number, server: import('node:http').Server, close(): Promise<void> }>}
 */
function startShop({ port = 3000, host, collectorUrl, writeKey } = {}) {
  const app = createShopApp({ collectorUrl, writeKey });
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      const actualPort = server.address().port;
      const shown = !host || host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `http://${shown}:${actualPort}`,
        port: actualPort,
        server,
        close: () =>
          new Promise((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
            // Browsers keep connections alive; without this close() waits for them to time out.
            server.closeAllConnections();
          }),
      });
    });
  });
}

module.exports = { createShopApp, startShop, rewriteTag };

if (require.main === module) {
  startShop({ port: Number(process.env.SPUR_SHOP_PORT) || 3000 }).then(({ url }) => console.log(`shop on ${url}`));
}
