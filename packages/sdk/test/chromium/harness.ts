// What the SDK's Chromium tests run against: a real collector (@spur/collector on a temporary
// SQLite file) in an Express app on 127.0.0.1 that also serves a test shop page and the built
// dist/spur.js. In front of the collector a recorder notes the messageIds of every /v1/batch
// request, and a fault switch makes it answer 5xx/429, hang, drop the connection, or let the
// collector store the batch and drop the connection instead of its answer; the server can stop
// (connection refused) and start again on the same port.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express, { type Express } from 'express';
import { createCollector, createStore, openSqliteStorage, type Store } from '@spur/collector';
import { findChromium, launchChromium } from '@spur/journeys';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright';

/** The bundle under test: dist/spur.js, or SPUR_TEST_SDK (e.g. an older build, to see a test fail without a fix). */
export const SDK = process.env.SPUR_TEST_SDK || join(__dirname, '../../dist/spur.js');
export const WRITE_KEY = 'test';
const ADMIN_TOKEN = 'chromium-admin';

/** True when dist/spur.js is built; the tests skip (and say so) otherwise. */
export const built = existsSync(SDK);

/** What the collector does with the next /v1/batch requests. */
export type Fault =
  | { status: number; retryAfter?: string } // answer this instead of passing the request on
  | { delay: number } // pass the request on after this many ms (a slow collector)
  | 'hang' // never answer
  | 'destroy' // close the connection without an answer
  | 'lose-answer'; // pass the request on (the collector stores it), then close the connection instead of answering

/** One /v1/batch request as it arrived. */
export interface Arrival {
  at: number;
  ids: string[];
  names: string[];
  dropped?: number;
  /** Body size in bytes. */
  bytes: number;
  /** The status it was answered with (undefined: hung, destroyed, or not answered yet). */
  status?: number;
  contentType?: string;
}

export interface HarnessOptions {
  /** Serve the shop page from a second server, so that requests are cross-origin. */
  otherOrigin?: boolean;
  /** Mount the collector under this path (e.g. '/spur'), as a shop's app would. */
  mount?: string;
  /**
   * Host name in the URLs instead of 127.0.0.1, e.g. 'shop.test' for a page that is no secure
   * context (plain http, not localhost); the browser must map it (launch({ hosts: [...] })).
   */
  host?: string;
}

/** A test page: the stub, optional queued calls, and the script tag. */
export interface PageOptions {
  /** Queued `spur('init', …)` options, applied over the tag's attributes. */
  init?: Record<string, unknown>;
  /** Other calls queued in the stub before spur.js loads, e.g. [['survey', {...}]]. */
  queued?: unknown[][];
  /** data-* attributes of the script tag besides data-write-key (e.g. { 'auto-page': 'false' }). */
  data?: Record<string, string>;
  /** Where the script tag loads spur.js from. @defaultValue the collector's /spur.js */
  src?: string;
  /** Let the HTTP cache keep the page (max-age), so that it loads while the browser is offline. */
  cache?: boolean;
  /** HTML appended to the body (e.g. JSON-LD and the tag of a chunk). */
  body?: string;
  /** A Content-Security-Policy header for the page. */
  csp?: string;
}

const page = (options: PageOptions, src: string) => {
  const attributes = Object.entries({ 'write-key': WRITE_KEY, ...options.data })
    .map(([k, v]) => ` data-${k}="${v.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}"`)
    .join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>Test shop</title>
<script>window.spur = window.spur || function(){(spur.q=spur.q||[]).push(arguments)}</script>
${options.init ? `<script>spur('init', ${JSON.stringify(options.init)})</script>` : ''}
${(options.queued ?? []).map((args) => `<script>spur(...${JSON.stringify(args)})</script>`).join('')}
<script async src="${options.src ?? src}"${attributes}></script>
</head><body><h1>Test shop</h1><a id="next" href="/page">next</a>${options.body ?? ''}</body></html>`;
};

export async function startHarness(options: HarnessOptions = {}) {
  const mount = options.mount ?? '';
  const dir = mkdtempSync(join(tmpdir(), 'spur-chromium-'));
  const storage: Store = createStore(await openSqliteStorage(join(dir, 'spur.db')));
  const arrivals: Arrival[] = [];
  let fault: Fault | undefined;
  const hung = new Set<http.ServerResponse>();

  // Two servers when asked: the collector's, and the shop's on another port (another origin).
  const collectorServer = await listen(0);
  const shopServer = options.otherOrigin ? await listen(0) : collectorServer;
  const origin = (s: Listening) => `http://${options.host ?? '127.0.0.1'}:${s.port}`;
  const collectorUrl = origin(collectorServer) + mount;
  const shopUrl = origin(shopServer);

  const collector = createCollector({
    storage,
    writeKeys: { [WRITE_KEY]: [shopUrl] },
    adminToken: ADMIN_TOKEN,
    clientClock: 'trust',
    sdkPath: SDK,
  });

  const shop = express();
  shop.get('/page', (req, res) => {
    const opts = req.query.o ? (JSON.parse(String(req.query.o)) as PageOptions) : {};
    // no-cache, not no-store: Chrome keeps no no-store page in the back/forward cache.
    if (opts.csp) res.set('Content-Security-Policy', opts.csp);
    res.set('Cache-Control', opts.cache ? 'max-age=600' : 'no-cache').type('html').send(page(opts, `${collectorUrl}/spur.js`));
  });

  const app: Express = express();
  // The bundle under test, read when the server starts (each test file starts its own server on
  // a new port, so the browser's cache never holds an older build under this URL).
  const bundle = readFileSync(SDK);
  app.get(`${mount}/spur.js`, (_req, res) => {
    res.set({ 'Cache-Control': 'max-age=600', 'Access-Control-Allow-Origin': '*' }).type('js').send(bundle);
  });
  app.post(`${mount}/v1/batch`, express.raw({ type: () => true, limit: '1mb' }), (req, res, next) => {
    // express.raw marks the body read, so the collector's own body parser keeps req.body.
    let parsed: { batch?: { messageId?: string; event?: string; type?: string }[]; dropped?: number } = {};
    try {
      parsed = JSON.parse(String(req.body));
    } catch {
      // recorded with no ids; the collector answers 400
    }
    const batch = Array.isArray(parsed.batch) ? parsed.batch : [];
    const arrival: Arrival = {
      at: Date.now(),
      ids: batch.map((e) => String(e.messageId)),
      names: batch.map((e) => String(e.event ?? e.type)),
      dropped: parsed.dropped,
      bytes: Buffer.isBuffer(req.body) ? req.body.length : 0,
      contentType: req.get('content-type'),
    };
    arrivals.push(arrival);
    res.on('finish', () => (arrival.status = res.statusCode));
    const f = fault;
    if (f === 'hang') return void hung.add(res);
    if (f === 'destroy') return void req.socket.destroy();
    if (f === 'lose-answer') {
      // The collector answers only after its commit: the events are stored, the page hears nothing.
      res.write = res.end = (() => (req.socket.destroy(), res)) as never;
      return void next();
    }
    if (f && 'delay' in f) return void setTimeout(next, f.delay);
    if (f) {
      if (f.retryAfter) res.set('Retry-After', f.retryAfter);
      // CORS headers as the collector would send them, so that the page can read the status.
      res.set({ 'Access-Control-Allow-Origin': shopUrl, 'Access-Control-Allow-Credentials': 'true' });
      return void res.status(f.status).json({ error: { code: 'fault', message: 'test fault' } });
    }
    next();
  });
  if (mount) app.use(mount, collector);
  else app.use(collector);

  collectorServer.handle = options.otherOrigin ? app : combine(shop, app);
  if (options.otherOrigin) shopServer.handle = shop;

  const ok = () => arrivals.filter((a) => a.status !== undefined && a.status >= 200 && a.status < 300);

  return {
    /** Origin of the shop page. */
    shopUrl,
    /** Where the collector is (origin + mount). */
    collectorUrl,
    /** URL of a test page. */
    pageUrl: (o: PageOptions = {}) => `${shopUrl}/page?o=${encodeURIComponent(JSON.stringify(o))}`,
    arrivals,
    /** messageId → how many requests carried it (answered 2xx when `accepted`). */
    counts(accepted = false): Map<string, number> {
      const counts = new Map<string, number>();
      for (const a of accepted ? ok() : arrivals) for (const id of a.ids) counts.set(id, (counts.get(id) ?? 0) + 1);
      return counts;
    },
    /** Event names answered 2xx, in arrival order. */
    delivered: () => ok().flatMap((a) => a.names),
    /** messageIds that arrived more than once (in any request, answered or not). */
    duplicates(): string[] {
      return [...this.counts()].filter(([, n]) => n > 1).map(([id]) => id);
    },
    /** Requests already hung stay hung (until the page aborts them, or close()). */
    setFault(f: Fault | undefined): void {
      fault = f;
    },
    /** Waits (polling the recorder: no event exists for "stored") until `check` holds. */
    async until(check: () => boolean, timeout = 10000, what = String(check)): Promise<void> {
      const deadline = Date.now() + timeout;
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    /** Connection refused from now on, until start(). */
    stop: () => collectorServer.stop(),
    /** Listens again on the same port. */
    start: () => collectorServer.start(),
    /** How many events the collector stored (by the admin API's count of this profile, or the DB). */
    storage,
    async close(): Promise<void> {
      for (const res of hung) res.destroy();
      await collectorServer.stop();
      if (shopServer !== collectorServer) await shopServer.stop();
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type Harness = Awaited<ReturnType<typeof startHarness>>;

interface Listening {
  port: number;
  handle: http.RequestListener;
  stop(): Promise<void>;
  start(): Promise<void>;
}

// A server whose handler is set later, and that can stop and listen again on the same port.
async function listen(port: number): Promise<Listening> {
  const sockets = new Set<Socket>();
  const self: Listening = {
    port,
    handle: (_req, res) => res.writeHead(503).end(),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
    start: () => new Promise<void>((resolve) => server.listen(self.port, '127.0.0.1', () => resolve())),
  };
  const server = http.createServer((req, res) => self.handle(req, res));
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  self.port = (server.address() as AddressInfo).port;
  return self;
}

// One server for the shop page and the collector (same origin): the shop's routes first.
function combine(shop: Express, app: Express): http.RequestListener {
  return (req, res) => shop(req as express.Request, res as express.Response, () => app(req, res));
}

/**
 * Chromium through @spur/journeys (its flags, and the browser it finds). With `bfcache`, without
 * Playwright's --disable-back-forward-cache, so that pages can go into the back/forward cache;
 * `hosts` are names that resolve to 127.0.0.1.
 */
export const launch = (bfcache = false, hosts: string[] = []): Promise<Browser> =>
  launchChromium({
    ...(bfcache && { ignoreDefaultArgs: ['--disable-back-forward-cache'] }),
    args: hosts.map((host) => `--host-resolver-rules=MAP ${host} 127.0.0.1`),
  });

/**
 * A harness and a browser for every test of the calling file: started before them, closed after
 * them, nothing when dist/spur.js is not built. `use` receives both once started, e.g.
 * `useHarness((s) => ({ h, browser } = s))`.
 */
export function useHarness(
  use: (started: { h: Harness; browser: Browser }) => void,
  options: { harness?: HarnessOptions; bfcache?: boolean; hosts?: string[] } = {},
): void {
  let started: { h: Harness; browser: Browser } | undefined;
  beforeAll(async () => {
    if (!built) return;
    const h = await startHarness(options.harness);
    started = { h, browser: await launch(options.bfcache, options.hosts) };
    use(started);
  });
  afterAll(async () => {
    await started?.browser.close();
    await started?.h.close();
  });
}

/**
 * A persistent profile (IndexedDB, cookies survive a browser restart), launched like
 * launchChromium does: @spur/journeys has no persistent variant, so its flags are repeated here.
 */
export function launchPersistent(userDataDir: string): Promise<BrowserContext> {
  const sandbox = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
  return chromium.launchPersistentContext(userDataDir, {
    headless: true,
    executablePath: findChromium().executablePath,
    args: ['--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', ...sandbox],
  });
}

/** Waits until spur.js has loaded on `page` and window.spur has its methods. */
export async function spurLoaded(page: Page): Promise<void> {
  await page.waitForFunction(() => typeof (window as unknown as { spur?: { flush?: unknown } }).spur?.flush === 'function');
}

/** Calls spur.track(name, props) `n` times on the page (names suffixed with -i when n > 1). */
export async function track(page: Page, name: string, n = 1, props: Record<string, unknown> = {}): Promise<void> {
  await page.evaluate(
    ([name, n, props]) => {
      const spur = (window as unknown as { spur: { track(e: string, p?: object): void } }).spur;
      for (let i = 0; i < n; i++) spur.track(n > 1 ? `${name}-${i}` : name, props);
    },
    [name, n, props] as const,
  );
}

/** How many events spur's IndexedDB outbox holds (its rows are parcels of events), read in the page. */
export function outboxEvents(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        const open = indexedDB.open('spur');
        // As spur creates it: opening first must not leave spur a database without its store.
        open.onupgradeneeded = () => open.result.createObjectStore('outbox');
        open.onerror = () => resolve(-1);
        open.onsuccess = () => {
          const db = open.result;
          const req = db.transaction('outbox').objectStore('outbox').getAll();
          req.onsuccess = () => resolve((db.close(), req.result.reduce((n: number, row: [string, string[]]) => n + row[1].length, 0)));
        };
      }),
  );
}

/** Polls the page's outbox until it holds `n` events (nothing in the page signals a committed write). */
export async function outboxHolds(page: Page, n: number, timeout = 5000): Promise<void> {
  const deadline = Date.now() + timeout;
  while ((await outboxEvents(page)) !== n) {
    if (Date.now() > deadline) throw new Error(`the outbox never held ${n} events (${await outboxEvents(page)})`);
    await page.waitForTimeout(20);
  }
}

/** A temporary directory, removed by the returned function. */
export function tempDir(prefix: string): [string, () => void] {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return [dir, () => rmSync(dir, { recursive: true, force: true })];
}
