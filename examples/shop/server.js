// Serves the demo shop's static pages. Two parts are dynamic. The spur script tags in HTML
// responses, so the pages themselves stay exactly what a customer would paste: they are rewritten
// when the collector is not at the default address (tests run it on a random port), and spur.js's
// gets data-consent="required" when the shop asks for consent (see consentMode below). And a
// product page carries its product in schema.org JSON-LD, as a shop's server renders it for
// search engines (product-jsonld.js): spur records Product Viewed from that markup.
const fs = require('node:fs/promises');
const path = require('node:path');
const express = require('express');
const { productJsonLd } = require('./product-jsonld');

const PUBLIC_DIR = path.join(__dirname, 'public');
const DEFAULT_COLLECTOR_URL = 'http://localhost:8080';
const DEFAULT_WRITE_KEY = 'demo';
/** Page names the shop has; anything else is left to express.static (and its 404). */
const PAGE = /^\/([a-z][a-z0-9-]*)\.html$/;

const escapeAttribute = (value) =>
  String(value).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The shop's own cookie that keeps a visitor's `?consent=` choice of mode for later pages. */
const CONSENT_MODE_COOKIE = 'shop_consent_mode';

/**
 * Rewrites the spur script tag of one HTML page (a chunk's own tag, spur-*.js, too) to point at
 * another collector and write key, and with `consent: 'required'` adds data-consent="required"
 * (the SDK then stores and sends nothing before spur.consent('granted')).
 */
function rewriteTag(html, collectorUrl, writeKey, consent) {
  const out = html
    .replace(/(<script\b[^>]*\bsrc=")http:\/\/localhost:8080(\/spur(?:-[a-z]+)?\.js")/g, `$1${escapeAttribute(collectorUrl)}$2`)
    .replace(/\bdata-write-key="demo"/g, `data-write-key="${escapeAttribute(writeKey)}"`);
  return consent === 'required' ? out.replace(/\bdata-write-key="/g, 'data-consent="required" data-write-key="') : out;
}

/**
 * Whether this request's page asks for consent. The shop-wide option decides, unless the visitor
 * chose with `?consent=required` (kept in a session cookie of the shop, so every later page of
 * that browser asks too) or `?consent=default` (back to the shop's setting). This lets one
 * running demo serve journeys with and without a consent requirement side by side.
 */
function consentMode(req, res, shopDefault) {
  const asked = req.query.consent;
  if (asked === 'required') {
    res.cookie(CONSENT_MODE_COOKIE, 'required', { path: '/', sameSite: 'lax' });
    return 'required';
  }
  if (asked === 'default') {
    res.clearCookie(CONSENT_MODE_COOKIE, { path: '/' });
    return shopDefault;
  }
  const cookie = /(?:^|;\s*)shop_consent_mode=required(?:;|$)/.test(req.get('cookie') || '');
  return cookie ? 'required' : shopDefault;
}

/**
 * The shop as an Express app serving public/.
 * @param {{ collectorUrl?: string, writeKey?: string, consent?: 'required' }} [options]
 *   collectorUrl: where the pages load spur.js from and send events to (default http://localhost:8080);
 *   writeKey: the script tag's data-write-key (default demo);
 *   consent: 'required' makes every page ask for consent (data-consent="required" on the tag);
 *   default: only for visitors who opened a page with ?consent=required.
 */
function createShopApp({ collectorUrl = DEFAULT_COLLECTOR_URL, writeKey = DEFAULT_WRITE_KEY, consent } = {}) {
  const url = collectorUrl.replace(/\/+$/, '');
  const rewrite = url !== DEFAULT_COLLECTOR_URL || writeKey !== DEFAULT_WRITE_KEY;
  const app = express();
  app.disable('x-powered-by');

  app.get(['/', PAGE], async (req, res, next) => {
    const mode = consentMode(req, res, consent);
    const name = req.path === '/' ? 'index' : PAGE.exec(req.path)[1];
    // The files as they are, unless something in the tag changes or the page is a product's.
    if (!rewrite && mode !== 'required' && name !== 'product') return next();
    let html;
    try {
      html = await fs.readFile(path.join(PUBLIC_DIR, `${name}.html`), 'utf8');
    } catch (error) {
      if (error.code === 'ENOENT') return next();
      throw error;
    }
    if (name === 'product') html = await withProduct(html, req.query.id);
    res.type('html').set('Cache-Control', 'no-cache').send(rewriteTag(html, url, writeKey, mode));
  });
  app.use(express.static(PUBLIC_DIR, { index: 'index.html', setHeaders: noCacheForHtml }));
  return app;
}

let catalogue;
/** products.json, read once: the same file the pages render from. */
function products() {
  catalogue ??= fs.readFile(path.join(PUBLIC_DIR, 'products.json'), 'utf8').then(JSON.parse);
  return catalogue;
}

/**
 * The product page with its product's JSON-LD and title in <head> (an unknown id: the page as it
 * is, which says the product does not exist and describes none).
 */
async function withProduct(html, id) {
  const product = typeof id === 'string' ? (await products()).find((p) => p.product_id === id) : undefined;
  if (!product) return html;
  const title = `<title>${escapeAttribute(product.name)} · Bean &amp; Leaf</title>`;
  return html.replace(/<title>[^<]*<\/title>/, title).replace('</head>', `  ${productJsonLd(product)}\n</head>`);
}

/** The pages change with the collector address; always revalidate them. */
function noCacheForHtml(res, filePath) {
  if (filePath.endsWith('.html')) res.setHeader('Cache-Control', 'no-cache');
}

/**
 * Starts the shop and resolves once it listens.
 * @param {{ port?: number, host?: string, collectorUrl?: string, writeKey?: string, consent?: 'required' }} [options]
 *   port: default 3000 (0 = any free port); host: default all interfaces; the rest as createShopApp.
 * @returns {Promise<{ url: string, port: number, server: import('node:http').Server, close(): Promise<void> }>}
 */
function startShop({ port = 3000, host, collectorUrl, writeKey, consent } = {}) {
  const app = createShopApp({ collectorUrl, writeKey, consent });
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
