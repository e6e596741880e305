// Ingestion over HTTP: POST /v1/batch and the single-event routes of the Segment HTTP Tracking
// API, and the paths other clients post the same events to (ingest-paths.ts). This file reads the
// request (body, write key, origin, CORS), hands the batch to the ingest service
// (ingest/service.ts) and writes its answer: 200 only after every accepted event is committed.
import { isUtf8 } from 'node:buffer';
import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { EventType } from '@spur/sdk';
import { allowOrigin, allowPreflight, exposeRefusal, requestWriteKey, type Keyring } from '../cors';
import { badRequest, forbidden, methodNotAllowed, unauthorized } from '../errors';
import type { IngestLimits } from '../ingest/limits';
import type { IngestService } from '../ingest/service';
import { parseIngestBody } from '../ingest/validate';
import { readBody, type BodyLimits } from './request-body';
import { createClientConfigRouter } from './client-config';
import { ingestRoute, type IngestRoute } from './ingest-paths';

/** The event type a route implies; undefined for a batch route. */
const impliedType = (route: IngestRoute): EventType | undefined => (route.kind === 'batch' ? undefined : route.kind);

/**
 * What fixes a refusal, for a page: the SPUR_WRITE_KEYS entry that lets its origin send with the
 * key. In the message because the SDK prints the message as it is (in debug mode): saying it there
 * costs spur.js nothing. Nothing without an Origin (a server, not a page).
 */
const needs = (writeKey: string, origin: string | undefined) => (origin ? ` (SPUR_WRITE_KEYS needs ${writeKey}=${origin})` : '');

export interface IngestDeps {
  service: IngestService;
  keyring: Keyring;
  /** Rates per address and write key (the service charges the rest). */
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
  const { keyring, limits } = deps;
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
      throw unauthorized(`unknown write key${needs(writeKey, origin)}`, { reason: 'unknown_write_key', writeKey });
    }
    if (origin && !keyring.allows(writeKey, origin)) {
      exposeRefusal(res, origin);
      throw forbidden(`this origin is not allowed for the write key${needs(writeKey, origin)}`, { reason: 'origin_not_allowed', writeKey });
    }
    const answer = await deps.service.ingest(
      { writeKey, events: body.events, type, sentAt: body.sentAt, escapes: parsed.escapes },
      { client: req, userAgent: req.get('user-agent'), gpc: req.get('sec-gpc')?.trim() === '1' },
    );
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
