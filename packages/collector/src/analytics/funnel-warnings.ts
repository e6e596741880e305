// Funnel steps that nothing stored can ever match: a typo in an event name ("Prodcut Added") or
// a path no page view has would otherwise count zero and look like a real drop-off.
import { TYPE_PAGE, type FactView } from './facts';
import { parseStep } from './funnel';

/** Step text quoted in a warning, at most this long (warnings also travel in a header). */
const QUOTED_MAX = 80;

function quote(text: string): string {
  return JSON.stringify(text.length <= QUOTED_MAX ? text : `${text.slice(0, QUOTED_MAX)}…`);
}

/**
 * One warning per step that no stored event matches, whatever the time range, e.g.
 * `step 2 "Prodcut Added": no stored event has this name`. Event names are a dictionary lookup;
 * a path step looks for a page view with a matching path only when some stored path matches
 * (paths come from other events' page context too), stopping at the first one.
 */
export function funnelWarnings(view: FactView, steps: readonly string[]): string[] {
  const warnings: string[] = [];
  const pathSteps: { index: number; prefix: string; ids: Set<number> }[] = [];
  let pageNeeded: number[] = [];
  steps.forEach((text, index) => {
    const step = parseStep(text);
    const label = `step ${index + 1} ${quote(text.trim())}`;
    if (step.kind === 'event') {
      if (view.names.id(step.name) < 0) warnings[index] = `${label}: no stored event has this name`;
    } else if (step.kind === 'page') {
      pageNeeded.push(index);
    } else {
      const ids = new Set<number>();
      view.paths.values.forEach((path, id) => path.startsWith(step.prefix) && ids.add(id));
      if (ids.size === 0) warnings[index] = `${label}: no page view has a path starting with ${step.prefix}`;
      else pathSteps.push({ index, prefix: step.prefix, ids });
    }
  });

  const open = pathSteps;
  for (let i = 0; i < view.length && (open.length > 0 || pageNeeded.length > 0); i++) {
    if (view.type[i] !== TYPE_PAGE) continue;
    pageNeeded = [];
    const path = view.path[i];
    if (path < 0) continue;
    for (let k = open.length - 1; k >= 0; k--) if (open[k].ids.has(path)) open.splice(k, 1);
  }
  for (const index of pageNeeded) warnings[index] = `step ${index + 1} ${quote(steps[index].trim())}: no page view is stored`;
  for (const s of open) warnings[s.index] = `step ${s.index + 1} ${quote(steps[s.index].trim())}: no page view has a path starting with ${s.prefix}`;
  return warnings.filter((w) => w !== undefined);
}
