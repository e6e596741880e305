// Shared scenario of the privacy tests: two customers who share nothing, one anonymous visitor,
// and a rejected event, sent through the ingest API as a shop would.
import request from 'supertest';
import type { Express } from 'express';
import { ADMIN_TOKEN, NOW, WRITE_KEY, basic, bearer } from '../helpers';

const MIN = 60_000;
/** Event times relative to the collector's clock (NOW), in minutes. */
export const at = (minutes: number) => new Date(NOW + minutes * MIN).toISOString();

let n = 0;
export function ev(type: string, fields: Record<string, unknown>, minutes: number): Record<string, unknown> {
  n += 1;
  return { type, messageId: `pm-${n}-${Math.random().toString(36).slice(2)}`, timestamp: at(minutes), ...fields };
}

export const MUG = { product_id: 'mug', name: 'Enamel mug', price: 12.5, currency: 'EUR' };

/**
 * C: a phone (P) adds a mug at -300 and leaves (abandoned at -269); C logs in on a laptop (L) at
 * -200 and on the phone at -100. D: another customer on device Q. V: a visitor who never logs in.
 */
export function scenario() {
  return [
    ev('track', { anonymousId: 'P', event: 'Product Viewed', properties: MUG }, -301),
    ev('track', { anonymousId: 'P', event: 'Product Added', properties: { ...MUG, quantity: 2 } }, -299),
    ev('identify', { anonymousId: 'L', userId: 'C', traits: { email: 'c@example.com' } }, -200),
    ev('track', { anonymousId: 'L', userId: 'C', event: 'Product Viewed', properties: MUG }, -199),
    ev('identify', { anonymousId: 'P', userId: 'C', traits: { name: 'Cee' } }, -100),
    ev('identify', { anonymousId: 'Q', userId: 'D', traits: { email: 'd@example.com' } }, -150),
    ev('track', { anonymousId: 'Q', userId: 'D', event: 'Product Added', properties: { ...MUG, quantity: 1 } }, -149),
    ev('track', { anonymousId: 'Q', userId: 'D', event: 'Order Completed', properties: { order_id: 'o-d', total: 12.5 } }, -148),
    ev('track', { anonymousId: 'V', event: 'Product Viewed', properties: MUG }, -50),
  ];
}

/** Sends a batch; returns the ingest answer. */
export async function send(app: Express, batch: Record<string, unknown>[]) {
  const res = await request(app).post('/v1/batch').set('Authorization', basic(WRITE_KEY)).send({ batch });
  expect(res.status).toBe(200);
  return res.body as { accepted: number; duplicates: number; rejected: unknown[]; suppressed?: number };
}

export const admin = (app: Express, method: 'get' | 'delete', path: string) =>
  request(app)[method](path).set('Authorization', bearer(ADMIN_TOKEN));
