// The cart fields of cart events (Product Added, Product Removed, Order Completed), packed: one
// entry per cart event with its product line (product, variant, name, currency as dictionary
// codes; price and quantity as numbers, NaN when absent), and for an order its order_id, total,
// revenue and a range of product lines in one shared table. An object per cart event with its own
// strings cost about 150 bytes and a place on the V8 heap; an entry costs about 26 bytes, an order
// 28 more, a product line of an order 22.
import { CodeColumn, nextCapacity, resizeFloats, resizeInts, type Codes } from './columns';
import { Dictionary } from './dictionary';
import type { CartFields, CartLine } from './fact-types';
import { PackedDictionary } from './packed-dictionary';

/** A product line as columns: codes are -1 and numbers NaN where the event had no value. */
export interface LineColumns {
  readonly length: number;
  readonly product: Codes;
  readonly variant: Codes;
  readonly name: Codes;
  readonly currency: Codes;
  readonly price: Float64Array;
  readonly quantity: Float64Array;
}

/** Orders: their lines are lines[lineStart[o] .. lineStart[o] + lineCount[o]); lineCount -1: no products array. */
export interface OrderColumns {
  readonly length: number;
  readonly orderId: Codes;
  readonly total: Float64Array;
  readonly revenue: Float64Array;
  readonly lineStart: Int32Array;
  readonly lineCount: Int32Array;
}

/** A snapshot of the cart entries (one per cart event); `order` is an index into `orders` or -1. */
export interface CartView extends LineColumns {
  readonly order: Codes;
  readonly orders: OrderColumns;
  readonly lines: LineColumns;
  readonly products: Dictionary;
  readonly variants: Dictionary;
  readonly names: Dictionary;
  readonly currencies: Dictionary;
  readonly orderIds: PackedDictionary;
}

/** One product line as read from an event, before it is packed. */
export class LineRecord {
  productId: string | undefined = undefined;
  variant: string | undefined = undefined;
  name: string | undefined = undefined;
  currency: string | undefined = undefined;
  price = NaN;
  quantity = NaN;

  clear(): void {
    this.productId = this.variant = this.name = this.currency = undefined;
    this.price = this.quantity = NaN;
  }
}

/** A growable table of product lines (codes into the dictionaries of a CartTable). */
class LineTable {
  length = 0;
  private capacity = 0;
  private readonly codes = [new CodeColumn(0), new CodeColumn(0), new CodeColumn(0), new CodeColumn(0)];
  private price = new Float64Array(0);
  private quantity = new Float64Array(0);

  add(product: number, variant: number, name: number, currency: number, price: number, quantity: number): number {
    const i = this.length;
    if (i === this.capacity) this.grow();
    this.codes[0].set(i, product);
    this.codes[1].set(i, variant);
    this.codes[2].set(i, name);
    this.codes[3].set(i, currency);
    this.price[i] = price;
    this.quantity[i] = quantity;
    this.length = i + 1;
    return i;
  }

  view(): LineColumns {
    const n = this.length;
    const [product, variant, name, currency] = this.codes.map((c) => c.array.subarray(0, n));
    return { length: n, product, variant, name, currency, price: this.price.subarray(0, n), quantity: this.quantity.subarray(0, n) };
  }

  private grow(): void {
    const capacity = nextCapacity(this.capacity);
    for (const c of this.codes) c.resize(capacity, this.length);
    this.price = resizeFloats(this.price, capacity, this.length);
    this.quantity = resizeFloats(this.quantity, capacity, this.length);
    this.capacity = capacity;
  }
}

/** The cart fields of every cart event of a fact table. */
export class CartTable {
  private readonly entries = new LineTable();
  private readonly lines = new LineTable();
  private order = new CodeColumn(0);
  private orderCapacity = 0;
  private orderCount = 0;
  private orderIdCodes = new CodeColumn(0);
  private total = new Float64Array(0);
  private revenue = new Float64Array(0);
  private lineStart = new Int32Array(0);
  private lineCount = new Int32Array(0);
  readonly variants = new Dictionary();
  readonly names = new Dictionary();
  readonly currencies = new Dictionary();
  readonly orderIds = new PackedDictionary();

  constructor(readonly products: Dictionary) {}

  get length(): number {
    return this.entries.length;
  }

  /**
   * Adds a cart event's entry: its product line, and (with `order`) its order fields and the
   * order's product lines (`lines` of them, or no products array at all for -1). Returns its index.
   */
  add(line: LineRecord, order?: { orderId: string | undefined; total: number; revenue: number; lines: readonly LineRecord[]; lineCount: number }): number {
    const k = this.addLine(this.entries, line);
    if (k === this.order.array.length) this.order.resize(nextCapacity(k), k);
    this.order.set(k, order ? this.addOrder(order) : -1);
    return k;
  }

  view(): CartView {
    const n = this.orderCount;
    const entries = this.entries.view();
    return {
      ...entries,
      order: this.order.array.subarray(0, entries.length),
      orders: {
        length: n,
        orderId: this.orderIdCodes.array.subarray(0, n),
        total: this.total.subarray(0, n),
        revenue: this.revenue.subarray(0, n),
        lineStart: this.lineStart.subarray(0, n),
        lineCount: this.lineCount.subarray(0, n),
      },
      lines: this.lines.view(),
      products: this.products,
      variants: this.variants,
      names: this.names,
      currencies: this.currencies,
      orderIds: this.orderIds,
    };
  }

  private addLine(table: LineTable, l: LineRecord): number {
    const code = (d: Dictionary, v: string | undefined) => (v === undefined ? -1 : d.intern(v));
    return table.add(code(this.products, l.productId), code(this.variants, l.variant), code(this.names, l.name), code(this.currencies, l.currency), l.price, l.quantity);
  }

  private addOrder(o: { orderId: string | undefined; total: number; revenue: number; lines: readonly LineRecord[]; lineCount: number }): number {
    const i = this.orderCount;
    if (i === this.orderCapacity) {
      const capacity = nextCapacity(this.orderCapacity);
      this.orderIdCodes.resize(capacity, i);
      this.total = resizeFloats(this.total, capacity, i);
      this.revenue = resizeFloats(this.revenue, capacity, i);
      this.lineStart = resizeInts(this.lineStart, capacity, i);
      this.lineCount = resizeInts(this.lineCount, capacity, i);
      this.orderCapacity = capacity;
    }
    this.orderIdCodes.set(i, o.orderId === undefined ? -1 : this.orderIds.intern(o.orderId));
    this.total[i] = o.total;
    this.revenue[i] = o.revenue;
    this.lineStart[i] = this.lines.length;
    this.lineCount[i] = o.lineCount;
    for (let j = 0; j < o.lineCount; j++) this.addLine(this.lines, o.lines[j]);
    this.orderCount = i + 1;
    return i;
  }
}

// The fields of line i of `t` that the event had, as CartFields / CartLine spell them.
function lineFields(v: CartView, t: LineColumns, i: number): CartFields {
  const out: CartFields = {};
  if (t.product[i] >= 0) out.productId = v.products.value(t.product[i])!;
  if (t.variant[i] >= 0) out.variant = v.variants.value(t.variant[i])!;
  if (t.name[i] >= 0) out.name = v.names.value(t.name[i])!;
  if (!Number.isNaN(t.price[i])) out.price = t.price[i];
  if (!Number.isNaN(t.quantity[i])) out.quantity = t.quantity[i];
  if (t.currency[i] >= 0) out.currency = v.currencies.value(t.currency[i])!;
  return out;
}

/** Cart entry k as the CartFields it was made from (for reading back and tests, not for queries). */
export function cartFieldsAt(v: CartView, k: number): CartFields {
  const out = lineFields(v, v, k);
  const o = v.order[k];
  if (o < 0) return out;
  const { orders } = v;
  if (orders.orderId[o] >= 0) out.orderId = v.orderIds.value(orders.orderId[o])!;
  if (!Number.isNaN(orders.total[o])) out.total = orders.total[o];
  if (!Number.isNaN(orders.revenue[o])) out.revenue = orders.revenue[o];
  if (orders.lineCount[o] >= 0) {
    const lines: CartLine[] = [];
    for (let j = 0; j < orders.lineCount[o]; j++) lines.push(lineFields(v, v.lines, orders.lineStart[o] + j) as CartLine);
    out.products = lines;
  }
  return out;
}
