// The cart-reasons export: per survey and answer, how often it was given and what the abandoned
// carts it was given for were worth. Decisions:
//  - Answers, shows and dismissals count when they happened in [from, to) and the filters keep
//    their row (device, channel, UTM source of their session; segment of their customer); bots
//    are left out unless includeBots, as everywhere.
//  - An answer's cart is the abandoned cart it joins (survey.ts); a cart counts once, under its
//    last answer, when that answer is in the range.
//  - Lost value is the value of those carts that were not recovered (a cart bought within 7 days
//    was not lost), per currency, never summed across currencies; its share is of the survey's
//    lost value in that currency, so the shares of one survey and currency add up to 1.
//  - Survey-level figures (shown, answered, dismissed, answerRate = answered / shown) repeat on
//    every row of the survey; a survey shown but never answered has one row with answer null.
import { abandonments, type CartOptions } from './carts';
import { byCurrency } from './products';
import type { Scope } from './rows';
import { answerOfCart, joinAnswers, profilesOfAnswers, surveyAnswers } from './survey';
import { SURVEY_EVENTS } from './survey-events';

/** Lost value of one currency (null: carts without one). */
export interface LostValue {
  currency: string | null;
  value: number;
  /** Of the survey's lost value in this currency, 0..1 (4 decimals); null when it lost none. */
  share: number | null;
}

/** One row of the cart-reasons export. */
export interface CartReasonRow {
  surveyId: string | null;
  answer: string | null;
  /** Survey Answered events with this answer. */
  answers: number;
  /** Abandoned carts whose answer this is, and those of them recovered. */
  abandonedCarts: number;
  recoveredCarts: number;
  /** The not recovered carts' value per currency (by code, none last). */
  lostValue: LostValue[];
  surveyShown: number;
  surveyAnswered: number;
  surveyDismissed: number;
  surveyAnswerRate: number | null;
}

const round = (x: number, places: number) => Math.round(x * 10 ** places) / 10 ** places;

interface Tally {
  answers: number;
  abandoned: number;
  recovered: number;
  lost: Map<string | null, number>;
}

/** The rows of the cart-reasons export: most abandoned carts first within a survey. */
export function cartReasons(scope: Scope, options: CartOptions & { keep?: Uint8Array | null }): CartReasonRow[] {
  const { view } = scope;
  const profiles = scope.profiles();
  const keep = options.keep ?? null;
  const from = options.from ?? -Infinity;
  const to = options.to ?? Infinity;
  const counted = (row: number) => view.ts[row] >= from && view.ts[row] < to && (keep === null || keep[row] === 1);

  // Shows, answers and dismissals per survey: [shown, answered, dismissed].
  const kinds = SURVEY_EVENTS.map((name) => view.names.id(name));
  const perSurvey = new Map<string | null, [number, number, number]>();
  const { surveys } = view;
  for (let k = 0; k < surveys.count && surveys.rows[k] < view.length; k++) {
    const row = surveys.rows[k];
    const kind = kinds.indexOf(view.name[row]);
    if (kind < 0 || profiles.ofRow[row] < 0 || !(view.ts[row] < options.asOf) || !counted(row)) continue;
    const id = surveys.fields[k].surveyId ?? null;
    const c = perSurvey.get(id) ?? [0, 0, 0];
    c[kind]++;
    perSurvey.set(id, c);
  }
  if (perSurvey.size === 0) return [];

  // Only the carts of the answers counted here matter: their profiles are replayed, no others. Every
  // answer is joined, so that a cart's last answer is its last whether counted or not.
  const answers = surveyAnswers(view, profiles, options.asOf);
  const also = profilesOfAnswers(view, profiles, answers.filter((a) => counted(a.row)));
  const all = abandonments(view, profiles, { asOf: options.asOf, abandonAfterMs: options.abandonAfterMs, recoveryWindowMs: options.recoveryWindowMs, alsoProfiles: also, wholeProfiles: true });
  const answerOf = answerOfCart(joinAnswers(profiles, all, answers));
  const tallies = new Map<string | null, Map<string | null, Tally>>();
  const tally = (surveyId: string | null, answer: string | null): Tally => {
    let bySurvey = tallies.get(surveyId);
    if (!bySurvey) tallies.set(surveyId, (bySurvey = new Map()));
    let t = bySurvey.get(answer);
    if (!t) bySurvey.set(answer, (t = { answers: 0, abandoned: 0, recovered: 0, lost: new Map() }));
    return t;
  };
  for (const a of answers) if (counted(a.row)) tally(a.surveyId, a.answer).answers++;
  for (const [cart, a] of answerOf) {
    if (!counted(a.row)) continue;
    const t = tally(a.surveyId, a.answer);
    t.abandoned++;
    if (cart.cart.recovered) t.recovered++;
    else t.lost.set(cart.cart.currency, (t.lost.get(cart.cart.currency) ?? 0) + cart.cart.value);
  }

  const rows: CartReasonRow[] = [];
  const surveyIds = [...perSurvey.keys()].sort(byCurrency);
  for (const surveyId of surveyIds) {
    const [shown, answered, dismissed] = perSurvey.get(surveyId)!;
    const bySurvey = tallies.get(surveyId) ?? new Map<string | null, Tally>([[null, { answers: 0, abandoned: 0, recovered: 0, lost: new Map() }]]);
    const totals = new Map<string | null, number>();
    for (const t of bySurvey.values()) for (const [c, v] of t.lost) totals.set(c, (totals.get(c) ?? 0) + v);
    const entries = [...bySurvey].sort(([a, x], [b, y]) => y.abandoned - x.abandoned || y.answers - x.answers || String(a).localeCompare(String(b)));
    for (const [answer, t] of entries) {
      const lostValue = [...totals.keys()].sort(byCurrency).map((currency) => {
        const value = round(t.lost.get(currency) ?? 0, 2);
        const total = totals.get(currency)!;
        return { currency, value, share: total > 0 ? round((t.lost.get(currency) ?? 0) / total, 4) : null };
      });
      rows.push({
        surveyId,
        answer,
        answers: t.answers,
        abandonedCarts: t.abandoned,
        recoveredCarts: t.recovered,
        lostValue,
        surveyShown: shown,
        surveyAnswered: answered,
        surveyDismissed: dismissed,
        surveyAnswerRate: shown > 0 ? round(answered / shown, 4) : null,
      });
    }
  }
  return rows;
}
