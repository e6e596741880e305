// Loading what a view shows: one request per change of its inputs, the previous one aborted, with
// loading and error states the view can show.
import { useEffect, useState } from 'preact/hooks';

export type Loaded<T> = { state: 'loading'; data?: T } | { state: 'done'; data: T } | { state: 'failed'; error: string; data?: T };

/** Runs `load` whenever `key` changes; keeps the last data while the next loads. */
export function useData<T>(key: string, load: (signal: AbortSignal) => Promise<T>): Loaded<T> {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' });
  useEffect(() => {
    const abort = new AbortController();
    setLoaded((before) => ({ state: 'loading', data: before.data }));
    load(abort.signal).then(
      (data) => abort.signal.aborted || setLoaded({ state: 'done', data }),
      (err: Error) => abort.signal.aborted || setLoaded((before) => ({ state: 'failed', error: err.message, data: before.data })),
    );
    return () => abort.abort();
  }, [key]);
  return loaded;
}
