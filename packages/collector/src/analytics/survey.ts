// Exit survey answers joined to the carts they were about (issue 17, "why carts are left").
//
// An answer joins the cart it names: the cart whose Product Added or Removed events carried the
// answer's cart_id (Segment's property; the profile's own carts first, then anyone's, for an
// answer sent under an id that was never stitched to the cart's).
// Else, and for clients whose cart events name no cart: the collector's cart is the stitched
// profile's (carts.ts), which holds the SDK's cart of each of the profile's browsers, so an answer
// joins the cart its profile had open when it was given:
//  - the cart's life is from its first item until it is empty again (an order, removals); an
//    answer at t belongs to the life open at t (opened at or before t, not emptied by t);
//  - of that life's abandonments it joins the first at or after t (the shopper answered, then
//    left), else the last before t (the cart was left, the shopper came back and answered while
//    it still held the items);
//  - a cart with several answers has the last one (the latest time; then the latest stored);
//  - an answer while the cart was empty, or on a cart that was bought before 30 minutes passed,
//    joins no abandoned cart: it counts as an answer only.
// Among the abandonments of the cart it names, an answer joins by time as above (the first at or
// after it, else the last before it). The answer's cart_value and currency are kept with it as
// the SDK sent them; the exports use the cart's value as the collector knows it, as every cart
// figure does.
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
 * The profiles whose carts `answers` may join (1): the answers' own, and those whose cart events
 * named a cart id an answer names. Replaying these (and the carts of a range) is all a join needs.
 */
export function profilesOfAnswers(view: FactView, profiles: ProfileIndex, answers: readonly SurveyAnswer[]): Uint8Array {
  const out = new Uint8Array(profiles.count);
  const named = new Set<string>();
  for (const a of answers) {
    out[profiles.ofRow[a.row]] = 1;
    if (a.cartId !== null) named.add(a.cartId);
  }
  if (named.size === 0) return out;
  const { surveys } = view;
  for (let k = 0; k < surveys.count && surveys.rows[k] < view.length; k++) {
    const row = surveys.rows[k];
    const id = surveys.fields[k].cartId;
    if (id !== undefined && view.cart[row] >= 0 && profiles.ofRow[row] >= 0 && named.has(id)) out[profiles.ofRow[row]] = 1;
  }
  return out;
}

/**
 * Each answer's abandoned cart (the rules above), from every abandonment up to asOf of the
 * profiles profilesOfAnswers names (not only those of an export's range: an answer may belong to
 * a cart left before it).
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
  // Abandonments by the cart ids their carts named, in time order (all is: carts.ts sorts it).
  const byCartId = new Map<string, Abandonment[]>();
  for (const a of all) {
    for (const id of a.cartIds) {
      const list = byCartId.get(id);
      if (list) list.push(a);
      else byCartId.set(id, [a]);
    }
  }
  const joined = new Map<SurveyAnswer, Abandonment>();
  for (const answer of answers) {
    const p = profiles.ofRow[answer.row];
    const named = answer.cartId === null ? undefined : byCartId.get(answer.cartId);
    const own = named?.filter((a) => profiles.ofRow[a.lastRow] === p);
    const cart = named ? closest(own && own.length > 0 ? own : named, answer.at, false) : closest(byProfile.get(p) ?? [], answer.at, true);
    if (cart) joined.set(answer, cart);
  }
  return joined;
}

// Of abandonments in time order, the first at or after `t`, else the last before it; with `open`,
// only those whose cart was open at t (opened by then, not emptied).
function closest(list: readonly Abandonment[], t: number, open: boolean): Abandonment | undefined {
  let before: Abandonment | undefined;
  for (const a of list) {
    if (open && !(a.openedAt <= t && t < a.closedAt)) continue;
    if (a.at >= t) return a;
    before = a;
  }
  return before;
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
