// Ingestion: POST /v1/batch and the single-event routes of the Segment HTTP Tracking API, and the
// paths other clients post the same events to (ingest-paths.ts). A request is answered 200 only
// after every accepted event is committed.
import { isUtf8 } from 'node:buffer';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { v4 as uuidv4 } from 'uuid';
import type { EventType, IngestResponse, RejectedItem, StoredEvent } from '@spur/sdk';
import { allowOrigin, allowPreflight, exposeRefusal, requestWriteKey, type Keyring } from '../cors';
import { badRequest, forbidden, methodNotAllowed, unauthorized } from '../errors';
import type { IngestLimits } from '../ingest/limits';
import type { IpMode } from '../ip';
import { readBody, type BodyLimits } from './request-body';
import type { AppendResult } from '../rules/append';
import type { Store } from '../rules/store';
import type { RejectedEvent } from '../storage/types';
import type { ClientClock, GpcMode } from '../settings';
import { toStoredEvent } from '../ingest/stored-event';
import { MAX_DEPTH, parseEvent, parseIngestBody } from '../ingest/validate';
import { createClientConfigRouter } from './client-config';
import { ingestRoute, type IngestRoute } from './ingest-paths';

/**
 * A batch is validated this many events at a time, with a turn of the event loop in between:
 * 5,000 events take tens of milliseconds, which other clients' requests would otherwise wait.
 */
export const VALIDATION_SLICE = 500;

/** The event type a route implies; undefined for a batch route. */
const impliedType = (route: IngestRoute): EventType | undefined => (route.kind === 'batch' ? undefined : route.kind);

export interface IngestDeps {
  storage: Store;
  keyring: Keyring;
  clientClock: ClientClock;
  ipMode: IpMode;
  gpc: GpcMode;
  now: () => number;
  /** Rates per address and write key, and the cap on stored rejected events. */
  limits: IngestLimits;
  /** Body size caps and deadline. */
  body: BodyLimits;
}

/** A parsed body, and whether its text had a `\u` escape (validate.ts parseEvent). */
interface ParsedBody {
  value: unknown;
  escapes: boolean;
}

function parseJson(raw: unknown): ParsedBody {
  if (!Buffer.isBuffer(raw) || raw.length === 0) throw badRequest('request body is empty', 'invalid_body');
  // isUtf8 (simdutf) + toString is the fatal TextDecoder's answer at a fraction of its cost.
  if (!isUtf8(raw)) throw badRequest('request body is not valid UTF-8', 'invalid_json');
  // Like TextDecoder, a leading byte order mark is not part of the text.
  const bom = raw.length >= 3 && raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf;
  const text = raw.toString('utf8', bom ? 3 : 0);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // Any failure, a stack overflow (RangeError) on some absurd document included, is the body's.
    throw badRequest('request body is not valid JSON', 'invalid_json');
  }
  return { value, escapes: text.includes('\\u') };
}

/**
 * A rejected event as JSON for the rejected-events table. JSON.stringify recurses per level
 * and overflows the stack on a document thousands of levels deep (which validation refused for
 * its depth): such an event is kept down to MAX_DEPTH levels, deeper parts replaced by a marker.
 */
function rejectedJson(raw: unknown): string {
  try {
    return JSON.stringify(raw);
  } catch {
    return JSON.stringify(clip(raw, 0));
  }
}

function clip(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depth > MAX_DEPTH) return '[nested too deep]';
  if (Array.isArray(value)) return value.map((item) => clip(item, depth + 1));
  // Without a prototype, a "__proto__" key is set as data.
  const out: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(value)) out[key] = clip((value as Record<string, unknown>)[key], depth + 1);
  return out;
}

/** Whether the visitor granted consent for this event on the site, despite GPC (SDK: context.consent). */
function granted(event: unknown): boolean {
  if (typeof event !== 'object' || event === null) return false;
  const context = (event as { context?: unknown }).context;
  return typeof context === 'object' && context !== null && (context as { consent?: unknown }).consent === 'granted';
}

export interface Ingest {
  /**
   * Middleware for the top of the app: answers the common ingest request (a POST to an ingest
   * route with no cookie to re-issue and a body nobody read yet) without the rest of the
   * middleware stack; every other request passes on to `router`. Errors go to the app's error
   * middleware, as from the router.
   */
  fastPath: RequestHandler;
  /** Every ingest route (ingest-paths.ts ingestRoute): posts, preflights, 405s. */
  router: Router;
}

/** Whether a body parser of a shop the collector is mounted in has read the body already. */
const readAlready = (req: Request) => req.readableEnded || req.body !== undefined;

export function createIngest(deps: IngestDeps): Ingest {
  const { storage, keyring, limits } = deps;
  const router = Router();

  // CORS headers go on early, for any origin some key allows, so that an allowed page can read
  // errors raised before its key is known (400, 413). Once the key is known they are narrowed.
  function corsEarly(req: Request, res: Response): void {
    res.vary('Origin');
    const origin = req.get('origin');
    if (origin && keyring.allowsAny(origin)) allowOrigin(res, origin);
  }

  function preflight(req: Request, res: Response): void {
    const origin = req.get('origin');
    if (origin && !keyring.allowsAny(origin)) throw forbidden('origin is not allowed');
    if (origin) allowPreflight(req, res, 'POST');
    res.set('Allow', 'POST, OPTIONS').status(204).end();
  }

  async function ingest(req: Request, res: Response, route: IngestRoute): Promise<void> {
    // Any content type (the SDK sends text/plain to avoid a preflight; sendBeacon may send none).
    const raw: unknown = readAlready(req) ? req.body : await readBody(req, res, deps.body);
    const type = impliedType(route);
    const receivedAt = new Date(deps.now()).toISOString();
    const parsed = parseJson(raw);
    const body = parseIngestBody(parsed.value, type);
    // Charged before the key is checked: parsing was work done for this address either way.
    limits.chargeAddress(req, body.events.length);
    const writeKey = requestWriteKey(req, body.writeKey);
    const origin = req.get('origin');
    // A refusal is readable by the page it refuses (cors.ts exposeRefusal): otherwise a browser
    // reports a network error, and a page on another origin than the collector would retry
    // forever instead of stopping and saying what to fix. The answer carries nothing but the
    // error; the preflight of a non-simple request from such an origin is still refused, so only
    // simple requests (what the SDK sends) get this far.
    if (!writeKey) {
      exposeRefusal(res, origin);
      throw unauthorized('write key missing: send it as Basic auth user, X-Spur-Write-Key, X-Write-Key, ?writeKey= or writeKey', {
        reason: 'missing_write_key',
      });
    }
    if (!keyring.has(writeKey)) {
      exposeRefusal(res, origin);
      throw unauthorized('unknown write key', { reason: 'unknown_write_key', writeKey });
    }
    if (origin && !keyring.allows(writeKey, origin)) {
      exposeRefusal(res, origin);
      throw forbidden('this origin is not allowed for the write key', { reason: 'origin_not_allowed', writeKey });
    }
    limits.chargeWriteKey(req, writeKey, body.events.length);

    const facts = {
      receivedAt,
      sentAt: body.sentAt,
      clientClock: deps.clientClock,
      ip: req.ip,
      ipMode: deps.ipMode,
      userAgent: req.get('user-agent'),
    };
    // Global Privacy Control: the visitor's browser says no; what the visitor did not grant on
    // the site is neither stored nor kept among rejected events (it would carry its ids).
    const gpc = deps.gpc === 'honor' && req.get('sec-gpc')?.trim() === '1';
    let suppressed = 0;
    const events: StoredEvent[] = [];
    const rejected: RejectedItem[] = [];
    let rejectedRows: RejectedEvent[] = [];
    for (let index = 0; index < body.events.length; index++) {
      if (index > 0 && index % VALIDATION_SLICE === 0) await nextTurn();
      const raw = body.events[index];
      const result = parseEvent(raw, type, uuidv4, parsed.escapes);
      if (result.ok) {
        if (gpc && result.event.context?.consent !== 'granted') suppressed++;
        else events.push(toStoredEvent(result.event, facts));
        continue;
      }
      const { reason, messageId } = result;
      rejected.push({ index, ...(messageId !== undefined && { messageId }), reason });
      if (!gpc || granted(raw)) rejectedRows.push({ raw: rejectedJson(raw), reason, messageId, writeKey, receivedAt });
    }
    // Past the cap per address and write key, rejected events are counted, not stored; the
    // answer lists them all the same.
    rejectedRows = limits.storable(req, writeKey, rejectedRows);

    // Only suppression leaves nothing to write; then there is nothing to wait for either.
    const appended: AppendResult =
      events.length || rejectedRows.length ? await storage.append({ writeKey, events, rejected: rejectedRows }) : { stored: [] };
    // Events of erased subjects are not stored either; storage reports them as not inserted and
    // they are answered as duplicates. The write key is public: an answer that said "erased"
    // would tell anyone who knows a customer id that this customer asked for erasure.
    let accepted = 0;
    for (const inserted of appended.stored) if (inserted) accepted++;
    const answer: IngestResponse = { ok: true, accepted, duplicates: appended.stored.length - accepted, rejected };
    if (suppressed > 0) {
      answer.suppressed = suppressed;
      answer.reason = 'gpc';
    }
    // What res.json would send, without its content negotiation and ETag machinery (ETags are
    // off for the API anyway): this answer is written once per request on the hot path.
    const json = JSON.stringify(answer);
    res.status(200);
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', Buffer.byteLength(json));
    res.end(req.method === 'HEAD' ? undefined : json);
  }

  // The routes are not Express paths: ingestRoute decides, as for the limits above the router.
  router.use((req, res, next) => {
    const route = ingestRoute(req);
    if (route === undefined) return next();
    corsEarly(req, res);
    if (req.method === 'POST') return ingest(req, res, route).catch(next);
    if (req.method === 'OPTIONS') return preflight(req, res);
    throw methodNotAllowed('POST, OPTIONS');
  });

  // Express would route such a request through every router and middleware above the ingest
  // routes (cookie parsing, the SDK route), each matching paths on the way: about as much
  // main-thread time as validating the request's 20 events. The answers are the same.
  function fastPath(req: Request, res: Response, next: NextFunction): void {
    if (req.method !== 'POST' || req.headers.cookie !== undefined || readAlready(req)) return next();
    const route = ingestRoute(req);
    if (route === undefined) return next();
    corsEarly(req, res);
    ingest(req, res, route).catch(next);
  }

  // What a client fetches before it sends, pointed at the collector as its host.
  router.use(createClientConfigRouter({ keyring }));
  return { fastPath, router };
}
