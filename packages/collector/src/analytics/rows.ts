// Which rows the figures count. A view carries a row mask (`keep`, facts.ts); the indexes that
// put rows into units (sessions, visitors, profiles) give a row left out no unit, and every
// figure counts rows through a unit, so a rule made here holds in all of them at once: funnels,
// sessions, products, carts (and so the Cart Abandoned events the job records), customers.
//
// Bots: an event whose device type is `bot` (useragent.ts: crawlers, HTTP libraries, headless
// browsers) is left out unless the query asks for them (`includeBots`). The device type is a
// property of the event's agent (its device, browser and OS families, interned per table), so it
// is decided once per agent, not per row: a table of millions of rows has a few hundred agents.
import type { FactView } from './facts';
import type { ProfileIndex } from './profiles';
import type { SessionIndex } from './sessions';

/** The device type of a bot (useragent.ts). */
export const BOT_DEVICE = 'bot';

/**
 * 1 for each row of `view` whose agent is no bot, 0 for a bot's; null when no row is a bot's (the
 * usual case, which then costs nothing per row).
 */
export function botMask(view: FactView): Uint8Array | null {
  const agents = view.agents;
  const bot = new Uint8Array(agents.length);
  let any = false;
  for (let a = 0; a < agents.length; a++) {
    if (agents[a].device === BOT_DEVICE) bot[a] = 1;
    any ||= bot[a] === 1;
  }
  if (!any) return null;
  const keep = new Uint8Array(view.length);
  const agent = view.agent;
  for (let i = 0; i < view.length; i++) keep[i] = agent[i] >= 0 && bot[agent[i]] === 1 ? 0 : 1;
  return keep;
}

/** `view` with the row mask `keep` (null: every row). Columns and dictionaries are shared. */
export function withRows(view: FactView, keep: Uint8Array | null): FactView {
  return keep === view.keep ? view : { ...view, keep };
}

/** Which rows a query counts. */
export interface RowOptions {
  /** Count the events of bots too. @defaultValue false */
  includeBots?: boolean;
}

/**
 * The rows a query counts (a view with its row mask) with the sessions and profiles of those
 * rows. Figures read all three from one scope, so their rows line up.
 */
export interface Scope {
  readonly view: FactView;
  sessions(): SessionIndex;
  profiles(): ProfileIndex;
}
