// Ecommerce helpers: Segment Ecommerce v2 events, and the cart they imply, kept in localStorage
// (spur_cart) so that it survives page loads and is shared by the shop's tabs.
import { check } from './config';
import { pageUrl } from './history';
import { load, save } from './storage';
import type { Product } from './types';
import { uuid } from './uuid';

export const CART = 'spur_cart';
/** The cart's id (a UUID): new when a product goes into an empty cart. The exit survey sends it as `cart_id`. */
export const CART_ID = 'spur_cart_id';

export type Properties = Record<string, unknown>;

/** What `orderCompleted()` takes; `products` defaults to the cart's. */
export interface Order extends Properties {
  order_id: string;
  total?: number;
  revenue?: number;
  currency?: string;
  products?: Product[];
}

type Track = (event: string, properties?: Properties) => void;

const positive = (n: unknown) => (Number(n) > 0 ? Number(n) : 0);

export function cartItems(): Product[] {
  const items = load<Product[]>(CART);
  return Array.isArray(items) ? items : [];
}

/** What Cart Viewed and Checkout Started carry: products, value (Σ price × quantity), currency. */
export function cartSummary(products: Product[]) {
  const value = products.reduce((sum, p) => sum + (Number(p.price) || 0) * (positive(p.quantity) || 1), 0);
  // Rounded to cents: 3 × 19.99 is 59.97, not 59.970000000000006.
  return { products, value: Math.round(value * 100) / 100, currency: products.find((p) => p.currency)?.currency };
}

// A cart line is one product in one variant.
function line(items: Product[], product: Product, method: string): Product | undefined {
  check(product?.product_id != null, method, 'a product_id');
  return items.find((item) => item.product_id === product.product_id && item.variant === product.variant);
}

/** The helpers, emitting through `track`. */
export function commerce(track: Track) {
  const viewed: unknown[] = [];
  return {
    // (track() serialises the properties at once: no copies needed.)
    productViewed(product: Product): void {
      track('Product Viewed', product);
      viewed[0] = pageUrl();
    },

    /**
     * @internal `[url]`: the page view (URL) of the last productViewed() call, shared by reference
     * with window.spur.V: spur-jsonld.js records nothing on a page view the shop recorded itself.
     */
    V: viewed,

    productListViewed(properties?: Properties): void {
      track('Product List Viewed', properties);
    },

    /** Adds `quantity` (default 1) of the product to the cart. */
    productAdded(product: Product): void {
      const items = cartItems();
      const found = line(items, product, 'productAdded');
      items.length || save(CART_ID, uuid());
      const quantity = positive(product.quantity) || 1;
      if (found) Object.assign(found, product, { quantity: positive(found.quantity) + quantity });
      else items.push({ ...product, quantity });
      save(CART, items);
      track('Product Added', { ...product, quantity });
    },

    /** Removes `quantity` of the product from the cart, by default the whole line. */
    productRemoved(product: Product): void {
      const items = cartItems();
      const found = line(items, product, 'productRemoved') || ({} as Product);
      const quantity = positive(product.quantity) || positive(found.quantity) || 1;
      found.quantity = positive(found.quantity) - quantity;
      save(CART, items.filter((item) => positive(item.quantity)));
      track('Product Removed', { ...found, ...product, quantity });
    },

    cartViewed(): void {
      track('Cart Viewed', cartSummary(cartItems()));
    },

    checkoutStarted(properties?: Properties): void {
      track('Checkout Started', { ...cartSummary(cartItems()), ...properties });
    },

    /** Records the order and empties the cart. total and revenue default to the products' value. */
    orderCompleted(order: Order): void {
      check(order?.order_id != null, 'orderCompleted', 'an order_id');
      const summary = cartSummary(order.products || cartItems());
      const total = order.total ?? summary.value;
      track('Order Completed', {
        currency: summary.currency,
        revenue: total,
        ...order,
        total,
        products: summary.products,
      });
      save(CART);
    },

    /** The cart's lines (a copy). */
    cart: cartItems,
  };
}
