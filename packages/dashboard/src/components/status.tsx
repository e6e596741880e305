import type { Loaded } from './use-data';

/** What a view says while it loads or when loading failed (announced to screen readers). */
export function LoadStatus({ loaded }: { loaded: Loaded<unknown> }) {
  return (
    <p class={`status ${loaded.state}`} role="status" aria-live="polite">
      {loaded.state === 'loading' ? 'Loading…' : loaded.state === 'failed' ? `Could not load: ${loaded.error}` : ''}
    </p>
  );
}
