// The demo shop's orders from outside the web: taken by phone, in the store, by fax and on a
// marketplace, as the shop's ERP would export them, one CSV row per line item with the columns of
// `spur import orders`. Some are by customers the generated history knows (their email as their
// identify traits carry it, in the ERP's own spelling now and then), some by people the site
// never saw, some with only a phone number or no contact at all (a cash sale in the store). The
// demo writes the file next to its database and imports it through the collector's order import
// (POST /v1/import/orders, what `spur import orders --collector` sends), so the dashboard's
// channel breakdown shows the channels. Seeded: the same seed gives the same orders relative to `now`.
const fs = require('node:fs');
const path = require('node:path');
const { random } = require('./history');

const PRODUCTS = JSON.parse(fs.readFileSync(path.join(__dirname, 'public', 'products.json'), 'utf8'));
const COLUMNS = ['order_id', 'customer_id', 'email', 'phone', 'date', 'channel', 'sku', 'name', 'quantity', 'price', 'currency'];
const CHANNELS = [
  { weight: 5, name: 'phone', prefix: 'PH' },
  { weight: 4, name: 'store', prefix: 'ST' },
  { weight: 3, name: 'marketplace', prefix: 'MP' },
  { weight: 1, name: 'fax', prefix: 'FX' },
];

/** One CSV cell (RFC 4180): quoted when it holds a comma, a quote or a line break. */
const cell = (value) => {
  const text = value === undefined || value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/**
 * The CSV of `count` offline orders over the `days` days before `now` (none in the last hour).
 * `emails`: the web customers' emails (from the history's identify traits); about a third of the
 * orders are theirs.
 * @param {{ emails: string[], now?: number, days?: number, count?: number, seed?: number }} options
 * @returns {{ csv: string, orders: number, rows: number, known: number }}
 */
function offlineOrdersCsv({ emails, now = Date.now(), days = 45, count = 120, seed = 17 }) {
  const rnd = random(seed);
  const pick = (list) => list[Math.floor(rnd() * list.length)];
  const weighted = (list) => {
    let r = rnd() * list.reduce((sum, x) => sum + x.weight, 0);
    return list.find((x) => (r -= x.weight) < 0) ?? list[0];
  };
  const lines = [COLUMNS.join(',')];
  let known = 0;
  for (let n = 0; n < count; n++) {
    const channel = weighted(CHANNELS);
    const contact = { email: '', phone: '' };
    const who = rnd();
    if (who < 0.35 && emails.length) {
      // A web customer: the ERP writes the address as the clerk typed it; the import trims and
      // lower-cases before it compares.
      const email = pick(emails);
      contact.email = rnd() < 0.3 ? ` ${email.toUpperCase()}` : email;
      known++;
    } else if (who < 0.75) {
      // New customers, a few of whom order twice: one customer of their own each.
      contact.email = `${channel.name}-customer-${Math.floor(rnd() * 40)}@example.test`;
    } else if (who < 0.9 && channel.name !== 'store') {
      contact.phone = `+49 30 ${5_550_100 + Math.floor(rnd() * 40)}`;
    }
    // A cash sale in the store or an order without contact: counted as a customer of its own.
    const at = now - 3_600_000 - Math.floor(Math.pow(rnd(), 0.8) * days * 86_400_000);
    const date = new Date(Math.floor(at / 60_000) * 60_000).toISOString();
    const orderId = `${channel.prefix}-${String(10_001 + n)}`;
    const items = [...PRODUCTS].sort(() => rnd() - 0.5).slice(0, 1 + Math.floor(rnd() * 3));
    for (const product of items) {
      const quantity = 1 + Math.floor(rnd() * 3);
      const row = { order_id: orderId, ...contact, date, channel: channel.name, sku: product.sku, name: product.name, quantity, price: product.price.toFixed(2), currency: product.currency };
      lines.push(COLUMNS.map((column) => cell(row[column])).join(','));
    }
  }
  return { csv: `${lines.join('\n')}\n`, orders: count, rows: lines.length - 1, known };
}

/** The emails of the history's identified customers, in the order they first identify. */
function historyEmails(events) {
  const emails = new Set();
  for (const event of events) if (event.type === 'identify' && event.traits?.email) emails.add(event.traits.email);
  return [...emails];
}

/**
 * Imports the CSV `file` through a running collector's order import (POST /v1/import/orders with
 * the admin token); resolves with the import's summary (bad rows included: the good orders are
 * imported all the same), rejects with the collector's answer when it refused the file.
 * @param {{ collectorUrl: string, adminToken: string, file: string }} options
 */
async function importOfflineOrders({ collectorUrl, adminToken, file }) {
  const res = await fetch(`${collectorUrl}/v1/import/orders`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'text/csv' },
    body: fs.readFileSync(file),
  });
  const answer = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`the collector refused the offline orders of ${file}: ${res.status} ${answer.error?.message ?? ''}`);
  return answer;
}

module.exports = { offlineOrdersCsv, historyEmails, importOfflineOrders };
