// The collector and the shop, wired together on free loopback ports with a throwaway SQLite file:
// what tests, the journeys bench and anything else that needs a private demo start. (`npm start`
// runs demo.js instead: fixed ports, ./data/spur.db, configured from SPUR_* variables.)
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { createShopApp } = require('./server');

/**
 * Starts both and resolves once they listen.
 * @param {{ adminToken?: string, writeKey?: string, consent?: 'required', db?: string, via?: (collectorUrl: string) => Promise<string> }} [options]
 *   adminToken: default 'stack-admin'; writeKey: default 'stack'; consent: as createShopApp;
 *   db: a SQLite file to use (default a new one in a temporary folder, removed by close());
 *   via: given the collector's URL, the URL the shop's pages load spur from and send to instead
 *   (a proxy in front of the collector, which the caller starts and stops).
 * @returns {Promise<{ shopUrl: string, collectorUrl: string, adminToken: string, writeKey: string, db: string, close(): Promise<void> }>}
 */
async function startStack({ adminToken = 'stack-admin', writeKey = 'stack', consent, db, via } = {}) {
  const { createCollector, openStorage, startServer } = require('@spur/collector');
  const dir = db ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'spur-stack-'));
  const file = db ?? path.join(dir, 'spur.db');

  // The shop listens first: its origin is what the collector's write key must allow.
  const shopServer = http.createServer();
  await new Promise((resolve, reject) => {
    shopServer.once('error', reject);
    shopServer.listen(0, '127.0.0.1', resolve);
  });
  const shopUrl = `http://127.0.0.1:${shopServer.address().port}`;

  const storage = await openStorage({ db: file });
  // Client clocks are trusted, as in the demo: journeys move the browsers' clocks days back. Carts
  // a run left are recorded within a second (a journey that expects one waits for it).
  const app = createCollector({ storage, writeKeys: { [writeKey]: [shopUrl] }, adminToken, clientClock: 'trust', abandonmentIntervalMs: 1000 });
  const collector = await startServer(app, { port: 0, host: '127.0.0.1', storage });
  const collectorUrl = `http://127.0.0.1:${collector.port}`;
  const pagesSendTo = via ? await via(collectorUrl) : collectorUrl;
  shopServer.on('request', createShopApp({ collectorUrl: pagesSendTo, writeKey, consent }));

  let closing;
  return {
    shopUrl,
    collectorUrl,
    adminToken,
    writeKey,
    db: file,
    close() {
      closing ??= (async () => {
        // Browsers keep connections alive; without this close() waits for them to time out.
        shopServer.closeAllConnections();
        await new Promise((resolve) => shopServer.close(resolve));
        await collector.close();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}

module.exports = { startStack };
