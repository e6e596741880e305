// The ESM build: the same API as window.spur, as named functions of one shared instance.
import { createSpur } from './client';

export type { Config } from './config';
export type { Choice } from './consent';
export type { Order, Properties } from './cart';
export type { SurveyConfig, SurveyOption } from './survey-config';
export type { Spur } from './client';
export type * from './types';
export { createSpur };

export const {
  /** Starts spur: `init({ writeKey, endpoint?, cookieDomain?, autoPage?, flushAt?, flushInterval?, consent?, gpc?, debug?, fetch? })`. */
  init,
  /** Records a page view: `page(name?, properties?)`. */
  page,
  /** Records an event: `track(event, properties?)`. */
  track,
  /** Names the customer: `identify(userId, traits?)`; survives page loads. */
  identify,
  /** Log out: forgets the customer, starts a new anonymous id and session. */
  reset,
  /**
   * The visitor's choice: `consent('granted' | 'denied')`. With `init({ consent: 'required' })`
   * nothing is stored or sent before 'granted'; 'denied' withdraws (spur's cookies, localStorage
   * keys and IndexedDB database are deleted). Kept in the cookie `spur_consent` for 180 days. After
   * a grant (on this page or an earlier one) every event says `context.consent: 'granted'`.
   */
  consent,
  /** Sends what is waiting: `flush(timeout = 5000)` settles when the outbox is empty or after timeout ms. */
  flush,
  /** The current `{ anonymousId, userId, sessionId }`. */
  user,
  productViewed,
  productListViewed,
  productAdded,
  productRemoved,
  cartViewed,
  checkoutStarted,
  orderCompleted,
  /** The cart's items. */
  cart,
} = createSpur();
