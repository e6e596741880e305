import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BROWSER_USER_AGENT, findChromium, launchChromium } from '../src/browser';

let dir: string;
/** Creates an empty file standing in for an executable and returns its path. */
const fakeExecutable = (name: string): string => {
  const path = join(dir, name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, '');
  return path;
};
const missing = (name: string): string => join(dir, 'missing', name);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'spur-chromium-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('findChromium(env)', () => {
  it('prefers SPUR_CHROMIUM over Playwright and the system', () => {
    const own = fakeExecutable('spur-chrome');
    const found = findChromium(
      { SPUR_CHROMIUM: own },
      { playwrightPath: () => fakeExecutable('pw/chrome'), systemPaths: [fakeExecutable('usr/bin/chromium')] },
    );
    expect(found).toEqual({ executablePath: own, source: 'SPUR_CHROMIUM' });
  });

  it('throws when SPUR_CHROMIUM names a file that does not exist, instead of falling back', () => {
    const path = missing('chrome');
    expect(() =>
      findChromium({ SPUR_CHROMIUM: path }, { systemPaths: [fakeExecutable('usr/bin/chromium')] }),
    ).toThrow(`SPUR_CHROMIUM is set to ${path}, but there is no file there`);
  });

  it("uses Playwright's own download when SPUR_CHROMIUM is not set", () => {
    const pw = fakeExecutable('pw/chrome');
    const found = findChromium({}, { playwrightPath: () => pw, systemPaths: [fakeExecutable('usr/bin/chromium')] });
    expect(found).toEqual({ executablePath: pw, source: 'playwright' });
  });

  it('falls back to the first system Chromium that exists when Playwright has no download', () => {
    const second = fakeExecutable('usr/bin/chromium-browser');
    const found = findChromium(
      {},
      { playwrightPath: () => missing('pw/chrome'), systemPaths: [missing('usr/bin/chromium'), second] },
    );
    expect(found).toEqual({ executablePath: second, source: 'system' });
  });

  it('treats a Playwright lookup that finds nothing like a missing download', () => {
    const system = fakeExecutable('usr/bin/chromium');
    expect(findChromium({}, { playwrightPath: () => undefined, systemPaths: [system] }).source).toBe('system');
  });

  it('says how to get a Chromium when none is there', () => {
    let message = '';
    try {
      findChromium({}, { playwrightPath: () => missing('pw/chrome'), systemPaths: [missing('usr/bin/chromium')] });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('No Chromium found');
    expect(message).toContain('npx playwright install chromium');
    expect(message).toContain('`chromium`');
    expect(message).toContain('SPUR_CHROMIUM');
  });

  it("finds Playwright's real download location (PLAYWRIGHT_BROWSERS_PATH) by default", () => {
    // Playwright reads PLAYWRIGHT_BROWSERS_PATH when it loads, so load a fresh copy with it set.
    const saved = process.env.PLAYWRIGHT_BROWSERS_PATH;
    process.env.PLAYWRIGHT_BROWSERS_PATH = dir;
    try {
      jest.isolateModules(() => {
        const pw = require('playwright') as typeof import('playwright');
        const fresh = require('../src/browser') as typeof import('../src/browser');
        const expected = pw.chromium.executablePath();
        expect(relative(dir, expected).startsWith('..')).toBe(false);
        expect(() => fresh.findChromium({}, { systemPaths: [] })).toThrow('No Chromium found');
        fakeExecutable(relative(dir, expected));
        expect(fresh.findChromium({})).toEqual({ executablePath: expected, source: 'playwright' });
      });
    } finally {
      if (saved === undefined) delete process.env.PLAYWRIGHT_BROWSERS_PATH;
      else process.env.PLAYWRIGHT_BROWSERS_PATH = saved;
    }
  });

  it('finds a Chromium on this machine with the default lookup', () => {
    const found = findChromium();
    expect(['SPUR_CHROMIUM', 'playwright', 'system']).toContain(found.source);
  });
});

describe('launchChromium(options)', () => {
  it('opens a page in real headless Chromium and evaluates script', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      expect(await page.evaluate(() => 1 + 1)).toBe(2);
      expect(browser.version()).toMatch(/^\d+\./);
    } finally {
      await browser.close();
    }
  });

  it("starts Chromium with spur's quiet flags, --no-sandbox as root, and the caller's extra args", async () => {
    const browser = await launchChromium({ args: ['--lang=de-DE'] });
    try {
      const page = await browser.newPage();
      await page.goto('chrome://version');
      const commandLine = await page.locator('#command_line').innerText();
      for (const flag of ['--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--lang=de-DE']) {
        expect(commandLine).toContain(flag);
      }
      if (process.getuid?.() === 0) expect(commandLine).toContain('--no-sandbox');
    } finally {
      await browser.close();
    }
  });

  it("sends a browser's user agent, not HeadlessChrome, also from a page that unloads (keepalive), whatever the context says", async () => {
    // Headless Chromium's own user agent is a bot's to the collector; a context's override does
    // not reach what a page sends as it goes, so the browser's own must not be headless either.
    const seen: IncomingHttpHeaders[] = [];
    const server = createServer((req, res) => {
      if (req.url === '/beacon') seen.push(req.headers);
      res.setHeader('content-type', 'text/html');
      res.end(req.url === '/' ? `<script>addEventListener('pagehide', () => fetch('/beacon', { method: 'POST', body: 'x', keepalive: true }))</script>` : 'next');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148' });
      await page.goto(url);
      await page.goto(`${url}/next`);
      for (let i = 0; i < 100 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(seen).toHaveLength(1);
      expect(seen[0]['user-agent']).not.toMatch(/headless/i);
      expect(await (await browser.newPage()).evaluate(() => navigator.userAgent)).toBe(BROWSER_USER_AGENT);
    } finally {
      await browser.close();
      server.close();
    }
  });
});
