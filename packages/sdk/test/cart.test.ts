// Ecommerce helpers: Segment Ecommerce v2 events and the cart they keep.
import type { Spur } from '../src/client';
import type { Product, SpurEvent } from '../src/types';
import { cleanPage, freshSpur, recorder } from './helpers';

let spur: Spur;
let sent: () => Promise<SpurEvent[]>;

function load() {
  const r = recorder();
  spur = freshSpur();
  spur.init({ writeKey: 'demo', fetch: r.fetch, autoPage: false });
  sent = async () => {
    await spur.flush();
    return r.events();
  };
}

const shoe: Product = { product_id: 'p1', sku: 'SH-1', name: 'Shoe', category: 'Shoes', brand: 'Spur', variant: '42', price: 19.99, currency: 'EUR' };
const sock: Product = { product_id: 'p2', name: 'Sock', price: 4.5, currency: 'EUR' };

beforeEach(() => {
  cleanPage();
  load();
});

it('productViewed emits Product Viewed with the product', async () => {
  spur.productViewed(shoe);
  expect(await sent()).toMatchObject([{ type: 'track', event: 'Product Viewed', properties: shoe }]);
});

it('productListViewed emits Product List Viewed', async () => {
  spur.productListViewed({ list_id: 'shoes', products: [shoe] });
  expect(await sent()).toMatchObject([{ event: 'Product List Viewed', properties: { list_id: 'shoes', products: [shoe] } }]);
});

it('productAdded emits Product Added and adds quantity, default 1, to the cart', async () => {
  spur.productAdded(shoe);
  spur.productAdded({ ...shoe, quantity: 2 });
  spur.productAdded(sock);
  expect((await sent()).map((e) => [e.event, e.properties!.quantity])).toEqual([
    ['Product Added', 1],
    ['Product Added', 2],
    ['Product Added', 1],
  ]);
  expect(spur.cart()).toEqual([
    { ...shoe, quantity: 3 },
    { ...sock, quantity: 1 },
  ]);
});

it('keeps one line per product and variant', () => {
  spur.productAdded(shoe);
  spur.productAdded({ ...shoe, variant: '43' });
  expect(spur.cart().map((p) => [p.variant, p.quantity])).toEqual([
    ['42', 1],
    ['43', 1],
  ]);
});

it('productRemoved removes the given quantity, by default the whole line', async () => {
  spur.productAdded({ ...shoe, quantity: 3 });
  spur.productAdded(sock);
  spur.productRemoved({ ...shoe, quantity: 1 });
  expect(spur.cart().map((p) => [p.product_id, p.quantity])).toEqual([
    ['p1', 2],
    ['p2', 1],
  ]);
  spur.productRemoved({ product_id: 'p1', variant: '42' });
  expect(spur.cart().map((p) => p.product_id)).toEqual(['p2']);
  const removed = (await sent()).filter((e) => e.event === 'Product Removed');
  expect(removed.map((e) => e.properties!.quantity)).toEqual([1, 2]);
  expect(removed[1].properties).toMatchObject({ name: 'Shoe', price: 19.99 }); // completed from the cart line
});

it('cartViewed emits Cart Viewed with products, value and currency', async () => {
  spur.productAdded({ ...shoe, quantity: 3 });
  spur.productAdded(sock);
  spur.cartViewed();
  const viewed = (await sent()).find((e) => e.event === 'Cart Viewed')!;
  expect(viewed.properties).toEqual({ products: spur.cart(), value: 64.47, currency: 'EUR' });
});

it('checkoutStarted emits Checkout Started with the cart and the given properties', async () => {
  spur.productAdded(sock);
  spur.checkoutStarted({ checkout_id: 'c1' });
  const started = (await sent()).find((e) => e.event === 'Checkout Started')!;
  expect(started.properties).toEqual({ products: [{ ...sock, quantity: 1 }], value: 4.5, currency: 'EUR', checkout_id: 'c1' });
});

it('orderCompleted emits Order Completed with the cart products and empties the cart', async () => {
  spur.productAdded({ ...shoe, quantity: 2 });
  spur.orderCompleted({ order_id: 'o-1' });
  const order = (await sent()).find((e) => e.event === 'Order Completed')!;
  expect(order.properties).toEqual({
    order_id: 'o-1',
    total: 39.98,
    revenue: 39.98,
    currency: 'EUR',
    products: [{ ...shoe, quantity: 2 }],
  });
  expect(spur.cart()).toEqual([]);
  expect(localStorage.getItem('spur_cart')).toBe('null'); // emptied
});

it('orderCompleted takes the order as given', async () => {
  spur.productAdded(shoe);
  spur.orderCompleted({ order_id: 'o-2', total: 25, revenue: 20, currency: 'USD', products: [sock], shipping: 5 });
  const order = (await sent()).find((e) => e.event === 'Order Completed')!;
  expect(order.properties).toEqual({ order_id: 'o-2', total: 25, revenue: 20, currency: 'USD', products: [sock], shipping: 5 });
  expect(spur.cart()).toEqual([]);
});

it('keeps the cart in localStorage spur_cart, across page loads', () => {
  spur.productAdded(shoe);
  expect(JSON.parse(localStorage.getItem('spur_cart')!)).toEqual([{ ...shoe, quantity: 1 }]);
  load();
  spur.productAdded(shoe);
  expect(spur.cart()).toEqual([{ ...shoe, quantity: 2 }]);
});

it('returns a copy from cart()', () => {
  spur.productAdded(shoe);
  spur.cart()[0].quantity = 99;
  expect(spur.cart()[0].quantity).toBe(1);
});

it('starts an empty cart over garbage in spur_cart', () => {
  localStorage.setItem('spur_cart', '{"not":"a list"');
  expect(spur.cart()).toEqual([]);
  localStorage.setItem('spur_cart', '{"not":"a list"}');
  expect(() => spur.productAdded(shoe)).not.toThrow();
  expect(spur.cart()).toHaveLength(1);
});

it('throws, saying what to pass, on a product without product_id or an order without order_id', () => {
  const loose = spur as unknown as Record<string, (arg?: unknown) => void>;
  expect(() => loose.productAdded()).toThrow(/spur.productAdded needs a product_id/);
  expect(() => loose.productRemoved({ name: 'x' })).toThrow(/spur.productRemoved needs a product_id/);
  expect(() => loose.orderCompleted({})).toThrow(/spur.orderCompleted needs an order_id/);
});

it('gives the cart a new id (spur_cart_id) when a product goes into an empty cart, and keeps it while it holds something', () => {
  const id = () => JSON.parse(localStorage.getItem('spur_cart_id')!);
  spur.productAdded(shoe);
  const first = id();
  expect(first).toMatch(/^[0-9a-f-]{36}$/);
  spur.productAdded(sock);
  spur.productRemoved(shoe);
  expect(id()).toBe(first);
  spur.orderCompleted({ order_id: 'o1' });
  spur.productAdded(sock);
  expect(id()).not.toBe(first);
});

it('notes the page view (URL) of the last productViewed() in V, for the JSON-LD chunk', () => {
  expect(spur.V).toEqual([]);
  history.replaceState(null, '', '/products/shoe?variant=2#reviews');
  spur.productViewed(shoe);
  expect(spur.V).toEqual([`${location.origin}/products/shoe?variant=2`]);
});
