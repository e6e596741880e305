// Reduces a user agent string to families (device type, browser, OS) so the raw string, which
// is a fingerprinting aid, is never stored. A small ordered rule table rather than a dependency:
// the answer only needs to be right for the families below, and the order of rules is the logic.

export type DeviceType = 'desktop' | 'mobile' | 'tablet' | 'bot' | 'unknown';
export type BrowserName = 'Chrome' | 'Firefox' | 'Safari' | 'Edge' | 'Opera' | 'Samsung Internet' | 'Other';
export type OsName = 'Windows' | 'macOS' | 'iOS' | 'Android' | 'Linux' | 'ChromeOS' | 'Other';

export interface UserAgentFamilies {
  device: { type: DeviceType };
  browser: { name: BrowserName };
  os: { name: OsName };
}

type Rule<T> = [RegExp, T];

// Crawlers and HTTP libraries; checked first because crawlers often imitate a browser string.
const BOT = /(?<!cu)bot(\b|[/_-])|crawl|spider|slurp|mediapartners|facebookexternalhit|headlesschrome|lighthouse|pingdom|preview|curl\/|wget\/|python-|node-fetch|axios\/|undici|go-http-client|okhttp|java\/|libwww|httpclient/i;

const DEVICES: Rule<DeviceType>[] = [
  // Android phones say "Mobile"; Android tablets do not, so tablet rules come first.
  [/ipad|tablet|playbook|silk\/|kindle|android(?!.*mobile)/i, 'tablet'],
  [/mobi|iphone|ipod|windows phone|blackberry|opera mini/i, 'mobile'],
  // iPadOS 13+ sends a Macintosh string by default; it is indistinguishable here and counts as desktop.
  [/windows nt|macintosh|cros|x11|linux/i, 'desktop'],
];

// Order matters: Edge, Opera and Samsung Internet also say "Chrome" and "Safari";
// Chrome says "Safari"; so the most specific token wins.
const BROWSERS: Rule<BrowserName>[] = [
  [/edg(e|a|ios)?\//i, 'Edge'],
  [/samsungbrowser\//i, 'Samsung Internet'],
  [/opr\/|opera|opios\/|opt\//i, 'Opera'],
  [/firefox\/|fxios\//i, 'Firefox'],
  [/chrome\/|crios\/|chromium\//i, 'Chrome'],
  // Real Safari carries "Version/x"; in-app iOS web views do not and stay Other.
  [/version\/[\d.]+.*safari\//i, 'Safari'],
];

// iOS before macOS (iPhone strings contain "like Mac OS X"); Android and ChromeOS before Linux.
const SYSTEMS: Rule<OsName>[] = [
  [/windows/i, 'Windows'],
  [/iphone|ipad|ipod/i, 'iOS'],
  [/android/i, 'Android'],
  [/cros/i, 'ChromeOS'],
  [/macintosh|mac os x/i, 'macOS'],
  [/linux|x11/i, 'Linux'],
];

function first<T>(rules: Rule<T>[], ua: string, fallback: T): T {
  for (const [pattern, value] of rules) if (pattern.test(ua)) return value;
  return fallback;
}

// Families by user agent string. A shop's traffic comes from a few hundred distinct strings, and
// every event of a batch carries the same one, so the rule table runs once per string. Bounded:
// cleared when full, so a flood of made-up strings costs memory of at most CACHE_SIZE entries.
const CACHE_SIZE = 2000;
const cache = new Map<string, UserAgentFamilies>();

/**
 * Families of a user agent string; an empty or missing string gives unknown / Other. The answer
 * is shared between calls: callers must not modify it.
 */
export function parseUserAgent(ua: string | undefined): UserAgentFamilies {
  const key = ua ?? '';
  let families = cache.get(key);
  if (!families) {
    if (cache.size >= CACHE_SIZE) cache.clear();
    families = parse(key);
    cache.set(key, families);
  }
  return families;
}

function parse(ua: string): UserAgentFamilies {
  const text = ua.trim();
  const type: DeviceType = !text ? 'unknown' : BOT.test(text) ? 'bot' : first(DEVICES, text, 'unknown');
  return {
    device: { type },
    browser: { name: first(BROWSERS, text, 'Other') },
    os: { name: first(SYSTEMS, text, 'Other') },
  };
}
