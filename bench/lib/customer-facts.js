// A shop of buyers for the customers bench (bench/customers.js): `buyers` customers who order over
// two years (identified customers on one or two devices, and guests), each with browsing visits
// between orders (some leaving a cart), phone orders now and then, in EUR, USD or GBP, plus anonymous visitors who
// never buy, until `total` events. Customers differ as a shop's do, which is what the purchase
// models describe: each has a propensity to order again of its own (so some order once, some
// often) and a price level of its own (what it buys is near it). Facts (what the engine reads of an event) are made one at a
// time and handed to `append`, so that 5M of them never sit in memory at once; `graph()` is the
// identity graph storage would hold (one link per device of an identified customer).
'use strict';
const { random } = require('./scale');

const DAY = 86_400_000;
const START = Date.UTC(2024, 0, 1);
const SPAN_DAYS = 730;
/** The moment the bench asks about: the end of the two years. */
const AS_OF = START + SPAN_DAYS * DAY;
const CURRENCIES = ['EUR', 'EUR', 'EUR', 'USD', 'USD', 'GBP'];
const REFERRERS = [undefined, undefined, 'https://www.google.com/', 'https://www.google.com/', 'https://l.facebook.com/', 'https://news.example.org/'];
const AGENTS = [
  { device: 'desktop', browser: 'Chrome', os: 'Windows' },
  { device: 'mobile', browser: 'Safari', os: 'iOS' },
  { device: 'mobile', browser: 'Chrome', os: 'Android' },
  { device: 'desktop', browser: 'Firefox', os: 'Linux' },
  { device: 'tablet', browser: 'Safari', os: 'iOS' },
];
const PRODUCTS = Array.from({ length: 2000 }, (_, i) => ({ id: `p-${10000 + i}`, price: Math.round((4.9 + ((i * 7919) % 1500) / 10) * 100) / 100 }));
// By price: a customer buys around a price level of its own.
const BY_PRICE = [...PRODUCTS].sort((a, b) => a.price - b.price);

function customerShop({ seed = 15, buyers = 100_000, total = 5_000_000 } = {}) {
  const rnd = random(seed);
  const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
  const hex = () => Math.floor(rnd() * 4294967296).toString(16).padStart(8, '0');
  const links = [];
  let seq = 0;
  let sessions = 0;
  let orders = 0;

  function* visit(t, who, order) {
    const sessionId = `s-${++sessions}-${hex()}`;
    const agent = who.agent;
    const base = { type: 'track', anonymousId: who.anonymousId, userId: who.userId, sessionId, ...agent, url: 'https://shop.example/' };
    yield { ...base, type: 'page', ts: t, path: '/', referrer: pick(REFERRERS) };
    if (who.identify) {
      who.identify = false;
      who.userId = who.identity;
      base.userId = who.userId;
      links.push({ anonymousId: who.anonymousId, userId: who.userId, firstSeen: new Date(t + 1000).toISOString() });
      yield { ...base, type: 'identify', ts: t + 1000 };
    }
    const views = 2 + Math.floor(rnd() * 6);
    const cart = [];
    for (let i = 0; i < views; i++) {
      const p = who.level === undefined ? pick(PRODUCTS) : BY_PRICE[Math.min(BY_PRICE.length - 1, Math.floor(who.level * BY_PRICE.length + (rnd() - 0.5) * 300)) | 0] ?? pick(PRODUCTS);
      t += 20_000 + Math.floor(rnd() * 60_000);
      yield { ...base, name: 'Product Viewed', ts: t, productId: p.id, path: `/products/${p.id}` };
      // Buying visits fill a cart; a fifth of the others leave one (abandoned, maybe recovered later).
      if (order ? i === 0 || rnd() < 0.3 : i === 0 && rnd() < 0.2) {
        const quantity = 1 + Math.floor(rnd() * 2);
        cart.push({ productId: p.id, price: p.price, quantity, currency: who.currency });
        yield { ...base, name: 'Product Added', ts: t + 5000, productId: p.id, cart: { productId: p.id, price: p.price, quantity, currency: who.currency } };
      }
    }
    if (!order) return;
    t += 60_000;
    yield { ...base, name: 'Checkout Started', ts: t };
    const total = Math.round(cart.reduce((s, l) => s + l.price * l.quantity, 0) * 100) / 100;
    yield { ...base, name: 'Order Completed', ts: t + 90_000, cart: { orderId: `o-${++orders}`, total, currency: who.currency, products: cart } };
  }

  function* buyer(n) {
    const guest = n % 10 < 3;
    const devices = 1 + (guest || rnd() < 0.6 ? 0 : 1);
    const identity = guest ? undefined : `cus_${n}_${hex()}`;
    const people = Array.from({ length: devices }, () => ({ anonymousId: `${hex()}-${hex()}-${hex()}`, agent: pick(AGENTS), currency: undefined, identify: !guest, identity, userId: undefined }));
    const currency = pick(CURRENCIES);
    // Its price level (most customers buy cheaper things) and its propensity to order again.
    const level = rnd() ** 2;
    for (const p of people) Object.assign(p, { currency, level });
    const again = 0.85 * rnd();
    // Orders: 1 + a geometric number; visits without an order between them.
    let count = 1;
    while (count < 25 && rnd() < again) count++;
    const first = START + Math.floor(rnd() * (SPAN_DAYS - 30)) * DAY;
    const span = Math.min(AS_OF - first - DAY, Math.floor(rnd() * 500) * DAY + DAY);
    const times = Array.from({ length: count }, () => first + Math.floor(rnd() * span)).sort((a, b) => a - b);
    for (const t of times) {
      const who = pick(people);
      for (let b = Math.floor(rnd() * 3); b > 0; b--) yield* visit(t - b * 3600_000 * 20, who, false);
      // Now and then the order comes by phone, from the shop's backend.
      if (identity && !who.identify && rnd() < 0.05) {
        const p = pick(PRODUCTS);
        yield { type: 'track', name: 'Order Completed', ts: t, userId: identity, channel: 'phone', cart: { orderId: `o-${++orders}`, total: p.price, currency, products: [{ productId: p.id, price: p.price, quantity: 1 }] } };
      } else yield* visit(t, who, true);
    }
  }

  function* visitor() {
    const who = { anonymousId: `${hex()}-${hex()}-${hex()}`, agent: rnd() < 0.02 ? { device: 'bot', browser: 'HeadlessChrome', os: 'Linux' } : pick(AGENTS) };
    const t = START + Math.floor(rnd() * SPAN_DAYS * DAY);
    yield* visit(t, who, false);
  }

  return {
    /** Appends every fact with `append(fact)`; resolves to the shape of what was made. */
    run(append) {
      for (let n = 0; n < buyers; n++) for (const fact of buyer(n)) append({ seq: ++seq, ...fact });
      while (seq < total) for (const fact of visitor()) if (seq < total) append({ seq: ++seq, ...fact });
      return { events: seq, buyers, orders, sessions, links: links.length };
    },
    graph: () => ({ links, aliases: [] }),
  };
}

module.exports = { customerShop, AS_OF };
