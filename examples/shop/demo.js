// `npm start`: the spur collector on :8080 (SQLite at ./data/spur.db) and the demo shop on :3000,
// wired together the way a shop would run them, with the dashboard at :8080/dashboard: an account
// `demo` (a new random password each start, printed) and, on a database without events, 45 days of
// generated history sent through the ordinary ingest (history.js), and orders taken by phone, in
// the store and on a marketplace imported from a CSV through the order import (offline-orders.js).
// Uses the BUILT collector (run `npm run build`).
// Reads the same SPUR_* variables as `spur serve`, with demo defaults for write key and clock.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { startShop } = require('./server');
const { generateHistory, sendHistory } = require('./history');
const { historyEmails, importOfflineOrders, offlineOrdersCsv } = require('./offline-orders');

/** The dashboard account the demo makes (an admin: a newcomer sees every view). */
const DEMO_ACCOUNT = 'demo';

/**
 * The demo account with a new random password, printed once: made on the first start, given a new
 * password on every later one (only its hash is stored, so an old password cannot be shown again).
 */
async function demoAccount(collector, storage) {
  const password = crypto.randomBytes(12).toString('base64url');
  const existing = await storage.accounts.account(DEMO_ACCOUNT);
  if (existing) await collector.changePassword(storage.accounts, { name: DEMO_ACCOUNT, password, now: Date.now() });
  else await collector.addAccount(storage.accounts, { name: DEMO_ACCOUNT, role: 'admin', password, now: Date.now() });
  return password;
}

/**
 * On a database without events, 45 days of generated shop history through the collector's ordinary
 * ingest, so that the dashboard shows figures the first time it is opened; then the offline orders
 * (offlineOrders). Answers what it did, a line each.
 */
async function seedHistory(storage, { collectorUrl, shopUrl, writeKey, adminToken, ordersFile, env }) {
  if (env.SPUR_DEMO_HISTORY === 'off') return ['no history generated (SPUR_DEMO_HISTORY=off)'];
  const stored = await storage.countEvents({});
  const events = generateHistory({ days: 45, visitors: 400, shopUrl });
  let seeded = `the database holds ${stored.toLocaleString('en')} events already: no history generated`;
  if (stored === 0) {
    const { accepted } = await sendHistory({ collectorUrl, writeKey, events });
    seeded = `generated 45 days of history for 400 visitors and sent it through POST /v1/batch: ${accepted.toLocaleString('en')} events stored`;
    // New history, new orders beside it: a file left from an earlier database would be weeks older.
    fs.rmSync(ordersFile, { force: true });
  }
  return [seeded, await offlineOrders({ collectorUrl, adminToken, ordersFile, emails: historyEmails(events) })];
}

/**
 * The offline orders: the CSV is written once (when there is none), next to the database, and
 * imported on every start, so the order import's "twice is once" shows: a second start stores
 * nothing again. Answers what happened.
 */
async function offlineOrders({ collectorUrl, adminToken, ordersFile, emails }) {
  if (!fs.existsSync(ordersFile)) fs.writeFileSync(ordersFile, offlineOrdersCsv({ emails }).csv);
  const relative = path.relative(process.cwd(), ordersFile);
  const shown = relative && !relative.startsWith('..') ? relative : ordersFile;
  const summary = await importOfflineOrders({ collectorUrl, adminToken, file: ordersFile });
  const bad = summary.badRows ? `; ${summary.badRows} bad rows (first: line ${summary.bad[0].line}, ${summary.bad[0].reason})` : '';
  const matched = summary.matched.customer_id + summary.matched.email + summary.matched.phone;
  if (summary.imported === 0) {
    return `the ${summary.duplicates} phone/fax/store/marketplace orders of ${shown} are stored already: none imported again${bad}`;
  }
  return (
    `imported ${summary.imported} phone/fax/store/marketplace orders from ${shown} (spur import orders): ` +
    `${matched} by web customers (matched by email), ${summary.unmatched} by new customers` +
    (summary.duplicates ? `, ${summary.duplicates} stored already` : '') +
    bad
  );
}

/** How long a signal waits for in-flight requests before the process gives up on them. */
const DRAIN_TIMEOUT_MS = 10_000;

function loadCollector() {
  try {
    return require('@spur/collector');
  } catch (error) {
    // Only the collector itself missing; a missing dependency of it is a different problem.
    const what = String(error.message).split('\n')[0];
    if (error.code === 'MODULE_NOT_FOUND' && /@spur[\\/]collector'|collector[\\/]dist[\\/]index\.js/.test(what)) {
      console.error('spur demo: the collector is not built yet. Run `npm run build` first (`npm start` does both).');
      process.exit(1);
    }
    throw error;
  }
}

/**
 * A port the demo cannot have says which setting moves it: Node's own error ("listen EADDRINUSE:
 * address already in use 127.0.0.1:8080") names neither the server nor the variable.
 */
function portError(error, what, variable, port, host) {
  // By its code, or by its message should a layer in between have wrapped it.
  const message = String(error && error.message);
  const code = error && (error.code || (/\bEADDRINUSE\b|\bin use\b/i.test(message) ? 'EADDRINUSE' : /\bEACCES\b/.test(message) ? 'EACCES' : undefined));
  if (code === 'EADDRINUSE') {
    return new Error(
      `port ${port} (the ${what}) is already in use on ${host}: another program listens there, perhaps another spur demo. ` +
        `Stop it, or set ${variable} to a free port: ${variable}=${port === 65535 ? port - 1 : port + 1} npm start`,
    );
  }
  if (code === 'EACCES') {
    return new Error(`port ${port} (the ${what}) needs privileges this process does not have. Set ${variable} to a port above 1023: ${variable}=${what === 'shop' ? 3000 : 8080} npm start`);
  }
  return error;
}

/** process.env without empty values, so `SPUR_ADMIN_TOKEN= npm start` means "not set". */
function setEnv(env) {
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
}

async function main() {
  const collectorPackage = loadCollector();
  const { loadConfig, openStorage, createCollector, createLogger, startServer } = collectorPackage;
  const env = setEnv(process.env);
  const shopPort = Number(env.SPUR_SHOP_PORT ?? 3000);
  if (!Number.isInteger(shopPort) || shopPort < 0 || shopPort > 65535) {
    throw new Error(`SPUR_SHOP_PORT must be a port number, got ${env.SPUR_SHOP_PORT}`);
  }
  // Printed once and never stored: good enough for a demo on your own machine.
  const generatedToken = env.SPUR_ADMIN_TOKEN ? undefined : crypto.randomBytes(18).toString('base64url');
  const config = loadConfig(
    {
      SPUR_WRITE_KEYS: `demo=http://localhost:${shopPort},http://127.0.0.1:${shopPort}`,
      // Trusting client clocks lets journeys move the browser's clock days ahead between visits.
      SPUR_CLIENT_CLOCK: 'trust',
      // This machine only, unless asked: the demo trusts client clocks and may print its token.
      SPUR_HOST: '127.0.0.1',
      SPUR_ADMIN_TOKEN: generatedToken,
      ...env,
    },
    {},
  );

  if (config.db) fs.mkdirSync(path.dirname(path.resolve(config.db)), { recursive: true });
  const storage = await openStorage({ db: config.db });
  // ServerConfig carries every collector option under the same name (plus port, host, db).
  // JSON log lines as `spur serve` writes them (start-up warnings, 5xx, rejected requests).
  const logger = createLogger({ level: config.logLevel });
  const app = createCollector({ ...config, storage, logger });
  let collector;
  try {
    // The same names again for the server: port, host, timeouts, connection caps.
    collector = await startServer(app, { ...config, storage, logger });
  } catch (error) {
    await storage.close().catch(() => undefined);
    throw portError(error, 'collector', 'SPUR_PORT', config.port, config.host);
  }
  // What a browser on this machine types: localhost for any loopback or wildcard address.
  const browserHost = ['127.0.0.1', '::1', '0.0.0.0', '::'].includes(config.host) ? 'localhost' : config.host;
  const urlFor = (port) => `http://${browserHost.includes(':') ? `[${browserHost}]` : browserHost}:${port}`;
  const collectorUrl = urlFor(collector.port);

  const keys = Object.keys(config.writeKeys ?? {});
  const writeKey = keys.includes('demo') ? 'demo' : keys[0];
  if (!writeKey) throw new Error('SPUR_WRITE_KEYS names no write key; the shop needs one (e.g. demo=http://localhost:3000)');
  if (env.SPUR_SHOP_CONSENT !== undefined && env.SPUR_SHOP_CONSENT !== 'required') {
    throw new Error(`SPUR_SHOP_CONSENT must be "required" (or unset), got ${env.SPUR_SHOP_CONSENT}`);
  }
  let shop;
  try {
    shop = await startShop({
      port: shopPort,
      host: config.host,
      // The same host as the shop: same site, so the collector's cookies are first-party.
      collectorUrl,
      writeKey,
      // Unset: pages ask for consent only for visitors who came with ?consent=required.
      consent: env.SPUR_SHOP_CONSENT,
    });
  } catch (error) {
    // The collector listens already: it closes its database before the demo gives up.
    await collector.close().catch(() => undefined);
    throw portError(error, 'shop', 'SPUR_SHOP_PORT', shopPort, config.host);
  }

  // The dashboard: an account to sign in with, and figures on the first visit.
  const password = await demoAccount(collectorPackage, storage);
  const token = config.adminToken;
  const ordersFile = path.join(path.dirname(path.resolve(config.db)), 'offline-orders.csv');
  const [seeded, imported] = await seedHistory(storage, { collectorUrl, shopUrl: urlFor(shop.port), writeKey, adminToken: token, ordersFile, env });
  const shownToken = generatedToken ? token : '$SPUR_ADMIN_TOKEN';

  console.log(
    [
      '',
      'spur demo',
      `  shop        ${urlFor(shop.port)}`,
      `  dashboard   ${collectorUrl}/dashboard   sign in as ${DEMO_ACCOUNT} / ${password}   (an admin; a new password each start)`,
      `              ${seeded}; days in ${config.timeZone} (SPUR_TIME_ZONE)`,
      imported && `              ${imported}`,
      `  collector   ${collectorUrl}   (database ${config.db}, write key "${writeKey}", client clock ${config.clientClock})`,
      generatedToken
        ? `  admin token ${token}   (random, for this run only; set SPUR_ADMIN_TOKEN to choose one)`
        : '  admin token from SPUR_ADMIN_TOKEN',
      '',
      'Open the dashboard, or browse the shop and ask the admin API for a profile: use your spur_aid cookie, or after',
      'logging in the customer id (localStorage shop_customer.id, e.g. via devtools):',
      `  curl -H "Authorization: Bearer ${shownToken}" ${collectorUrl}/v1/profiles/<id>/events`,
      'Watch events arrive while you browse the shop (leave a full cart through the top of the window for the exit survey):',
      `  curl -N -H "Authorization: Bearer ${shownToken}" ${collectorUrl}/v1/live`,
      'Tell your own system about abandoned carts, orders and survey answers (signed webhooks; the secret is printed once):',
      `  npx spur webhooks add https://YOUR-RECEIVER/hook --events cart.abandoned,order.completed,survey.answered --collector ${collectorUrl} --token ${shownToken}`,
      '',
      'Ctrl-C stops both.',
      '',
    ]
      .filter((line) => line !== undefined)
      .join('\n'),
  );

  let stopping = false;
  const stop = (signal) => {
    if (stopping) {
      console.error(`spur demo: ${signal} again, exiting now`);
      process.exit(1);
    }
    stopping = true;
    console.log(`spur demo: ${signal}, stopping`);
    const timer = setTimeout(() => {
      console.error(`spur demo: still draining after ${DRAIN_TIMEOUT_MS / 1000} s, exiting`);
      process.exit(1);
    }, DRAIN_TIMEOUT_MS);
    timer.unref();
    // The shop first, so no new page sends to a collector that is going away.
    shop
      .close()
      .then(() => collector.close())
      .then(
        () => {
          console.log('spur demo: stopped');
          process.exitCode = 0;
        },
        (error) => {
          console.error(`spur demo: error while stopping: ${error.message}`);
          process.exitCode = 1;
        },
      )
      .finally(() => clearTimeout(timer));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error) => {
  console.error(`spur demo: ${error.message}`);
  process.exit(1);
});
