import { useEffect, useState } from 'preact/hooks';
import { getJson } from '../api';
import type { Loaded } from './use-data';

/** How long a view waits before it asks whether the analytics are still catching up. */
const ASK_AFTER_MS = 300;
/** How often it asks again while it waits. */
const ASK_EVERY_MS = 1000;

interface AnalyticsAnswer {
  analytics: { ready: boolean; progress: number } | 'off';
}

/**
 * While `waiting` lasts longer than a moment: the percent the collector's analytics cache has read
 * of the stored events when it is still catching up (after a start, every export waits for it),
 * else null. Asked again every second, so the figure moves until the view's data comes.
 */
function useCatchingUp(waiting: boolean): number | null {
  const [percent, setPercent] = useState<number | null>(null);
  useEffect(() => {
    setPercent(null);
    if (!waiting) return;
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout>;
    const ask = () => {
      getJson<AnalyticsAnswer>('/dashboard/analytics', abort.signal).then(
        ({ analytics }) => {
          if (abort.signal.aborted) return;
          setPercent(analytics !== 'off' && !analytics.ready ? Math.floor(analytics.progress * 100) : null);
          timer = setTimeout(ask, ASK_EVERY_MS);
        },
        // The view's own request says what failed; this one only adds a detail.
        () => undefined,
      );
    };
    timer = setTimeout(ask, ASK_AFTER_MS);
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, [waiting]);
  return percent;
}

/** What a view says while it loads or when loading failed (announced to screen readers). */
export function LoadStatus({ loaded }: { loaded: Loaded<unknown> }) {
  const catchingUp = useCatchingUp(loaded.state === 'loading');
  const text =
    loaded.state === 'failed'
      ? `Could not load: ${loaded.error}`
      : loaded.state === 'done'
        ? ''
        : catchingUp !== null
          ? `Catching up: the collector started a moment ago and is reading the stored events (${catchingUp}% so far). The figures appear as soon as it is done.`
          : 'Loading…';
  return (
    <p class={`status ${loaded.state}${catchingUp !== null && loaded.state === 'loading' ? ' catching-up' : ''}`} role="status" aria-live="polite" data-testid="load-status">
      {text}
    </p>
  );
}
