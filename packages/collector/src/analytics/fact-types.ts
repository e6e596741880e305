// What the engine takes for one event: a Fact (the fields the analytics read, named like the
// Segment event's), with the cart fields of cart events. FactTable.append takes one; stored events
// are read into a FactRecord instead (fact-record.ts), which holds the same fields.
import type { EventType } from '@spur/sdk';

/** A product line of an order (`products[]` of Order Completed). */
export interface CartLine {
  productId: string;
  variant?: string;
  name?: string;
  price?: number;
  quantity?: number;
  currency?: string;
}

/** Properties of a cart event: the product for Product Added / Removed, the order for Order Completed. */
export interface CartFields {
  productId?: string;
  variant?: string;
  name?: string;
  price?: number;
  quantity?: number;
  currency?: string;
  orderId?: string;
  total?: number;
  revenue?: number;
  products?: CartLine[];
}

/**
 * Properties of a survey event (Survey Shown, Answered, Dismissed): the survey, the answer and its
 * free text (Answered only), and the cart the SDK says it was about. Product Added and Removed
 * that name their cart (Segment's `cart_id`) carry it too, with only `cartId`: what an answer
 * naming that cart joins. No other event carries it.
 */
export interface SurveyFields {
  surveyId?: string;
  answer?: string;
  /** The visitor's free text: personal data, erased with the event (survey.ts). */
  text?: string;
  cartId?: string;
  cartValue?: number;
  currency?: string;
}

/** The minimum the analytics need from one stored event. */
export interface Fact {
  /** Storage row order: strictly increasing along the table, and the tiebreak of equal times. */
  seq: number;
  /** Event time, epoch ms. */
  ts: number;
  type: EventType;
  /** track: the event name. Page views are matched by `type`, as the step `page`. */
  name?: string;
  /** Page path, for `page:/path` steps. */
  path?: string;
  anonymousId?: string;
  userId?: string;
  /** The client's context.sessionId. */
  sessionId?: string;
  /** Device type, browser and OS families, as the collector stores them; win over userAgent. */
  device?: string;
  browser?: string;
  os?: string;
  /** A raw user agent, reduced to families on append (for facts that do not come from storage). */
  userAgent?: string;
  /** Page URL and referrer: hosts for the channel, utm_ parameters when there is no campaign. */
  url?: string;
  referrer?: string;
  /** context.campaign. */
  source?: string;
  medium?: string;
  campaign?: string;
  /** The sales channel context.channel names (`phone`, `store`, ...; sales-channel.ts); never a library's value such as `web`. */
  channel?: string;
  /** product_id of Product Viewed / Added / Removed. */
  productId?: string;
  /** Only for Product Added, Product Removed and Order Completed. */
  cart?: CartFields;
  /** Only for Survey Shown, Survey Answered and Survey Dismissed (and cart events' cart_id). */
  survey?: SurveyFields;
}
