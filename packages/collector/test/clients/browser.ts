// Browser clients as a shop ships them: the library bundled from npm with rollup (node-resolve,
// commonjs for the CommonJS packages inside, as a shop's bundler does), on a shop page served
// from a second loopback origin, driven in real Chromium against a real collector (collector.ts).
// Every URL is on 127.0.0.1: a request anywhere else is aborted and fails the test.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import commonjs from '@rollup/plugin-commonjs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { rollup } from 'rollup';
import { launchChromium } from '../../../journeys/src/browser';
import type { Browser, Page } from 'playwright';
import { startCollector, type TestCollector } from './collector';

const ROOT = join(__dirname, '../../../..');
const version = (pkg: string) => (JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * Bundles `entry` (ES module source that imports the library and puts what the page needs on
 * window) into an IIFE. Cached in the temp dir by package version and entry, so a run bundles
 * each library once.
 */
export async function bundle(pkg: string, entry: string): Promise<string> {
  const key = createHash('sha256').update(`${pkg}@${version(pkg)}\n${entry}`).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'spur-client-bundles');
  const file = join(dir, `${key}.js`);
  if (existsSync(file)) return readFileSync(file, 'utf8');
  const virtual = {
    name: 'entry',
    resolveId: (id: string) => (id === '\0entry' ? id : null),
    load: (id: string) => (id === '\0entry' ? entry : null),
  };
  const build = await rollup({
    input: '\0entry',
    plugins: [virtual, nodeResolve({ browser: true, rootDir: ROOT }), commonjs()],
    // Third-party code: its warnings (circular imports, `this` at top level) are not ours.
    onwarn: () => undefined,
  });
  try {
    const { output } = await build.generate({ format: 'iife', inlineDynamicImports: true });
    mkdirSync(dir, { recursive: true });
    // Written whole under another name first, so a parallel run never reads half a file.
    writeFileSync(`${file}.${process.pid}`, output[0].code);
    renameSync(`${file}.${process.pid}`, file);
    return output[0].code;
  } finally {
    await build.close();
  }
}

export interface ShopPage {
  collector: TestCollector;
  /** The shop's origin (another port: requests to the collector are cross-origin). */
  shopUrl: string;
  page: Page;
  /** Requests the page made that were not to 127.0.0.1 (must stay empty). */
  offsite: string[];
  /** Errors the page threw or logged. */
  errors: string[];
  close(): Promise<void>;
}

let browser: Browser | undefined;
/** One Chromium per test file; closed by closeBrowser() in afterAll. */
async function chromium(): Promise<Browser> {
  browser ??= await launchChromium();
  return browser;
}
export async function closeBrowser(): Promise<void> {
  await browser?.close();
  browser = undefined;
}

/**
 * Starts a collector and a shop server whose page `/` loads `script` (the bundle) and then runs
 * `setup` (the shop's own lines), and opens the page in a fresh browser context.
 */
export async function openShop(script: string, setup: string): Promise<ShopPage> {
  const shop = http.createServer((req, res) => {
    if (req.url === '/client.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(script);
    } else if (req.url?.split('?')[0] === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html><head><meta charset="utf-8"><title>Test shop</title></head><body>
<h1>Test shop</h1><script src="/client.js"></script><script>${setup}</script></body></html>`);
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => shop.listen(0, '127.0.0.1', resolve));
  const shopUrl = `http://127.0.0.1:${(shop.address() as AddressInfo).port}`;
  const collector = await startCollector([shopUrl]);
  const context = await (await chromium()).newContext();
  const offsite: string[] = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1') return route.continue();
    offsite.push(url.href);
    return route.abort();
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  await page.goto(`${shopUrl}/`);
  return {
    collector,
    shopUrl,
    page,
    offsite,
    errors,
    async close() {
      await context.close();
      await new Promise<void>((resolve) => shop.close(() => resolve()));
      await collector.close();
    },
  };
}
