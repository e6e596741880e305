// One customer's whole history (issue 15, point 5): every stored event of the stitched profile,
// all its anonymous ids and customer ids after aliases, across devices and channels, in time order,
// with a summary on top (statistics, RFM segment; the prediction once the model is there). Who the
// customer is and which stored events are theirs comes from the storage contract's data subject
// reads (rules/subjects.ts: what an access request shows), so it is the same on every backend;
// bodies are read a page at a time and written in chunks, so a customer with 100,000 events is
// never one string.
//
// Bots and filters (README, filters): an event of device type bot is left out unless includeBots;
// from/to, device, channel and utmSource keep the events in range and on it: the device type,
// channel and UTM source of the event's session (context.sessionId) as the engine has them, else
// (an event without a client session) its own device type, its sales channel or the marketing
// channel of its own page and campaign, and its own UTM source. The summary stays the customer's
// whole (as the customers export's figures). Deciding needs each event's body, so the kept events
// are found in a first pass (only their row numbers are held) and written in a second.
//
// Formats: JSON `{ customerId, asOf, summary, customerIds, anonymousIds, eventCount, events }`;
// NDJSON a first line `{ customerId, asOf, summary, customerIds, anonymousIds, eventCount }`, then
// one stored event per line; CSV the summary (the customers export's columns, one row), an empty
// line, then one row per event (time, type, event, channel, device, ids, page, product, order,
// properties as JSON).
import { channelOf, csvLine, hostOf, NONE, salesChannel, type Analytics, type CsvColumn, type CustomerDetail, type CustomerRow, type RowFilter } from './analytics';
import { parseUserAgent } from './useragent';
import { notFound } from './errors';
import { customersCsv } from './customer-exports';
import type { ExportFormat } from './export-params';
import { createStore } from './rules/store';
import type { DataSubject, SubjectEventKey } from './rules/subjects';
import type { Storage } from './storage/types';
import type { JsonObject, StoredEvent } from '@spur/sdk';

/** Event bodies read per storage call. */
const PAGE = 1000;
const CHUNK = 65536;

export interface HistoryOptions {
  analytics: Analytics;
  asOf: number;
  format: ExportFormat;
  includeBots?: boolean;
  from?: number;
  to?: number;
  /** device, channel, utmSource (a segment filter does not apply to one customer). */
  filter?: RowFilter;
  /** A UTF-8 byte order mark before CSV. */
  bom?: boolean;
}

type Sessions = CustomerDetail['sessions'];

/** The device type, channel and UTM source of a stored event, as the history's filters read them. */
function eventAttributes(e: StoredEvent, sessions: Sessions): { device: string; channel: string; utmSource: string } {
  const context = object(e.context);
  const own = text(object(context.device).type);
  const userAgent = typeof context.userAgent === 'string' ? context.userAgent : undefined;
  const device = own !== null ? String(own) : userAgent ? parseUserAgent(userAgent).device.type : 'unknown';
  const named = salesChannel(context.channel);
  const session = sessions.get(String(text(context.sessionId)));
  if (session) return { device: session.device, channel: named ?? session.channel, utmSource: session.utmSource };
  const campaign = object(context.campaign);
  const page = object(context.page);
  const source = typeof campaign.source === 'string' && campaign.source ? campaign.source : null;
  const medium = typeof campaign.medium === 'string' && campaign.medium ? campaign.medium : null;
  const origin = { pageHost: hostOf(String(page.url ?? '')), referrerHost: hostOf(String(page.referrer ?? '')), source, medium, campaign: null, salesChannel: named };
  return { device, channel: channelOf(origin), utmSource: source ?? NONE };
}

/** Whether a stored event stays in the history: no bot's unless asked, in range, on the filter. */
function keeps(e: StoredEvent, sessions: Sessions, options: HistoryOptions): boolean {
  const t = Date.parse(e.timestamp);
  if (t < (options.from ?? -Infinity) || t >= (options.to ?? Infinity)) return false;
  const { device, channel, utmSource } = eventAttributes(e, sessions);
  if (device === 'bot' && !options.includeBots) return false;
  const f = options.filter ?? {};
  return (!f.device || f.device.includes(device)) && (!f.channel || f.channel.includes(channel)) && (!f.utmSource || f.utmSource.includes(utmSource));
}

export interface History {
  customerId: string;
  chunks: AsyncIterable<string>;
}

// The subject the id names: a customer id, a guest's anonymous id, or an anonymous id that
// identified (its current customer's history). 404 for anything else.
async function subjectOf(storage: ReturnType<typeof createStore>, id: string): Promise<DataSubject> {
  let found = await storage.findSubject(id);
  if (found.status === 'linked') {
    const owner = (await storage.getProfile(id))?.customerId;
    if (owner) found = await storage.findSubject(owner);
  }
  if (found.status !== 'found') throw notFound(`no customer ${JSON.stringify(id)}: nothing is stored about it`);
  return found.subject;
}

const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? v : null);
const object = (v: unknown): JsonObject => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject) : {});

/** The columns of an event row in the CSV history. */
function eventColumns(sessions: Sessions): CsvColumn<StoredEvent>[] {
  const context = (e: StoredEvent) => object(e.context);
  const props = (e: StoredEvent) => object(e.properties);
  return [
    'timestamp',
    'type',
    { header: 'event', value: (e) => e.event ?? e.name ?? null },
    // A sales channel the event names, else the channel of its session (sessions.ts).
    { header: 'channel', value: (e) => salesChannel(context(e).channel) ?? sessions.get(String(text(context(e).sessionId)))?.channel ?? null },
    { header: 'device', value: (e) => text(object(context(e).device).type) },
    'anonymousId',
    'userId',
    { header: 'sessionId', value: (e) => text(context(e).sessionId) },
    { header: 'path', value: (e) => text(object(context(e).page).path) ?? text(props(e).path) },
    { header: 'url', value: (e) => text(object(context(e).page).url) ?? text(props(e).url) },
    { header: 'productId', value: (e) => text(props(e).product_id) },
    { header: 'orderId', value: (e) => text(props(e).order_id) },
    { header: 'revenue', value: (e) => text(props(e).revenue) },
    { header: 'total', value: (e) => text(props(e).total) },
    { header: 'currency', value: (e) => text(props(e).currency) },
    'messageId',
    { header: 'properties', value: (e) => (e.properties ? JSON.stringify(e.properties) : null) },
  ];
}

/**
 * The history of the customer `id` names (a customer id, any of its anonymous ids, or a guest's
 * anonymous id), as of `asOf`: events after it are left out. Throws a 404 HttpError before any
 * output for an id nothing is stored about.
 */
export async function customerHistory(backend: Storage, id: string, options: HistoryOptions): Promise<History> {
  const storage = createStore(backend);
  const subject = await subjectOf(storage, id);
  const customerId = subject.customerId ?? subject.requestedId;
  const asOf = options.asOf;
  const detail = options.analytics.customer(customerId, subject, { asOf, includeBots: options.includeBots });
  const all = (await storage.subjectEvents(subject)).filter((k) => Date.parse(k.timestamp) <= asOf);
  if (all.length === 0 && !detail) throw notFound(`no customer ${JSON.stringify(id)} by ${new Date(asOf).toISOString()}`);
  const sessions: Sessions = detail?.sessions ?? new Map();
  const keys: SubjectEventKey[] = [];
  for (let i = 0; i < all.length; i += PAGE) {
    const page = all.slice(i, i + PAGE);
    const bodies = await storage.eventsBySeq(page.map((k) => k.seq));
    const kept = new Set(bodies.filter((row) => keeps(JSON.parse(row.body) as StoredEvent, sessions, options)).map((row) => row.seq));
    for (const k of page) if (kept.has(k.seq)) keys.push(k);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const summary: CustomerRow | null = detail?.row ?? null;
  const head = {
    customerId,
    asOf: new Date(asOf).toISOString(),
    summary,
    customerIds: subject.customerIds,
    anonymousIds: subject.anonymousIds,
    eventCount: keys.length,
  };
  return { customerId, chunks: write(storage, keys, head, options.format, sessions, options.bom ?? false) };
}

async function* write(
  storage: ReturnType<typeof createStore>,
  keys: SubjectEventKey[],
  head: { summary: CustomerRow | null } & Record<string, unknown>,
  format: ExportFormat,
  sessions: Sessions,
  bom: boolean,
): AsyncGenerator<string> {
  let out: string;
  let separator = '';
  let line: (body: string) => string;
  if (format === 'csv') {
    out = (bom ? '\uFEFF' : '') + (head.summary ? [...customersCsv([head.summary])].join('') : '');
    const columns = eventColumns(sessions);
    const getters = columns.map((c) => (typeof c === 'string' ? (e: StoredEvent) => e[c] : c.value));
    out += '\r\n' + csvLine(columns.map((c) => (typeof c === 'string' ? c : c.header)));
    line = (body) => {
      const event = JSON.parse(body) as StoredEvent;
      return csvLine(getters.map((get) => get(event)));
    };
  } else if (format === 'ndjson') {
    out = JSON.stringify(head) + '\n';
    line = (body) => body + '\n';
  } else {
    out = JSON.stringify(head).slice(0, -1) + ',"events":[';
    line = (body) => {
      const piece = separator + '\n' + body;
      separator = ',';
      return piece;
    };
  }
  for (let i = 0; i < keys.length; i += PAGE) {
    for (const row of await storage.eventsBySeq(keys.slice(i, i + PAGE).map((k) => k.seq))) {
      out += line(row.body);
      // A piece is about CHUNK characters whatever the events' size (a page may hold 30 MB).
      if (out.length >= CHUNK) {
        yield out;
        out = '';
      }
    }
    // The reads are synchronous underneath: requests get their turn between pages.
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (format === 'json') out += ']}\n';
  if (out) yield out;
}
