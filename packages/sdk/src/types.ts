// Wire types shared by the SDK and the collector (Segment HTTP Tracking API shape).
// Type-only: the collector imports them with `import type`, so no runtime code crosses over.

/** Event types of the Segment HTTP Tracking API that spur accepts. */
export type EventType = 'track' | 'page' | 'identify' | 'alias' | 'group' | 'screen';

/** Where an event came from; web for the browser SDK. */
export type Channel = 'web' | 'app' | 'phone' | 'store' | 'fax' | 'email';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Campaign parameters, from utm_* query parameters. */
export interface Campaign {
  source?: string;
  medium?: string;
  name?: string;
  term?: string;
  content?: string;
}

export interface EventContext {
  page?: { url?: string; path?: string; referrer?: string; title?: string; search?: string };
  /**
   * Not sent by spur's browser SDK: the collector takes the request's User-Agent header (the same
   * string) when an event carries none. Other clients may send it; the collector keeps only the
   * device type, browser and OS families either way.
   */
  userAgent?: string;
  locale?: string;
  screen?: { width: number; height: number; density?: number };
  /**
   * IANA time zone (e.g. `Europe/Berlin`), as Segment clients send it. Not sent by spur's browser
   * SDK: reading it is a page's first use of Intl, which loads ICU data (tens of ms of main thread
   * in a fresh browser profile); the collector does not use it.
   */
  timezone?: string;
  campaign?: Campaign;
  /** The SDK's session id (cookie spur_sid). */
  sessionId?: string;
  channel?: Channel;
  library?: { name: string; version: string };
  /** 'granted' when the visitor granted consent explicitly (`spur.consent('granted')`, now or on an earlier visit); absent otherwise. */
  consent?: 'granted';
  [key: string]: unknown;
}

/** One event as a client sends it. */
export interface SpurEvent {
  type: EventType;
  /** Unique per event; the collector's dedupe key. */
  messageId: string;
  anonymousId?: string;
  userId?: string;
  /** When it happened, by the client's clock (ISO 8601). */
  timestamp: string;
  /** track: the event name, e.g. `Product Added`. */
  event?: string;
  /** page, screen: the page or screen name. */
  name?: string;
  properties?: JsonObject;
  /** identify: what is known about the customer; group: about the group. */
  traits?: JsonObject;
  /** alias: the id being merged into userId. */
  previousId?: string;
  /** group: the account, company or team the user belongs to (some clients send it on every event). */
  groupId?: string;
  context?: EventContext;
}

/** `POST /v1/batch` body. */
export interface BatchRequest {
  batch: SpurEvent[];
  /** When the client sent the request (ISO 8601); used to correct clock skew. */
  sentAt?: string;
  writeKey?: string;
}

export interface RejectedItem {
  index: number;
  messageId?: string;
  reason: string;
}

/** 200 answer to an ingest request; sent only after every accepted event is committed. */
export interface IngestResponse {
  ok: true;
  accepted: number;
  duplicates: number;
  rejected: RejectedItem[];
  /**
   * Only when valid events were not stored because the request carried `Sec-GPC: 1` and they no
   * grant (`context.consent: 'granted'`); then accepted + duplicates + rejected.length +
   * suppressed is the number of events sent.
   */
  suppressed?: number;
  reason?: 'gpc';
}

/** Whole-request error body. */
export interface ErrorResponse {
  error: { code: string; message: string };
}

/** A product as the ecommerce helpers and events carry it (Segment Ecommerce v2). */
export interface Product {
  product_id: string;
  sku?: string;
  name?: string;
  category?: string;
  brand?: string;
  variant?: string;
  price?: number;
  quantity?: number;
  currency?: string;
  [key: string]: JsonValue | undefined;
}

/** An event as stored by the collector and returned by the admin API. */
export interface StoredEvent extends SpurEvent {
  /** Client clock time as sent. */
  originalTimestamp: string;
  /** Corrected event time (see clock skew in the README). */
  timestamp: string;
  /** When the collector received it. */
  receivedAt: string;
  /** sentAt of the request that carried it, when given. */
  sentAt?: string;
  writeKey?: string;
}

/** `GET /v1/profiles/:id` */
export interface Profile {
  /** The customer id when known, else the anonymous id. */
  id: string;
  customerId: string | null;
  anonymousIds: string[];
  traits: JsonObject;
  firstSeen: string | null;
  lastSeen: string | null;
  eventCount: number;
}
