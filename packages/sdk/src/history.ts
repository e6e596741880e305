// SPA navigation: single-page shops change the URL with history.pushState/replaceState, which
// fire no event, and get popstate on back and forward.

/** The page's URL without its fragment: what page views record, and what counts as navigating. */
export const pageUrl = () => location.href.split('#')[0];

/**
 * Calls `onChange(previousUrl)` (which must not throw) whenever the path or query string changes.
 * Fragment-only changes, and replaceState calls that keep the URL (scroll restoration, state
 * updates), are not navigation.
 */
export function watchHistory(onChange: (previousUrl: string) => void): void {
  let last = pageUrl();
  const check = () => {
    const previous = last;
    if ((last = pageUrl()) != previous) onChange(previous);
  };
  for (const method of ['pushState', 'replaceState'] as const) {
    const original = history[method];
    // (Both return undefined.)
    history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
      original.apply(this, args);
      check();
    };
  }
  addEventListener('popstate', check);
}
