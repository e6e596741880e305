// A device of a run: one browser context (cookies, localStorage, IndexedDB), its simulated clock,
// and the requests it sends to the collector's ingest API.
//
// Time: Playwright's clock fakes the page's Date and timers only. The browser's cookie jar keeps
// real time, so when simulated days pass between visits the runner ages the cookies itself: every
// persistent cookie's expiry moves back by the simulated gap, and cookies past it are dropped
// (spur_sid lapses after 30 idle minutes, as it would). Session cookies stay: the browser was
// not restarted.
import { devices, type Browser, type BrowserContext, type BrowserContextOptions, type Request } from 'playwright';
import type { Device as DeviceSpec } from './spec';
import type { EventLike } from './match';

/** A request the browser sent to the collector's ingest API. */
export interface SentRequest {
  /** 1-based, in the order devices joined the run. */
  device: number;
  /** 1-based visit during which it was sent. */
  visit: number;
  method: string;
  url: string;
  /** Real time it was sent (ISO). */
  at: string;
  /** The events it carried (a batch's, or the one event of /v1/track etc.). */
  events: EventLike[];
  /** HTTP status of the answer; absent while in flight or when it failed. */
  status?: number;
  /** Why it failed (offline, refused), when it did. */
  failure?: string;
}

/** What the collector's ingest API looks like, whatever the host name the page uses for it. */
const INGEST = /\/v1\/(batch|track|page|identify|alias)$/;

/** The run's simulated clock: simulated now = real now + offset. */
export interface Timeline {
  offsetMs: number;
}

/** A spur cookie as the device's browser held it at the end of its last visit. */
export interface SpurCookie {
  name: string;
  value: string;
  /** Seconds since the epoch of the browser's (real) clock; -1 for a session cookie. */
  expires: number;
  sameSite: 'Strict' | 'Lax' | 'None';
  secure: boolean;
  httpOnly: boolean;
  /** When it was read (ms since the epoch, real clock): `expires - readAt / 1000` is its lifetime left. */
  readAt: number;
}

export interface Device {
  index: number;
  /** The device as the spec names it, for reports. */
  label: string;
  context: BrowserContext;
  /** spur_aid values seen in its cookie jar. */
  cookieIds: Set<string>;
  /** Its spur_* cookies at the end of its last visit. */
  cookies: SpurCookie[];
  consentApplied: boolean;
  /** Cut off by an offline leg that lasts until the next visit. */
  offline: boolean;
}

/**
 * Playwright context options of a device spec; undefined: Chromium's own defaults. A device that
 * names no user agent gets a browser's (Playwright's Desktop Chrome's, or Pixel 7's when it is
 * mobile), not headless Chromium's own: the collector counts `HeadlessChrome` as a bot and leaves
 * bots out of every figure, and a journey plays a customer.
 */
export function contextOptions(device: DeviceSpec | undefined): BrowserContextOptions {
  if (device === undefined) return { userAgent: devices['Desktop Chrome'].userAgent };
  if (typeof device === 'string') {
    // defaultBrowserType is for Playwright's test runner; the runner is always Chromium.
    const { defaultBrowserType: _ignored, ...options } = devices[device];
    return options;
  }
  return { userAgent: devices[device.isMobile ? 'Pixel 7' : 'Desktop Chrome'].userAgent, ...device };
}

export function deviceLabel(device: DeviceSpec | undefined): string {
  if (device === undefined) return 'desktop (default)';
  return typeof device === 'string' ? device : `${device.viewport.width}×${device.viewport.height}${device.isMobile ? ' mobile' : ''}`;
}

function eventsOf(request: Request): EventLike[] {
  try {
    const body = JSON.parse(request.postData() ?? 'null');
    if (Array.isArray(body?.batch)) return body.batch;
    return body && typeof body === 'object' ? [body] : [];
  } catch {
    return [];
  }
}

/**
 * Records the ingest requests of every device of a run, and tells when none is in flight, so
 * the collector is asked only once everything the browsers sent has been answered.
 */
export function createRecorder() {
  const requests: SentRequest[] = [];
  const inFlight = new Map<Request, SentRequest>();
  const idle: (() => void)[] = [];
  const listeners = new Set<(sent: SentRequest) => void>();
  let visit = 0;

  const settle = (request: Request) => {
    inFlight.delete(request);
    if (!inFlight.size) idle.splice(0).forEach((resolve) => resolve());
  };

  return {
    requests,
    setVisit(n: number) {
      visit = n;
    },
    attach(context: BrowserContext, device: number) {
      context.on('request', (request) => {
        if (request.method() !== 'POST' || !INGEST.test(new URL(request.url()).pathname)) return;
        const sent: SentRequest = { device, visit, method: request.method(), url: request.url(), at: new Date().toISOString(), events: eventsOf(request) };
        requests.push(sent);
        inFlight.set(request, sent);
        for (const listener of listeners) listener(sent);
      });
      context.on('requestfinished', async (request) => {
        const sent = inFlight.get(request);
        if (!sent) return;
        try {
          sent.status = (await request.response())?.status();
        } catch {
          // the context closed meanwhile
        }
        settle(request);
      });
      context.on('requestfailed', (request) => {
        const sent = inFlight.get(request);
        if (!sent) return;
        sent.failure = request.failure()?.errorText ?? 'failed';
        settle(request);
      });
    },
    /** Calls `listener` for each request from now on; returns the function that stops it. */
    onRequest(listener: (sent: SentRequest) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** Resolves when no request is in flight, or after `timeoutMs` (a keepalive request of a closed page may never report). */
    idle(timeoutMs: number): Promise<void> {
      if (!inFlight.size) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        idle.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}

export type Recorder = ReturnType<typeof createRecorder>;

/** A new device for the run: a fresh context whose clock shows the run's simulated time. */
export async function openDevice(browser: Browser, spec: DeviceSpec | undefined, index: number, timeline: Timeline, recorder: Recorder): Promise<Device> {
  const context = await browser.newContext(contextOptions(spec));
  // Installed before any page exists, so every page of the device runs on the simulated clock.
  await context.clock.install({ time: Date.now() + timeline.offsetMs });
  recorder.attach(context, index);
  return { index, label: deviceLabel(spec), context, cookieIds: new Set(), cookies: [], consentApplied: false, offline: false };
}

/**
 * Lets `ms` of simulated time pass for a device with no open page: its clock jumps, and its
 * cookies age by as much (those past their expiry are gone).
 */
export async function advanceDevice(device: Device, ms: number): Promise<void> {
  await device.context.clock.fastForward(ms);
  const cookies = await device.context.cookies();
  const nowSeconds = Date.now() / 1000;
  const gapSeconds = ms / 1000;
  // expires -1: a session cookie, which lives as long as the browser does.
  const aged = cookies
    .filter((c) => c.expires === -1 || c.expires - gapSeconds > nowSeconds)
    .map((c) => (c.expires === -1 ? c : { ...c, expires: c.expires - gapSeconds }));
  await device.context.clearCookies();
  if (aged.length) await device.context.addCookies(aged);
}

/** Remembers the device's spur cookies and its current spur_aid. */
export async function noteCookies(device: Device): Promise<void> {
  const readAt = Date.now();
  device.cookies = (await device.context.cookies())
    .filter((c) => c.name.startsWith('spur_'))
    .map(({ name, value, expires, sameSite, secure, httpOnly }) => ({ name, value, expires, sameSite, secure, httpOnly, readAt }));
  for (const cookie of device.cookies) if (cookie.name === 'spur_aid') device.cookieIds.add(cookie.value);
}

/** What spur left in a device's browser: spur_* cookies (but the consent choice), localStorage keys, IndexedDB databases. */
export async function spurStorage(device: Device, baseUrl: string): Promise<string[]> {
  const found = (await device.context.cookies())
    .filter((c) => c.name.startsWith('spur_') && c.name !== 'spur_consent')
    .map((c) => `cookie ${c.name}`);
  // A page of the shop's origin without the shop (and so without the SDK) reads its storage.
  const probeUrl = new URL('/__spur_simulate_probe__', baseUrl).href;
  const page = await device.context.newPage();
  try {
    await page.route(probeUrl, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>probe</title>' }));
    await page.goto(probeUrl);
    const inPage = await page.evaluate(async () => {
      const keys = Object.keys(localStorage).filter((k) => k.startsWith('spur_') && k !== 'spur_consent').map((k) => `localStorage ${k}`);
      const dbs = (await indexedDB.databases()).filter((d) => d.name === 'spur').map((d) => `IndexedDB ${d.name}`);
      return [...keys, ...dbs];
    });
    found.push(...inPage);
  } finally {
    await page.close();
  }
  return found;
}
