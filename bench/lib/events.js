// Realistic ingest bodies, shaped like what spur's SDK sends (packages/sdk/src/track.ts):
// Segment events with context.page, userAgent, locale, screen, timezone, sessionId, channel and
// library, and Ecommerce v2 properties. Each body gets fresh messageIds, cheaply: the JSON is
// prebuilt around the ids, so the load generator spends its CPU on sending, not on building.
'use strict';
const { randomUUID } = require('node:crypto');

const UA =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const PRODUCTS = [
  { product_id: 'p-1007', name: 'Cotton tee', category: 'Tops', price: 24.9, currency: 'EUR' },
  { product_id: 'p-2043', name: 'Enamel mug', category: 'Kitchen', price: 14.5, currency: 'EUR' },
  { product_id: 'p-3311', name: 'Tote bag', category: 'Bags', price: 19, currency: 'EUR' },
];

function context(visitor, path, title) {
  return {
    page: { url: `https://shop.example${path}`, path, title },
    userAgent: UA,
    locale: 'de-DE',
    screen: { width: 1512, height: 982 },
    timezone: 'Europe/Berlin',
    sessionId: visitor.sessionId,
    channel: 'web',
    library: { name: 'spur', version: '0.1.0' },
  };
}

/** The i-th event of a visit, without its messageId (spliced in per body). */
function event(visitor, i, timestamp) {
  const p = PRODUCTS[i % PRODUCTS.length];
  const path = `/products/${p.product_id}`;
  const base = { anonymousId: visitor.anonymousId, timestamp, context: context(visitor, path, p.name) };
  if (i % 4 === 0) {
    return { type: 'page', ...base, properties: { path, title: base.context.page.title } };
  }
  return { type: 'track', event: i % 4 === 3 ? 'Product Added' : 'Product Viewed', ...base, properties: { ...p, quantity: 1 } };
}

/**
 * Makes `next()` -> a `/v1/batch` body (string) of `size` events with never-repeating messageIds
 * (a per-generator UUID prefix and a counter). Visitors rotate every body.
 */
function batchFactory(size = 20, visitors = 50) {
  const prefix = randomUUID();
  const now = new Date().toISOString();
  // Per visitor: the events as JSON text split where the messageId goes.
  const templates = Array.from({ length: visitors }, () => {
    const visitor = { anonymousId: randomUUID(), sessionId: randomUUID() };
    return Array.from({ length: size }, (_, i) => {
      const json = JSON.stringify({ messageId: '@ID@', ...event(visitor, i, now) });
      const [head, tail] = json.split('@ID@');
      return [head, tail];
    });
  });
  let counter = 0;
  let turn = 0;
  return {
    next() {
      const parts = templates[turn++ % visitors];
      let body = '{"batch":[';
      for (let i = 0; i < parts.length; i++) {
        body += (i ? ',' : '') + parts[i][0] + prefix + '-' + counter++ + parts[i][1];
      }
      return body + '],"sentAt":"' + now + '"}';
    },
    /** How many events next() has produced. */
    get made() {
      return counter;
    },
  };
}

module.exports = { batchFactory, event, UA };
