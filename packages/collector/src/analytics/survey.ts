// Exit survey answers joined to the carts they were about (issue 17, "why carts are left").
//
// The collector's cart is the stitched profile's (carts.ts), which holds the SDK's cart of each of
// the profile's browsers, so an answer joins the cart its profile had open when it was given:
//  - the cart's life is from its first item until it is empty again (an order, removals); an
//    answer at t belongs to the life open at t (opened at or before t, not emptied by t);
//  - of that life's abandonments it joins the first at or after t (the shopper answered, then
//    left), else the last before t (the cart was left, the shopper came back and answered while
//    it still held the items);
//  - a cart with several answers has the last one (the latest time; then the latest stored);
//  - an answer while the cart was empty, or on a cart that was bought before 30 minutes passed,
//    joins no abandoned cart: it counts as an answer only.
// The answer's own cart_id, cart_value and currency are kept with it as the SDK sent them; the
// join does not need them (the cart's value is the collector's, as in the carts export).
import type { Abandonment } from './cart-walk';
import type { FactView } from './facts';
import type { ProfileIndex } from './profiles';
import { SURVEY_ANSWERED } from './survey-events';

/** One Survey Answered event, as the exports show it. */
export interface SurveyAnswer {
  /** Its row in the view. */
  row: number;
  /** Its time, epoch ms. */
  at: number;
  surveyId: string | null;
  answer: string | null;
  /** The visitor's free text (at most 500 characters; null when none). */
  text: string | null;
  cartId: string | null;
}

/** The Survey Answered events of rows `0 <= ts < asOf` that the view counts (profile known), in row order. */
export function surveyAnswers(view: FactView, profiles: ProfileIndex, asOf: number): SurveyAnswer[] {
  const answered = view.names.id(SURVEY_ANSWERED);
  const out: SurveyAnswer[] = [];
  if (answered < 0) return out;
  const { surveys } = view;
  for (let k = 0; k < surveys.count; k++) {
    const row = surveys.rows[k];
    if (row >= view.length) break;
    if (view.name[row] !== answered || profiles.ofRow[row] < 0 || !(view.ts[row] < asOf)) continue;
    const f = surveys.fields[k];
    out.push({ row, at: view.ts[row], surveyId: f.surveyId ?? null, answer: f.answer ?? null, text: f.text ?? null, cartId: f.cartId ?? null });
  }
  return out;
}

/**
 * Each answer's abandoned cart (the rules above), from every abandonment of the profiles up to
 * asOf (not only those of an export's range: an answer may belong to a cart left before it).
 */
export function joinAnswers(profiles: ProfileIndex, all: readonly Abandonment[], answers: readonly SurveyAnswer[]): Map<SurveyAnswer, Abandonment> {
  const byProfile = new Map<number, Abandonment[]>();
  for (const a of all) {
    const p = profiles.ofRow[a.lastRow];
    const list = byProfile.get(p);
    if (list) list.push(a);
    else byProfile.set(p, [a]);
  }
  for (const list of byProfile.values()) list.sort((x, y) => x.at - y.at);
  const joined = new Map<SurveyAnswer, Abandonment>();
  for (const answer of answers) {
    const list = byProfile.get(profiles.ofRow[answer.row]);
    if (!list) continue;
    let before: Abandonment | undefined;
    let after: Abandonment | undefined;
    for (const a of list) {
      if (!(a.openedAt <= answer.at && answer.at < a.closedAt)) continue;
      if (a.at >= answer.at) {
        after = a;
        break;
      }
      before = a;
    }
    const cart = after ?? before;
    if (cart) joined.set(answer, cart);
  }
  return joined;
}

/** The answer each abandoned cart has: the last of those joined to it. */
export function answerOfCart(joined: ReadonlyMap<SurveyAnswer, Abandonment>): Map<Abandonment, SurveyAnswer> {
  const out = new Map<Abandonment, SurveyAnswer>();
  for (const [answer, cart] of joined) {
    const had = out.get(cart);
    if (!had || answer.at > had.at || (answer.at === had.at && answer.row > had.row)) out.set(cart, answer);
  }
  return out;
}
