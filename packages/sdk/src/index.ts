// The ESM build: the same API as window.spur, as named functions of one shared instance.
import { createSpur } from './client';

export type { Config } from './config';
export type { Order, Properties } from './cart';
export type { Spur } from './client';
export type * from './types';
export { createSpur };

export const {
  /** Starts spur: `init({ writeKey, endpoint?, cookieDomain?, autoPage?, flushAt?, flushInterval?, debug?, fetch? })`. */
  init,
  /** Records a page view: `page(name?, properties?)`. */
  page,
  /** Records an event: `track(event, properties?)`. */
  track,
  /** Names the customer: `identify(userId, traits?)`; survives page loads. */
  identify,
  /** Log out: forgets the customer, starts a new anonymous id and session. */
  reset,
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
