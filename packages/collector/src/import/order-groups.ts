// Rows of one order_id become one order. A file is read as a stream, so the rows of an order are
// gathered while they are near each other: an order stays open until WINDOW other orders have
// begun after it, then it is complete. ERP exports list an order's lines together (or nearly,
// when sorted by date), so a million rows need a few thousand open orders, not the whole file in
// memory. A row of an order that is complete already is a bad row with the lines of the order.
import type { LineItem } from './order-rows';

/** Orders kept open at once; an order with rows further apart than this is not put together. */
export const WINDOW = 10_000;
/** Line items per order at most (an Order Completed must stay under the event size limit anyway). */
export const MAX_LINES = 1_000;

/** A row as read: its cells, or its text when it could not be read as CSV. */
export type Cells = readonly string[] | { text: string };

/** A bad row: its line, why, and the row as read (kept among the rejected events). */
export interface BadLine {
  line: number;
  reason: string;
  /** The row as read. */
  cells: Cells;
  orderId?: string;
}

/** The rows of one order_id as gathered. */
export interface OrderRows {
  orderId: string;
  items: LineItem[];
  /** Every row of the order as read, for keeping them when the order is bad. */
  rows: { line: number; cells: Cells }[];
  /** Bad rows of this order: then none of it is imported. */
  bad: BadLine[];
}

/** What adding a row did: the orders it completed (oldest first), or why the row was refused. */
export interface Added {
  completed: OrderRows[];
  /** Set when the row belongs to an order that was complete already: the row is a bad row. */
  refused?: string;
}

export interface OrderGrouper {
  /** Adds a good row. */
  item(item: LineItem, cells: readonly string[]): Added;
  /** Adds a bad row naming an order_id: that order will not be imported. */
  badRow(bad: BadLine & { orderId: string }): Added;
  /** The orders still open, at the end of the file. */
  end(): OrderRows[];
}

export function createOrderGrouper(window = WINDOW): OrderGrouper {
  const open = new Map<string, OrderRows>();
  // The first line of each completed order, to name it when a straggler comes.
  const done = new Map<string, number>();
  const completed = (): OrderRows[] => {
    const out: OrderRows[] = [];
    while (open.size > window) {
      const [orderId, order] = open.entries().next().value!;
      open.delete(orderId);
      done.set(orderId, order.rows[0].line);
      out.push(order);
    }
    return out;
  };
  const orderOf = (orderId: string): OrderRows | string => {
    let order = open.get(orderId);
    if (order) return order;
    const first = done.get(orderId);
    if (first !== undefined) {
      return (
        `order_id ${JSON.stringify(orderId)} was complete already (its rows begin at line ${first}, ` +
        `more than ${window.toLocaleString('en')} orders before): keep the rows of one order together`
      );
    }
    order = { orderId, items: [], rows: [], bad: [] };
    open.set(orderId, order);
    return order;
  };
  return {
    item(item, cells) {
      const order = orderOf(item.orderId);
      if (typeof order === 'string') return { completed: [], refused: order };
      order.rows.push({ line: item.line, cells });
      if (order.items.length >= MAX_LINES) order.bad.push({ line: item.line, reason: `order ${JSON.stringify(item.orderId)} has more than ${MAX_LINES} line items`, cells, orderId: item.orderId });
      else order.items.push(item);
      return { completed: completed() };
    },
    badRow(bad) {
      const order = orderOf(bad.orderId);
      if (typeof order === 'string') return { completed: [], refused: order };
      order.rows.push({ line: bad.line, cells: bad.cells });
      order.bad.push(bad);
      return { completed: completed() };
    },
    end() {
      const rest = [...open.values()];
      open.clear();
      return rest;
    },
  };
}
