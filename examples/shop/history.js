// Generated shop history, sent through the collector's ordinary ingest (POST /v1/batch with a
// write key, as a shop's backend would send): the demo's first dashboard has weeks of figures to
// show, and the dashboard's tests have known data to compare against the export API. Visitors come
// on days spread over the period, from search, social, e-mail or directly, on desktops and phones;
// they look at the demo shop's products, some add them to a cart, some check out, some order, some
// leave a cart and come back days later to order it. Regular customers come back every week or two
// to order a few of their favourite products again, until some of them stop coming: repeat buyers
// for the segments and the purchase prediction, products bought together. Some visitors who leave
// a full cart are shown the exit survey and answer why (a few in words of their own) or dismiss
// it, so the Carts view shows reasons. Seeded: the same seed gives the same history relative to `now`.
const fs = require('node:fs');
const path = require('node:path');

const PRODUCTS = JSON.parse(fs.readFileSync(path.join(__dirname, 'public', 'products.json'), 'utf8')).map(({ product_id, sku, name, category, price, currency }) => ({
  product_id,
  sku,
  name,
  category,
  price,
  currency,
}));

const DESKTOP = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';
const PHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
const ORIGINS = [
  { weight: 4, query: '' },
  { weight: 3, query: '?utm_source=google&utm_medium=cpc&utm_campaign=coffee', referrer: 'https://www.google.com/' },
  { weight: 2, query: '?utm_source=instagram&utm_medium=social', referrer: 'https://l.instagram.com/' },
  { weight: 1, query: '?utm_source=newsletter&utm_medium=email&utm_campaign=spring' },
];

// The exit survey as the shop's pages configure it (data-survey; values as the SDK sends them), with
// how often each answer is given, and the free texts some visitors write.
const SURVEY = { id: 'exit-cart', question: 'What stopped you today?' };
const ANSWERS = [
  { weight: 5, value: 'shipping_costs' },
  { weight: 4, value: 'just_browsing' },
  { weight: 3, value: 'cheaper_elsewhere' },
  { weight: 2, value: 'delivery_time' },
  { weight: 1, value: 'payment_options' },
];
const TEXTS = ['Shipping to Austria costs as much as the beans', 'I will ask my partner first', 'No PayPal?', 'Found it cheaper at the market'];

/** A small seeded random number generator (mulberry32): the same seed, the same history. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The events of `visitors` visitors over the `days` days before `now` (none in the last hour, so
 * that every cart left has been abandoned), in time order.
 * @param {{ now?: number, days?: number, visitors?: number, seed?: number, shopUrl?: string }} [options]
 */
function generateHistory({ now = Date.now(), days = 45, visitors = 400, seed = 16, shopUrl = 'http://localhost:3000' } = {}) {
  const rnd = random(seed);
  // The survey draws from a generator of its own: the rest of the history stays what it was.
  const srnd = random(seed + 7919);
  const pick = (list) => list[Math.floor(rnd() * list.length)];
  const weighted = (list) => {
    let r = rnd() * list.reduce((s, x) => s + x.weight, 0);
    return list.find((x) => (r -= x.weight) < 0) ?? list[0];
  };
  const events = [];
  let n = 0;
  let surveys = 0;
  for (let v = 0; v < visitors; v++) {
    const anonymousId = `hist-${seed}-${v}`;
    const userAgent = rnd() < 0.45 ? PHONE : DESKTOP;
    const customer = rnd() < 0.35 ? `customer-${seed}-${v}` : undefined;
    // Visits lean to the recent days: a shop that grows.
    let t = now - 3_600_000 - Math.floor(Math.pow(rnd(), 0.8) * days * 86_400_000);
    const visits = rnd() < 0.25 ? 2 : 1;
    let cart = null;
    for (let visit = 0; visit < visits && t < now - 3_600_000; visit++) {
      const origin = weighted(ORIGINS);
      const sessionId = `${anonymousId}-s${visit}`;
      const context = (pagePath, extra = {}) => ({
        sessionId,
        userAgent,
        page: { path: pagePath, url: `${shopUrl}${pagePath}${visit === 0 && pagePath === '/' ? origin.query : ''}`, ...(origin.referrer && { referrer: origin.referrer }) },
        ...extra,
      });
      const push = (event) => {
        t += 15_000 + Math.floor(rnd() * 90_000);
        events.push({ messageId: `hist-${seed}-${n++}`, anonymousId, ...(customer && visit > 0 && { userId: customer }), timestamp: new Date(t).toISOString(), ...event });
      };
      // Leaving with a full cart: the survey, shown to about two in three such visitors, answered by
      // about half of them, a few seconds after the last event (t itself is left as it is).
      const leave = (pagePath) => {
        if (srnd() >= 0.65) return;
        const value = Math.round(cart.price * cart.quantity * 100) / 100;
        const about = { survey_id: SURVEY.id, question: SURVEY.question, cart_id: `cart-${anonymousId}`, cart_value: value, currency: 'EUR', items: 1 };
        const at = (ms) => ({ messageId: `hist-${seed}-survey-${surveys++}`, anonymousId, ...(customer && visit > 0 && { userId: customer }), timestamp: new Date(t + ms).toISOString(), context: context(pagePath) });
        events.push({ ...at(2_000), type: 'track', event: 'Survey Shown', properties: about });
        if (srnd() < 0.5) {
          events.push({ ...at(9_000), type: 'track', event: 'Survey Dismissed', properties: about });
          return;
        }
        let r = srnd() * ANSWERS.reduce((sum, a) => sum + a.weight, 0);
        const answer = (ANSWERS.find((a) => (r -= a.weight) < 0) ?? ANSWERS[0]).value;
        const text = srnd() < 0.15 ? { text: TEXTS[Math.floor(srnd() * TEXTS.length)] } : {};
        events.push({ ...at(9_000), type: 'track', event: 'Survey Answered', properties: { ...about, answer, ...text } });
      };
      push({ type: 'page', name: 'Home', properties: { path: '/' }, context: context('/') });
      const looks = 1 + Math.floor(rnd() * 3);
      for (let i = 0; i < looks; i++) {
        const product = pick(PRODUCTS);
        push({ type: 'page', name: 'Product', properties: { path: '/product.html' }, context: context('/product.html') });
        push({ type: 'track', event: 'Product Viewed', properties: product, context: context('/product.html') });
        if (!cart && rnd() < 0.45) {
          cart = { ...product, quantity: 1 + Math.floor(rnd() * 2) };
          push({ type: 'track', event: 'Product Added', properties: cart, context: context('/product.html') });
        }
      }
      if (!cart) break;
      // Back another day for the cart left on the first visit, or on to the checkout now.
      if (visit === 0 && visits === 2 && rnd() < 0.6) {
        leave('/product.html');
        t += 86_400_000 * (1 + Math.floor(rnd() * 4));
        continue;
      }
      if (rnd() < 0.3) {
        leave('/product.html');
        break;
      }
      push({ type: 'page', name: 'Cart', properties: { path: '/cart.html' }, context: context('/cart.html') });
      push({ type: 'track', event: 'Checkout Started', properties: { value: cart.price * cart.quantity, currency: 'EUR', products: [cart] }, context: context('/checkout.html') });
      if (customer) push({ type: 'identify', userId: customer, traits: { email: `${customer}@example.test` }, context: context('/checkout.html') });
      if (rnd() < 0.55) {
        const total = Math.round(cart.price * cart.quantity * 100) / 100;
        push({ type: 'track', event: 'Order Completed', properties: { order_id: `order-${seed}-${v}`, total, revenue: total, currency: 'EUR', products: [cart] }, context: context('/confirmation.html') });
        cart = null;
      } else leave('/checkout.html');
      break;
    }
  }
  events.push(...regularOrders({ now, days, count: Math.round(visitors * 0.08), seed, shopUrl, rnd }));
  return events.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
}

/**
 * The visits of `count` regular customers: each has two or three favourite products, comes back
 * about every 5 to 17 days (its own pace) and orders one to three of them, identified from the
 * first visit on; after each order one in eight stops coming.
 */
function regularOrders({ now, days, count, seed, shopUrl, rnd }) {
  const events = [];
  const end = now - 3_600_000;
  for (let v = 0; v < count; v++) {
    const anonymousId = `hist-${seed}-r${v}`;
    const customer = `regular-${seed}-${v}`;
    const userAgent = rnd() < 0.45 ? PHONE : DESKTOP;
    const favourites = [...PRODUCTS].sort(() => rnd() - 0.5).slice(0, 2 + Math.floor(rnd() * 2));
    const pace = (5 + rnd() * 12) * 86_400_000;
    let t = now - days * 86_400_000 + Math.floor(rnd() * pace);
    for (let visit = 0; t < end; visit++) {
      const sessionId = `${anonymousId}-s${visit}`;
      let n = 0;
      const push = (pagePath, event) => {
        t += 15_000 + Math.floor(rnd() * 60_000);
        const context = { sessionId, userAgent, page: { path: pagePath, url: `${shopUrl}${pagePath}` } };
        events.push({ messageId: `hist-${seed}-r${v}-${visit}-${n++}`, anonymousId, userId: customer, timestamp: new Date(t).toISOString(), context, ...event });
      };
      push('/', { type: 'page', name: 'Home', properties: { path: '/' } });
      if (visit === 0) push('/', { type: 'identify', traits: { email: `${customer}@example.test` } });
      const basket = favourites.filter((_, i) => i === 0 || rnd() < 0.5).map((product) => ({ ...product, quantity: 1 + Math.floor(rnd() * 2) }));
      for (const item of basket) {
        push('/product.html', { type: 'page', name: 'Product', properties: { path: '/product.html' } });
        push('/product.html', { type: 'track', event: 'Product Viewed', properties: { ...item, quantity: undefined } });
        push('/product.html', { type: 'track', event: 'Product Added', properties: item });
      }
      const total = Math.round(basket.reduce((sum, x) => sum + x.price * x.quantity, 0) * 100) / 100;
      push('/checkout.html', { type: 'track', event: 'Checkout Started', properties: { value: total, currency: 'EUR', products: basket } });
      push('/confirmation.html', { type: 'track', event: 'Order Completed', properties: { order_id: `order-${seed}-r${v}-${visit}`, total, revenue: total, currency: 'EUR', products: basket } });
      if (rnd() < 0.125) break;
      t += Math.floor(pace * (0.5 + rnd()));
    }
  }
  return events.filter((e) => Date.parse(e.timestamp) < end);
}

/**
 * Sends `events` to a collector's /v1/batch with `writeKey`, in batches of 500; resolves with how
 * many were stored and how many the collector had already (a second run stores nothing new).
 * @param {{ collectorUrl: string, writeKey: string, events: object[] }} options
 */
async function sendHistory({ collectorUrl, writeKey, events }) {
  let accepted = 0;
  let duplicates = 0;
  for (let i = 0; i < events.length; i += 500) {
    let res;
    // Past the collector's event rate limit (SPUR_EVENT_RATE_LIMIT), wait as it says and resend:
    // what a well-behaved client does; the resent events' messageIds make them count once.
    for (let attempt = 0; ; attempt++) {
      res = await fetch(`${collectorUrl}/v1/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` },
        body: JSON.stringify({ batch: events.slice(i, i + 500), sentAt: new Date().toISOString() }),
      });
      if (res.status !== 429 || attempt === 20) break;
      await res.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, Number(res.headers.get('retry-after') ?? 1) * 1000));
    }
    const answer = await res.json();
    if (!res.ok || answer.rejected?.length) throw new Error(`the collector refused the history: ${res.status} ${JSON.stringify(answer.error ?? answer.rejected?.[0])}`);
    accepted += answer.accepted;
    duplicates += answer.duplicates;
  }
  return { accepted, duplicates };
}

module.exports = { generateHistory, sendHistory, random };
