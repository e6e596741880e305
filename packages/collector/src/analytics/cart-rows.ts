// The carts export's rows: each abandoned cart with where it was left. Decisions:
//  - device, channel and utmSource are those of the cart's last activity (the Product Added or
//    Removed after which it was left), read as the filters read a row (filters.ts): its session's
//    device type, its sales channel or its session's marketing channel, its session's UTM source.
//  - lastPage is the path of the profile's last page view before the cart was abandoned: the page
//    the shopper left from, which may come after the last cart activity (a shipping-costs page).
//  - checkoutStep is the furthest checkout step the cart reached (cart-walk.ts).
//  - surveyId, surveyAnswer and surveyText are the exit survey answer joined to the cart
//    (survey.ts), whenever it was given; null when the cart has none.
import { abandonments, type AbandonedCart, type CartOptions } from './carts';
import { answerOfCart, joinAnswers, profilesOfAnswers, surveyAnswers, type SurveyAnswer } from './survey';
import type { Abandonment, CheckoutStep } from './cart-walk';
import { TYPE_PAGE } from './facts';
import { groupRows } from './grouping';
import type { Scope } from './rows';
import { NONE } from './sessions';

/** One row of the carts export. */
export interface AbandonedCartRow extends AbandonedCart {
  device: string;
  channel: string;
  utmSource: string | null;
  lastPage: string | null;
  checkoutStep: CheckoutStep;
  surveyId: string | null;
  surveyAnswer: string | null;
  surveyText: string | null;
}

/** Abandoned carts as rows of the carts export, those whose last activity `keep` keeps (null: all). */
export function abandonedCartRows(scope: Scope, options: CartOptions & { keep?: Uint8Array | null }): AbandonedCartRow[] {
  const { view } = scope;
  const profiles = scope.profiles();
  const sessions = scope.sessions();
  const keep = options.keep ?? null;
  // The carts of the profiles with answers are replayed whole: an answer's cart may lie outside the range.
  let answerOf = new Map<Abandonment, SurveyAnswer>();
  let found: Abandonment[];
  const answers = view.surveys.count > 0 ? surveyAnswers(view, profiles, options.asOf) : [];
  if (answers.length > 0) {
    // (Without a range every profile is replayed anyway.)
    const ranged = options.from !== undefined || options.to !== undefined;
    const also = ranged ? profilesOfAnswers(view, profiles, answers) : undefined;
    const all = abandonments(view, profiles, { ...options, alsoProfiles: also, wholeProfiles: true });
    answerOf = answerOfCart(joinAnswers(profiles, all, answers));
    const from = options.from ?? -Infinity;
    const to = options.to ?? Infinity;
    found = all.filter((a) => a.at >= from && a.at < to);
  } else found = abandonments(view, profiles, options);
  const left = found.filter((a) => keep === null || keep[a.lastRow] === 1);
  if (left.length === 0) return [];

  // Page views of the profiles with a cart here, grouped by profile in time order.
  const wanted = new Uint8Array(profiles.count);
  for (const a of left) wanted[profiles.ofRow[a.lastRow]] = 1;
  const rows = new Int32Array(view.length);
  let count = 0;
  for (let i = 0; i < view.length; i++) {
    const p = profiles.ofRow[i];
    if (p >= 0 && wanted[p] === 1 && view.type[i] === TYPE_PAGE && view.path[i] >= 0) rows[count++] = i;
  }
  const pages = groupRows(rows, count, profiles.ofRow, profiles.count, view.ts);

  return left.map((a) => {
    const { cart, at, lastRow, step } = a;
    const answer = answerOf.get(a);
    const p = profiles.ofRow[lastRow];
    // The last page view before `at`: a binary search in the profile's pages, in time order.
    let lo = pages.offsets[p];
    let hi = pages.offsets[p + 1];
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (view.ts[pages.order[mid]] < at) lo = mid + 1;
      else hi = mid;
    }
    const page = lo > pages.offsets[p] ? view.paths.value(view.path[pages.order[lo - 1]]) : null;
    const s = sessions.ofRow[lastRow];
    const agent = view.agent[lastRow] >= 0 ? view.agents[view.agent[lastRow]] : null;
    const origin = view.origin[lastRow] >= 0 ? view.origins[view.origin[lastRow]] : null;
    const device = s >= 0 ? sessions.attribute(s, 'device') : (agent?.device ?? 'unknown');
    const channel = origin?.salesChannel || (s >= 0 ? sessions.attribute(s, 'channel') : (origin?.channel ?? 'direct'));
    const source = s >= 0 ? sessions.attribute(s, 'utm_source') : (origin?.source ?? NONE);
    // Written out rather than spread: spreading 50,000 carts cost more than finding them.
    const row: AbandonedCartRow = {
      profileId: cart.profileId,
      customerId: cart.customerId,
      anonymousId: cart.anonymousId,
      items: cart.items,
      value: cart.value,
      currency: cart.currency,
      lastActivityAt: cart.lastActivityAt,
      abandonedAt: cart.abandonedAt,
      recovered: cart.recovered,
      recoveredOrderId: cart.recoveredOrderId,
      device,
      channel,
      utmSource: source === NONE ? null : source,
      lastPage: page,
      checkoutStep: step,
      surveyId: answer?.surveyId ?? null,
      surveyAnswer: answer?.answer ?? null,
      surveyText: answer?.text ?? null,
    };
    return row;
  });
}
