// An order's rows as the events that store it: one Order Completed with its products, and, when
// the customer was found by email or phone, an identify that links the order's contact id to that
// customer. The link is an event of its own, rather than the customer id written into the order,
// so that an order imported before its customer was known is the same event when imported again
// later: it then stays one order, and the new link makes it the customer's (identity stitching
// rule 1: an anonymous id's events, before and after, belong to the customer it identifies as).
import type { JsonObject } from '@spur/sdk';
import { contactId, linkMessageId, orderMessageId, type Contact } from './contacts';
import type { Match } from './customer-lookup';
import type { OrderRows } from './order-groups';
import type { LineItem } from './order-rows';

/** context.library of imported events: says what sent them. */
export const IMPORT_LIBRARY = { name: 'spur-import', version: '1' };

/** An order whose rows agree on what is the order's, not the line's. */
export interface Order extends Contact {
  orderId: string;
  customerId?: string;
  timestamp: string;
  channel: string;
  currency: string;
  items: LineItem[];
  /** The first line of the order in the file. */
  line: number;
}

const FIELDS = ['customerId', 'email', 'phone', 'timestamp', 'channel', 'currency'] as const;
const COLUMN: Record<(typeof FIELDS)[number], string> = {
  customerId: 'customer_id',
  email: 'email',
  phone: 'phone',
  timestamp: 'date',
  channel: 'channel',
  currency: 'currency',
};

/**
 * The order of good rows, or why not: the rows of one order must name one customer, date,
 * channel and currency (a row that leaves customer_id, email or phone empty takes the others').
 */
export function toOrder(rows: OrderRows): Order | { line: number; reason: string } {
  const first = rows.items[0];
  const order: Order = { orderId: rows.orderId, timestamp: first.timestamp, channel: first.channel, currency: first.currency, items: rows.items, line: first.line };
  for (const field of FIELDS) {
    let from: LineItem | undefined;
    for (const item of rows.items) {
      const value = item[field];
      if (value === undefined) continue;
      if (!from) {
        from = item;
        order[field] = value;
      } else if (value !== from[field]) {
        const reason = `rows of order ${JSON.stringify(rows.orderId)} disagree on ${COLUMN[field]}: ${JSON.stringify(from[field])} at line ${from.line}, ${JSON.stringify(value)} at line ${item.line}`;
        return { line: item.line, reason };
      }
    }
  }
  return order;
}

// Sums money without binary fractions creeping in: 3 × 19.99 is 59.97, not 59.970000000000006.
const money = (value: number) => Math.round(value * 1e6) / 1e6;

/** The order's products, in a fixed order, so that the same lines in another order are the same event. */
function products(items: readonly LineItem[]): JsonObject[] {
  const sorted = [...items].sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : a.price - b.price || a.quantity - b.quantity || (a.name ?? '').localeCompare(b.name ?? '')));
  return sorted.map((item) => {
    const product: JsonObject = { product_id: item.sku, sku: item.sku };
    if (item.name !== undefined) product.name = item.name;
    product.quantity = item.quantity;
    product.price = item.price;
    return product;
  });
}

/** The events that store `order` matched as `match`: its Order Completed, and the link if any. */
export function orderEvents(order: Order, match: Match): JsonObject[] {
  let revenue = 0;
  for (const item of order.items) revenue += item.quantity * item.price;
  revenue = money(revenue);
  const context = { channel: order.channel, library: IMPORT_LIBRARY };
  const event: JsonObject = { type: 'track', event: 'Order Completed', messageId: orderMessageId(order.orderId), timestamp: order.timestamp };
  const anonymousId = contactId(order, order.orderId);
  if (match.by === 'customer_id') event.userId = match.userId;
  else event.anonymousId = anonymousId;
  event.properties = { order_id: order.orderId, total: revenue, revenue, currency: order.currency, products: products(order.items) };
  event.context = context;
  if (match.by !== 'email' && match.by !== 'phone') return [event];
  const link: JsonObject = { type: 'identify', messageId: linkMessageId(order.orderId), timestamp: order.timestamp, userId: match.userId, anonymousId, context };
  return [event, link];
}
