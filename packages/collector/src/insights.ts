// The insights of the admin API and of `spur insights`: answers that are one JSON document about
// the shop rather than rows (for now the purchase model). As with the exports, the parameters are
// checked against one table before any work, by the route and by the command alike.
import type { Analytics } from './analytics';
import { dayOf, DAY_MS, fitPurchaseModel, holdoutCheck, summarizePurchases, type FrequencyRow, type SpendFit, type WeekRow } from './analytics/prediction';
import { badRequest, HttpError } from './errors';
import type { ExportParameter } from './export-params';
import { createAnalyticsService, type AnalyticsService, type AnalyticsServiceOptions } from './jobs/catch-up';
import type { Storage } from './storage/types';

export const INSIGHT_KINDS = ['purchase-model'] as const;
export type InsightKind = (typeof INSIGHT_KINDS)[number];

/** The parameters each insight takes; anything else answers 400. */
export const INSIGHT_PARAMETERS: Readonly<Record<InsightKind, readonly ExportParameter[]>> = {
  'purchase-model': [
    { name: 'calibrationEnd', help: 'the last day (YYYY-MM-DD, UTC) of the orders the model is fitted on; required' },
    { name: 'holdoutEnd', help: 'the last day of a holdout period after calibrationEnd: how well the fit predicted it' },
    { name: 'includeBots', values: ['false', 'true'], help: 'count the orders of bots (device type bot) too' },
  ],
};

/** What GET /v1/insights/purchase-model answers (README "Purchase prediction"). */
export interface PurchaseModelAnswer {
  model: 'bg-nbd';
  calibrationEnd: string;
  customers: number;
  params: { r: number; alpha: number; a: number; b: number };
  logLikelihood: number;
  /** The spend model of the shop's main currency (the currency of most orders). */
  spend: SpendFit;
  spendByCurrency: SpendFit[];
  holdout: null | { holdoutEnd: string; weeks: number; byFrequency: FrequencyRow[]; cumulative: WeekRow[] };
}

type Query = Record<string, unknown>;

function text(query: Query, name: string): string | undefined {
  const value = query[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw badRequest(`${name} must be given once`, 'invalid_query');
  return value;
}

/** A calendar date YYYY-MM-DD as its UTC day number; a 400 naming the parameter otherwise. */
function parseDay(value: string, name: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  // Date.UTC rolls 2026-02-30 over into March: a date that does not come back as written is no date.
  if (!m || new Date(ms).toISOString().slice(0, 10) !== value) {
    throw badRequest(`${name} must be a date YYYY-MM-DD (got ${JSON.stringify(value)})`, 'invalid_query');
  }
  return dayOf(ms);
}

const dateOf = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

export interface PurchaseModelParams {
  calibrationEndDay: number;
  holdoutEndDay?: number;
  includeBots: boolean;
}

/** Checks and parses the purchase model's query; `now` bounds the dates (a period must be over). */
export function parsePurchaseModelParams(query: Query, now: number, spell: (name: string) => string = (n) => n): PurchaseModelParams {
  const accepted = INSIGHT_PARAMETERS['purchase-model'].map((p) => p.name);
  for (const name of Object.keys(query)) {
    if (!accepted.includes(name)) {
      throw badRequest(`the purchase model does not take ${spell(name)}; it takes ${accepted.map(spell).join(', ')}`, 'invalid_query');
    }
  }
  const calibration = text(query, 'calibrationEnd');
  if (calibration === undefined) {
    throw badRequest(`${spell('calibrationEnd')} is required: the last day (YYYY-MM-DD, UTC) of the orders the model is fitted on`, 'invalid_query');
  }
  const today = dayOf(now);
  const calibrationEndDay = parseDay(calibration, spell('calibrationEnd'));
  if (calibrationEndDay > today) throw badRequest(`${spell('calibrationEnd')} ${calibration} is after today (${dateOf(today)})`, 'invalid_query');
  const holdout = text(query, 'holdoutEnd');
  let holdoutEndDay: number | undefined;
  if (holdout !== undefined) {
    holdoutEndDay = parseDay(holdout, spell('holdoutEnd'));
    if (holdoutEndDay <= calibrationEndDay) {
      throw badRequest(`${spell('holdoutEnd')} ${holdout} must be after ${spell('calibrationEnd')} ${calibration}`, 'invalid_query');
    }
    if (holdoutEndDay > today) {
      throw badRequest(`${spell('holdoutEnd')} ${holdout} is after today (${dateOf(today)}): a holdout is checked once it is over`, 'invalid_query');
    }
  }
  const bots = text(query, 'includeBots') ?? 'false';
  if (bots !== 'false' && bots !== 'true') throw badRequest(`${spell('includeBots')} must be one of false, true (got ${JSON.stringify(bots)})`, 'invalid_query');
  return { calibrationEndDay, holdoutEndDay, includeBots: bots === 'true' };
}

/** The end of a UTC day (its last millisecond): orders up to then are read. */
const endOf = (day: number) => (day + 1) * DAY_MS - 1;

/**
 * The purchase model fitted on the orders up to the end of calibrationEnd, with the holdout check
 * up to the end of holdoutEnd; nothing after the last of them is read. A 422 when the BG/NBD
 * cannot be fitted (too few customers), with the reason.
 */
export function purchaseModel(analytics: Pick<Analytics, 'orders'>, params: PurchaseModelParams): PurchaseModelAnswer {
  const endDay = params.calibrationEndDay;
  const lastDay = params.holdoutEndDay ?? endDay;
  const orders = analytics.orders({ asOf: endOf(lastDay), includeBots: params.includeBots });
  const summaries = summarizePurchases(orders, { endDay, holdoutEndDay: lastDay });
  const { fit, groups } = fitPurchaseModel(summaries);
  if (!fit.bgNbd) throw new HttpError(422, 'too_few_customers', `cannot fit the purchase model on the orders up to ${dateOf(endDay)}: ${fit.reason}`);
  const { r, alpha, a, b } = fit.bgNbd.params;
  const holdout =
    params.holdoutEndDay === undefined
      ? null
      : { holdoutEnd: dateOf(params.holdoutEndDay), ...holdoutCheck(fit.bgNbd.params, summaries, groups, params.holdoutEndDay - endDay) };
  return {
    model: 'bg-nbd',
    calibrationEnd: dateOf(endDay),
    customers: fit.customers,
    params: { r, alpha, a, b },
    logLikelihood: fit.bgNbd.logLikelihood,
    spend: fit.spend,
    spendByCurrency: fit.spendByCurrency,
    holdout,
  };
}

export interface InsightOptions extends AnalyticsServiceOptions {
  /** The collector's running service (shared cache); a one-off one is made when absent. */
  analytics?: AnalyticsService;
  /** Today, for the dates' check. @defaultValue Date.now */
  now?: () => number;
  /** How a parameter is named in a 400: `calibrationEnd` in a query, `--calibration-end` on a command line. */
  spell?: (name: string) => string;
}

/** Checks `query` (400s naming the parameter, before any work) and answers the insight. */
export async function runInsight(storage: Storage, kind: InsightKind, query: Query, options: InsightOptions = {}): Promise<PurchaseModelAnswer> {
  if (!INSIGHT_KINDS.includes(kind)) throw badRequest(`unknown insight ${JSON.stringify(kind)}: one of ${INSIGHT_KINDS.join(', ')}`);
  const params = parsePurchaseModelParams(query, (options.now ?? Date.now)(), options.spell);
  const service = options.analytics ?? createAnalyticsService(storage, options);
  return purchaseModel(await service.refresh(), params);
}
