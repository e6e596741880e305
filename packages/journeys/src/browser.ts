// The one place that finds and launches Chromium for tests and journeys (ARCHITECTURE.md,
// "Browser tests and journeys").
import { existsSync } from 'node:fs';
import { chromium, devices, type Browser, type LaunchOptions } from 'playwright';

/** Where the Chromium executable was found. */
export type ChromiumSource = 'SPUR_CHROMIUM' | 'playwright' | 'system';

/** Where to look besides SPUR_CHROMIUM; tests inject fakes, callers use the defaults. */
export interface ChromiumLookup {
  /** Path of Playwright's own download (used only if the file exists). @defaultValue `chromium.executablePath()` */
  playwrightPath?: () => string | undefined;
  /** System executables, tried in order. @defaultValue `['/usr/bin/chromium', '/usr/bin/chromium-browser']` */
  systemPaths?: readonly string[];
}

export interface FoundChromium {
  /** Path of the executable; undefined lets Playwright use its own download. */
  executablePath?: string;
  source: ChromiumSource;
}

/** System locations, in order: Debian's package, then the older Ubuntu/Fedora name. */
const SYSTEM_CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

const HOW_TO_GET_ONE =
  'Install one of: `npx playwright install chromium` (Playwright\'s own build), ' +
  'the system package `chromium` (e.g. `apt-get install chromium`), ' +
  'or point SPUR_CHROMIUM at a Chromium executable.';

function playwrightExecutable(): string | undefined {
  try {
    // Names the file where `npx playwright install chromium` would put it, whether or not it ran.
    return chromium.executablePath();
  } catch {
    return undefined;
  }
}

/**
 * Finds a Chromium to drive: `SPUR_CHROMIUM` if set (it must exist), then Playwright's own
 * download, then the system's `/usr/bin/chromium` (or `/usr/bin/chromium-browser`).
 * Throws an Error that says how to get one when none is there.
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env, lookup: ChromiumLookup = {}): FoundChromium {
  const { playwrightPath = playwrightExecutable, systemPaths = SYSTEM_CHROMIUM } = lookup;
  const fromEnv = env.SPUR_CHROMIUM;
  if (fromEnv) {
    if (!existsSync(fromEnv)) {
      throw new Error(`SPUR_CHROMIUM is set to ${fromEnv}, but there is no file there. ${HOW_TO_GET_ONE}`);
    }
    return { executablePath: fromEnv, source: 'SPUR_CHROMIUM' };
  }
  const own = playwrightPath();
  if (own && existsSync(own)) return { executablePath: own, source: 'playwright' };
  const system = systemPaths.find((path) => existsSync(path));
  if (system) return { executablePath: system, source: 'system' };
  throw new Error(
    `No Chromium found: SPUR_CHROMIUM is not set, Playwright has no downloaded browser, ` +
      `and none of ${systemPaths.join(', ')} exists. ${HOW_TO_GET_ONE}`,
  );
}

/** Flags that keep a test browser quiet and deterministic: no updaters, no first-run UI, no sync. */
const QUIET_ARGS = [
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

/**
 * The user agent the browser sends where no context names one: Playwright's Desktop Chrome's.
 * Headless Chromium's own says HeadlessChrome, which the collector counts as a bot and leaves out
 * of every figure; and a context's user agent does not reach the requests a page sends as it
 * unloads (keepalive), which then carry the browser's: a journey's cart would be a bot's.
 */
export const BROWSER_USER_AGENT = devices['Desktop Chrome'].userAgent;

/**
 * Launches headless Chromium found by {@link findChromium} (unless `options.executablePath` names
 * one), with BROWSER_USER_AGENT unless `args` name a `--user-agent`. Other options are passed
 * through to Playwright; `args` are appended to spur's defaults.
 */
export async function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  const executablePath = options.executablePath ?? findChromium().executablePath;
  // Chromium's sandbox refuses to start as root (containers, CI); it is meant for untrusted users.
  const sandboxArgs = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
  const agentArgs = options.args?.some((a) => a.startsWith('--user-agent')) ? [] : [`--user-agent=${BROWSER_USER_AGENT}`];
  return chromium.launch({
    headless: true,
    ...options,
    executablePath,
    args: [...QUIET_ARGS, ...sandboxArgs, ...agentArgs, ...(options.args ?? [])],
  });
}
