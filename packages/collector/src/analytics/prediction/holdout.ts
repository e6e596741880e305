// The model's check on the shop's own data (the route's `holdout`): fitted on the calibration
// period, how many purchases did it expect in the holdout period after it, and how many came?
//  - By calibration frequency: customers binned by x (0 to 6, and 7 or more), with the mean
//    purchase days each bin had in the holdout and the mean the model expected, E[Y(t*) | x, tₓ, T]
//    with t* the holdout's length.
//  - Week by week: the cohort's cumulative repeat purchases from its first purchase day (week j
//    covers days 7j − 6 … 7j counted from that day as day 1, the last week perhaps shorter), and
//    what the model expected, Σ over customers of E[X(t)] with t the weeks from their first
//    purchase to the end of week j. The expectation depends on t alone and t is a whole number of
//    days, so it is worked out once per day and summed per first-purchase day.
import type { BgNbdParams } from './bg-nbd-fit';
import { expectedPurchases, predictCustomer } from './bg-nbd';
import { DAYS_PER_WEEK, type CustomerGroups } from './customer-groups';
import type { PurchaseSummaries } from './summaries';

/** One calibration-frequency bin of the holdout check. */
export interface FrequencyRow {
  /** x, or "7+" for 7 or more. */
  frequency: number | '7+';
  customers: number;
  /** Mean purchase days in the holdout; null for an empty bin. */
  actual: number | null;
  /** Mean purchases the model expected; null for an empty bin. */
  expected: number | null;
}

/** Cumulative repeat purchases of the cohort at the end of a week. */
export interface WeekRow {
  week: number;
  actual: number;
  expected: number;
}

export interface HoldoutCheck {
  /** The holdout's length in weeks (days / 7). */
  weeks: number;
  byFrequency: FrequencyRow[];
  cumulative: WeekRow[];
}

export const FREQUENCY_BINS = 8;

/** The holdout check of `params` over the customers of `summaries` (grouped as `groups`). */
export function holdoutCheck(params: BgNbdParams, summaries: PurchaseSummaries, groups: CustomerGroups, holdoutDays: number): HoldoutCheck {
  const t = holdoutDays / DAYS_PER_WEEK;
  const expectedOfGroup = new Float64Array(groups.length);
  for (let g = 0; g < groups.length; g++) {
    expectedOfGroup[g] = predictCustomer(params, [t], groups.x[g], groups.tx[g], groups.T[g]).expected[0];
  }
  const customers = new Float64Array(FREQUENCY_BINS);
  const actual = new Float64Array(FREQUENCY_BINS);
  const expected = new Float64Array(FREQUENCY_BINS);
  for (let i = 0; i < summaries.length; i++) {
    const bin = Math.min(summaries.x[i], FREQUENCY_BINS - 1);
    customers[bin]++;
    actual[bin] += summaries.holdout[i];
    expected[bin] += expectedOfGroup[groups.ofCustomer[i]];
  }
  const byFrequency: FrequencyRow[] = [...customers].map((n, bin) => ({
    frequency: bin === FREQUENCY_BINS - 1 ? '7+' : bin,
    customers: n,
    actual: n > 0 ? actual[bin] / n : null,
    expected: n > 0 ? expected[bin] / n : null,
  }));
  return { weeks: t, byFrequency, cumulative: weekly(params, summaries) };
}

function weekly(params: BgNbdParams, summaries: PurchaseSummaries): WeekRow[] {
  const days = summaries.repeatsByDay.length;
  const weeks = Math.ceil(days / DAYS_PER_WEEK);
  // Customers by first purchase day (from the cohort's start), and E[X(d/7)] for every day d.
  const births = new Float64Array(days);
  for (let i = 0; i < summaries.length; i++) births[summaries.firstDay[i] - summaries.startDay]++;
  const expectedAt = new Float64Array(weeks * DAYS_PER_WEEK + 1);
  for (let d = 1; d < expectedAt.length; d++) expectedAt[d] = expectedPurchases(params, d / DAYS_PER_WEEK);
  const rows: WeekRow[] = [];
  let cumulative = 0;
  for (let week = 1; week <= weeks; week++) {
    const end = week * DAYS_PER_WEEK; // days from the cohort's start to the end of the week
    for (let d = end - DAYS_PER_WEEK; d < Math.min(end, days); d++) cumulative += summaries.repeatsByDay[d];
    let expected = 0;
    for (let s = 0; s < Math.min(end, days); s++) if (births[s] > 0) expected += births[s] * expectedAt[end - s];
    rows.push({ week, actual: cumulative, expected });
  }
  return rows;
}
