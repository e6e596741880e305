// What a funnel step can be (funnel.ts): the event names and page paths stored, with how often
// each occurs, for the dashboard's step picker and the `steps` export. Track events by name, page
// views by path (`page:/path`, matching page views whose path starts so), most frequent first;
// paths at most MAX_PATHS of them, since a shop with search or product pages has thousands.
// Counted over the rows a funnel would count: the view's mask (bots left out unless includeBots)
// and a filter's rows.
import { CART_ABANDONED, TYPE_PAGE, TYPE_TRACK, type FactView } from './facts';

export interface StepOption {
  /** As a funnel takes it: an event name, or `page:/path`. */
  step: string;
  kind: 'event' | 'page';
  /** Events in the range it matches exactly (a path: page views of exactly that path). */
  events: number;
}

/** Page paths listed at most (the most viewed). */
export const MAX_PATHS = 500;

/**
 * Event names and page paths of the facts with time in [from, to), most frequent first: of the rows
 * the view's mask and `keep` (a filter's rows; null: all) keep.
 */
export function stepOptions(view: FactView, range: { from?: number; to?: number } = {}, keep: Uint8Array | null = null): StepOption[] {
  const from = range.from ?? -Infinity;
  const to = range.to ?? Infinity;
  const names = new Int32Array(view.names.size);
  const paths = new Int32Array(view.paths.size);
  const derived = view.names.id(CART_ABANDONED);
  for (let i = 0; i < view.length; i++) {
    const t = view.ts[i];
    if (t < from || t >= to || (view.keep !== null && view.keep[i] === 0) || (keep !== null && keep[i] === 0)) continue;
    if (view.type[i] === TYPE_TRACK && view.name[i] >= 0 && view.name[i] !== derived) names[view.name[i]]++;
    else if (view.type[i] === TYPE_PAGE && view.path[i] >= 0) paths[view.path[i]]++;
  }
  const byCount = (a: StepOption, b: StepOption) => b.events - a.events || (a.step < b.step ? -1 : a.step > b.step ? 1 : 0);
  const events: StepOption[] = [];
  names.forEach((n, code) => n > 0 && events.push({ step: view.names.value(code)!, kind: 'event', events: n }));
  const pages: StepOption[] = [];
  paths.forEach((n, code) => n > 0 && pages.push({ step: `page:${view.paths.value(code)}`, kind: 'page', events: n }));
  return [...events.sort(byCount), ...pages.sort(byCount).slice(0, MAX_PATHS)];
}
