// Where the dashboard is: the view in the path (/dashboard/funnels) and its inputs in the query
// (?from=2026-03-01&to=2026-03-30&steps=…), so that every view with its range can be bookmarked,
// shared and reloaded, and the browser's back button goes back a step.
import { useEffect, useState } from 'preact/hooks';
import { base } from './api';

export type ViewName = 'overview' | 'funnels' | 'carts' | 'products' | 'customers' | 'customer' | 'live' | 'privacy' | 'settings' | 'webhooks';

export interface Route {
  view: ViewName | 'unknown';
  params: URLSearchParams;
}

const VIEWS: ViewName[] = ['overview', 'funnels', 'carts', 'products', 'customers', 'customer', 'live', 'privacy', 'settings', 'webhooks'];

function current(): Route {
  const rest = location.pathname.slice(`${base}/dashboard`.length).replace(/^\/|\/$/g, '');
  const view = rest === '' ? 'overview' : (VIEWS as string[]).includes(rest) ? (rest as ViewName) : 'unknown';
  return { view, params: new URLSearchParams(location.search) };
}

const listeners = new Set<() => void>();
addEventListener('popstate', () => listeners.forEach((l) => l()));

/** The path of a view with its parameters. */
export function href(view: ViewName, params?: Record<string, string | undefined> | URLSearchParams): string {
  const q = new URLSearchParams();
  if (params) for (const [k, v] of params instanceof URLSearchParams ? params.entries() : Object.entries(params)) if (v) q.set(k, v);
  const text = q.toString();
  return `${base}/dashboard/${view}${text ? `?${text}` : ''}`;
}

/** Goes to a view (or changes the current one's parameters: `replace` keeps no history entry). */
export function navigate(to: string, replace = false): void {
  if (to === location.pathname + location.search) return;
  history[replace ? 'replaceState' : 'pushState'](null, '', to);
  listeners.forEach((l) => l());
}

/** The current route; re-renders on navigation. */
export function useRoute(): Route {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const update = () => setRoute(current());
    listeners.add(update);
    return () => void listeners.delete(update);
  }, []);
  return route;
}

/** Changes some of the current view's parameters. */
export function setParams(changes: Record<string, string | undefined>, replace = false): void {
  const { view, params } = current();
  if (view === 'unknown') return;
  const next = new URLSearchParams(params);
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === '') next.delete(k);
    else next.set(k, v);
  }
  navigate(href(view, next), replace);
}
