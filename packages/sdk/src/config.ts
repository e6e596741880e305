// Configuration: what init() accepts, the data-* attributes of the script tag, the debug switch.

/** What `init()` accepts. Everything but `writeKey` has a default. */
export interface Config {
  /** The collector's write key for this shop. Required. */
  writeKey: string;
  /**
   * Origin (and optional path prefix) of the collector; events go to `${endpoint}/v1/batch`.
   * @defaultValue the spur.js script's URL without `/spur.js` (`https://c.example/spur.js` ->
   * `https://c.example`, `/spur/spur.js` -> `https://shop.example/spur`); '' (this page's origin)
   * for the ESM build
   */
  endpoint?: string;
  /** Domain of the id cookies, e.g. `shop.example` to share them with subdomains. @defaultValue none (host-only cookies) */
  cookieDomain?: string;
  /** Record a page view on init and on every SPA navigation. @defaultValue true */
  autoPage?: boolean;
  /** Send as soon as this many events wait. @defaultValue 20 */
  flushAt?: number;
  /** Send waiting events at the latest this many milliseconds after they were recorded. @defaultValue 2000 */
  flushInterval?: number;
  /** Warn in the console about ignored calls and dropped events. @defaultValue false */
  debug?: boolean;
  /**
   * `'required'`: spur stores nothing (no cookie, no IndexedDB, no localStorage) and sends nothing
   * until `consent('granted')`; what is recorded meanwhile waits in memory. The choice is kept in
   * the cookie `spur_consent` for 180 days. @defaultValue consent is not needed (`consent('denied')` still opts out)
   */
  consent?: 'required';
  /**
   * `'ignore'`: a browser that sends Global Privacy Control (`navigator.globalPrivacyControl`) is
   * tracked like any other. @defaultValue GPC counts as `consent('denied')` until the visitor grants consent on the site
   */
  gpc?: 'ignore';
  /** The fetch to send with; tests pass a recorder. @defaultValue window.fetch */
  fetch?: typeof fetch;
  /** @internal spur.js: the exit survey of its tag's data-survey (the script-tag build loads its chunk). */
  survey?: unknown;
}

let debug: boolean | undefined;

export function setDebug(on: boolean | undefined): void {
  debug = on;
}

/** Warns only in debug mode: the host page's console is not ours to fill. */
export function warn(...args: unknown[]): void {
  if (debug) console.warn('[spur]', ...args);
}

/** Unless `ok`: throws for a misuse the integrator must fix, saying what the call needs. */
export function check(ok: unknown, call: string, needs: string): asserts ok {
  if (!ok) throw new Error(`spur.${call} needs ${needs}`);
}

/** Config from the script tag's data-* attributes (read once, while spur.js runs). */
export function scriptConfig(script: HTMLScriptElement | null): Partial<Config> {
  const data = script?.dataset || {};
  // writeKey, endpoint, cookieDomain, consent, gpc as they are (other data-* attributes come along, unused).
  return {
    ...data,
    // A script served as `<collector>/spur.js` sends to its URL without the file name (and the
    // query string), so that a collector mounted under a path (`/spur/spur.js`) is found too. `src`
    // is absolute, or '' for an inline script (then init() or the default decides).
    endpoint: data.endpoint || /^([^?#]*)\//.exec(script?.src!)?.[1],
    autoPage: data.autoPage != 'false',
    debug: data.debug != null && data.debug != 'false',
  };
}
