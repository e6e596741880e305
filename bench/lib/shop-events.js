// A shop's stored events, as the collector keeps them from spur's SDK, for the analytics memory
// bench: sessions of visitors on several devices and browsers, landing from search, social,
// newsletters and paid campaigns (utm_ in the URL and context.campaign, as the SDK sends them);
// page views, product list and product views, adds, removes, cart views, checkouts, orders with
// their product lines, and identifies when a shopper logs in (before or at checkout), after which
// the device's events carry the customer id; customers come back on other devices. Ids are UUIDs
// as the SDK makes them, so dictionaries hold strings of a real length. Arrival (storage) order
// is the order in which the SDK batches (1-5 events) of the sessions open at the time arrive, as
// on a live shop: by time, each batch's events a few seconds apart.
'use strict';
const { random } = require('./scale');
const { num } = require('./format');

const HOST = 'https://shop.example';
const CATEGORIES = ['tops', 'dresses', 'shoes', 'bags', 'kitchen', 'garden', 'toys', 'books', 'beauty', 'sports'];
const SIZES = ['XS', 'S', 'M', 'L', 'XL'];
const PRODUCTS = Array.from({ length: 2000 }, (_, i) => ({
  product_id: `p-${10000 + i}`,
  sku: `SKU-${10000 + i}`,
  name: `Product ${i}`,
  category: CATEGORIES[i % CATEGORIES.length],
  brand: `Brand ${i % 37}`,
  price: Math.round((4.9 + ((i * 7919) % 1500) / 10) * 100) / 100,
  currency: 'EUR',
}));
// As the collector stores them: families, never a raw user agent.
const DEVICES = [
  { device: { type: 'desktop' }, browser: { name: 'Chrome' }, os: { name: 'Windows' } },
  { device: { type: 'mobile' }, browser: { name: 'Safari' }, os: { name: 'iOS' } },
  { device: { type: 'mobile' }, browser: { name: 'Chrome' }, os: { name: 'Android' } },
  { device: { type: 'desktop' }, browser: { name: 'Safari' }, os: { name: 'macOS' } },
  { device: { type: 'tablet' }, browser: { name: 'Safari' }, os: { name: 'iOS' } },
  { device: { type: 'desktop' }, browser: { name: 'Firefox' }, os: { name: 'Linux' } },
  { device: { type: 'desktop' }, browser: { name: 'Edge' }, os: { name: 'Windows' } },
];
// How sessions begin: a referrer, or a campaign link (utm_ in the landing URL).
const ENTRIES = [
  { weight: 30 },
  { weight: 25, referrer: 'https://www.google.com/' },
  { weight: 5, referrer: 'https://www.bing.com/' },
  { weight: 8, referrer: 'https://l.facebook.com/' },
  { weight: 4, referrer: 'https://www.instagram.com/' },
  { weight: 4, referrer: 'https://blog.example.org/gift-ideas' },
  { weight: 8, utm: { source: 'newsletter', medium: 'email', name: 'weekly' } },
  { weight: 6, utm: { source: 'google', medium: 'cpc', name: 'brand' } },
  { weight: 4, utm: { source: 'facebook', medium: 'social', name: 'spring-sale' } },
  { weight: 3, utm: { source: 'criteo', medium: 'display', name: 'retarget' } },
  { weight: 3, gclid: true },
];
const ENTRY_WEIGHT = ENTRIES.reduce((s, e) => s + e.weight, 0);
const SPAN_MS = 90 * 86400e3;

/**
 * A generator of such events: next() gives the next SDK batch (1-5 events of one session), in
 * storage order; graph() the identity graph storage would hold for what was made so far (links:
 * the earliest time each anonymous id was seen with each customer id). `total` sets the pace:
 * that many events span 90 days from `start`.
 */
function createShop({ seed = 21, total = 1e6, start = Date.UTC(2026, 0, 1) } = {}) {
  const rnd = random(seed);
  const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
  const hex = (n) => {
    let s = '';
    while (s.length < n) s += Math.floor(rnd() * 4294967296).toString(16).padStart(8, '0');
    return s.slice(0, n);
  };
  const uuid = () => {
    const h = hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
  };
  const visitors = [];
  const customers = [];
  const links = new Map();
  let made = 0;
  // Sessions average about 10 events: they start so that `total` events span 90 days.
  const sessionGap = SPAN_MS / (total / 10);
  let nextStart = start;
  // Open sessions; the one whose next event is due first sends next.
  const open = [];

  function newVisitor(customer) {
    const v = { anonymousId: uuid(), device: pick(DEVICES), userId: undefined, cart: [], customer };
    visitors.push(v);
    return v;
  }

  function newSession() {
    let visitor;
    const r = rnd();
    if (visitors.length > 0 && r < 0.4) visitor = visitors[Math.floor(rnd() * visitors.length)];
    else if (customers.length > 0 && r < 0.43) visitor = newVisitor(pick(customers)); // a customer's other device
    else visitor = newVisitor(undefined);
    let w = rnd() * ENTRY_WEIGHT;
    let entry = ENTRIES[0];
    for (const e of ENTRIES) if ((w -= e.weight) < 0) { entry = e; break; }
    const session = { visitor, entry, id: uuid(), t: nextStart, left: 1 + Math.floor(rnd() * 19), first: true, page: '/', stage: 0 };
    nextStart += rnd() * 2 * sessionGap;
    return session;
  }

  function context(s, path, title, landing) {
    let search = '';
    let campaign;
    if (landing && s.entry.utm) {
      const u = s.entry.utm;
      search = `?utm_source=${u.source}&utm_medium=${u.medium}&utm_campaign=${u.name}`;
      campaign = { ...u };
    } else if (landing && s.entry.gclid) search = `?gclid=${hex(16)}`;
    const referrer = landing ? (s.entry.referrer ?? '') : HOST + s.page;
    const page = { url: HOST + path + search, path, referrer, title, search };
    const c = { page, locale: 'de-DE', screen: { width: 1512, height: 982, density: 2 } };
    if (campaign) c.campaign = campaign;
    return { ...c, sessionId: s.id, channel: 'web', library: { name: 'spur', version: '0.1.0' }, ip: '203.0.0.0', ...s.visitor.device };
  }

  function stored(s, body, path, title) {
    const iso = new Date(s.t).toISOString();
    const e = { messageId: uuid(), ...body, anonymousId: s.visitor.anonymousId, timestamp: iso, originalTimestamp: iso, receivedAt: iso, sentAt: iso };
    if (s.visitor.userId) e.userId = s.visitor.userId;
    e.context = context(s, path, title, s.first);
    s.first = false;
    s.page = path;
    made++;
    return e;
  }

  function identify(s) {
    const v = s.visitor;
    const customer = v.customer ?? { userId: `cus_${hex(12)}`, email: `${hex(8)}@example.com` };
    if (!v.customer) {
      v.customer = customer;
      customers.push(customer);
    }
    v.userId = customer.userId;
    const key = `${v.anonymousId}\u0001${customer.userId}`;
    if (!links.has(key)) links.set(key, { anonymousId: v.anonymousId, userId: customer.userId, firstSeen: new Date(s.t).toISOString() });
    return stored(s, { type: 'identify', traits: { email: customer.email, first_name: 'Ada' } }, s.page, 'Login');
  }

  const line = (p, quantity) => (p.category === 'tops' || p.category === 'shoes' ? { ...p, variant: pick(SIZES), quantity } : { ...p, quantity });
  const cartValue = (cart) => Math.round(cart.reduce((sum, l) => sum + l.price * l.quantity, 0) * 100) / 100;

  // The next event of a session: a small state machine of browsing, cart, checkout.
  function step(s) {
    if (!s.first) s.t += 5000 + Math.floor(rnd() * 90000);
    const v = s.visitor;
    if (s.first) {
      const path = rnd() < 0.5 ? '/' : `/c/${pick(CATEGORIES)}`;
      return [stored(s, { type: 'page', name: 'Landing', properties: { path, title: 'Shop' } }, path, 'Shop')];
    }
    if (s.stage === 2) {
      s.stage = 0;
      const out = [];
      // Guests log in at checkout about half of the time.
      if (!v.userId && rnd() < 0.5) out.push(identify(s));
      if (rnd() < 0.6 && v.cart.length) {
        const products = v.cart.map((l) => ({ ...l }));
        const total = cartValue(v.cart);
        s.t += 1000;
        out.push(
          stored(s, { type: 'track', event: 'Order Completed', properties: { order_id: `o-${hex(10)}`, total, revenue: total, currency: 'EUR', products } }, '/checkout/done', 'Thank you'),
        );
        v.cart = [];
      }
      if (out.length) return out;
    }
    const r = rnd();
    const p = pick(PRODUCTS);
    const path = `/products/${p.product_id}`;
    if (r < 0.3) return [stored(s, { type: 'page', name: p.name, properties: { path, title: p.name } }, path, p.name)];
    if (r < 0.38) {
      const category = pick(CATEGORIES);
      return [stored(s, { type: 'track', event: 'Product List Viewed', properties: { list_id: category, category } }, `/c/${category}`, category)];
    }
    if (r < 0.7) return [stored(s, { type: 'track', event: 'Product Viewed', properties: { ...p } }, path, p.name)];
    if (r < 0.84) {
      const l = line(p, 1 + Math.floor(rnd() * 2));
      const same = v.cart.find((x) => x.product_id === l.product_id && x.variant === l.variant);
      if (same) same.quantity += l.quantity;
      else v.cart.push(l);
      return [stored(s, { type: 'track', event: 'Product Added', properties: { ...l } }, path, p.name)];
    }
    if (r < 0.87 && v.cart.length) {
      const l = v.cart.splice(Math.floor(rnd() * v.cart.length), 1)[0];
      return [stored(s, { type: 'track', event: 'Product Removed', properties: { ...l } }, '/cart', 'Cart')];
    }
    if (r < 0.92) return [stored(s, { type: 'track', event: 'Cart Viewed', properties: { products: v.cart.map((l) => ({ ...l })) } }, '/cart', 'Cart')];
    if (r < 0.96 && v.cart.length) {
      s.stage = 2;
      return [stored(s, { type: 'track', event: 'Checkout Started', properties: { value: cartValue(v.cart), currency: 'EUR', products: v.cart.map((l) => ({ ...l })) } }, '/checkout', 'Checkout')];
    }
    // A returning customer logs in from the account page now and then.
    if (r < 0.97 && !v.userId && v.customer) return [identify(s)];
    return [stored(s, { type: 'page', name: 'Search', properties: { path: '/search', title: 'Search' } }, '/search', 'Search')];
  }

  return {
    /** The next SDK batch: 1-5 events of one of the open sessions. */
    next() {
      let i = -1;
      for (let k = 0; k < open.length; k++) if (i < 0 || open[k].t < open[i].t) i = k;
      if (i < 0 || nextStart <= open[i].t) {
        open.push(newSession());
        i = open.length - 1;
      }
      const s = open[i];
      const batch = [];
      const n = 1 + Math.floor(rnd() * 5);
      for (let k = 0; k < n && s.left > 0; k++) {
        for (const e of step(s)) batch.push(e);
        s.left--;
      }
      if (s.left <= 0) open.splice(i, 1);
      return batch;
    },
    get made() {
      return made;
    },
    /** Links and aliases as storage would hold them for the events made so far. */
    graph() {
      return { links: [...links.values()].sort((a, b) => (a.anonymousId < b.anonymousId ? -1 : a.anonymousId > b.anonymousId ? 1 : 0)), aliases: [] };
    },
    get customers() {
      return customers.length;
    },
    get visitors() {
      return visitors.length;
    },
  };
}

/** Batches of about `size` stored events (whole SDK batches), `total` in all. */
function* shopBatches(total, { seed = 21, size = 5000, shop = createShop({ seed, total }) } = {}) {
  let batch = [];
  while (shop.made < total) {
    for (const e of shop.next()) batch.push(e);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

/**
 * Appends `total` events of the shop to `storage` (a Store or a backend) in batches, the same ones
 * on every run, and logs `label: N events, S s` every `every` events; resolves to the count.
 */
async function appendShop(storage, total, { log, label, every = 500_000 }) {
  const began = Date.now();
  let n = 0;
  for (const events of shopBatches(total)) {
    await storage.append({ writeKey: 'bench', events, rejected: [] });
    n += events.length;
    if (n % every < events.length) log(`${label}: ${num(n)} events, ${Math.round((Date.now() - began) / 1000)} s`);
  }
  return n;
}

module.exports = { createShop, shopBatches, appendShop };
