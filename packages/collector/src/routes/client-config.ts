// What a client library fetches from its vendor before it sends anything, answered by the
// collector for its own write keys, so that a shop points the library at the collector and
// changes nothing else: Segment's browser library reads `<cdnURL>/v1/projects/<key>/settings`,
// RudderStack's browser SDK `<configUrl>/sourceConfig/?writeKey=<key>`. Both documents are minimal:
// the collector as the only destination, nothing loaded from anywhere else.
import { Router, type Request, type Response } from 'express';
import { allowOrigin, allowPreflight, requestWriteKey, type Keyring } from '../cors';
import { forbidden, notFound } from '../errors';

export interface ClientConfigDeps {
  keyring: Keyring;
}

/** The known write key a request asks about, after checking its origin; throws 404 / 403 otherwise. */
function knownKey(req: Request, res: Response, keyring: Keyring, key: string | undefined): string {
  res.vary('Origin');
  if (!key || !keyring.has(key)) throw notFound('unknown write key');
  const origin = req.get('origin');
  if (origin) {
    if (!keyring.allows(key, origin)) throw forbidden('this origin is not allowed for the write key');
    allowOrigin(res, origin);
  }
  // A shop may change a key's origins; a page should not run on an old answer for long.
  res.set('Cache-Control', 'no-cache');
  return key;
}

/** The collector's own address as the client reached it: host[:port] and the mount path. */
const apiHost = (req: Request) => `${req.host}${req.baseUrl}`;

/** Segment's source settings: only the Segment.io destination, which is the collector. */
function segmentSettings(req: Request, writeKey: string) {
  return {
    integrations: {
      'Segment.io': { apiKey: writeKey, apiHost: `${apiHost(req)}/v1`, protocol: req.protocol, unbundledIntegrations: [], addBundledMetadata: false },
    },
    plan: { track: { __default: { enabled: true, integrations: {} } }, identify: { __default: { enabled: true } }, group: { __default: { enabled: true } } },
    enabledMiddleware: {},
    middlewareSettings: {},
    remotePlugins: [],
    // The library's own telemetry would go to Segment's API; none is sent.
    metrics: { sampleRate: 0 },
  };
}

/** RudderStack's source configuration: one enabled source, no destinations, no telemetry. */
function rudderSourceConfig(writeKey: string) {
  return {
    isHosted: false,
    source: {
      id: `spur-${writeKey}`,
      name: 'spur',
      writeKey,
      workspaceId: 'spur',
      enabled: true,
      config: { statsCollection: { errors: { enabled: false }, metrics: { enabled: false } } },
      destinations: [],
    },
  };
}

export function createClientConfigRouter({ keyring }: ClientConfigDeps): Router {
  const router = Router();
  router.get('/v1/projects/:writeKey/settings', (req, res) => {
    const writeKey = knownKey(req, res, keyring, req.params.writeKey);
    res.json(segmentSettings(req, writeKey));
  });

  // RudderStack asks with the key in the query and as the Basic user, which makes the browser
  // send a preflight first.
  router.options('/sourceConfig', (req, res) => {
    const origin = req.get('origin');
    res.vary('Origin');
    if (origin && keyring.allowsAny(origin)) {
      allowOrigin(res, origin);
      allowPreflight(req, res, 'GET');
    }
    res.set('Allow', 'GET, OPTIONS').status(204).end();
  });
  router.get('/sourceConfig', (req, res) => {
    const writeKey = knownKey(req, res, keyring, requestWriteKey(req, undefined));
    res.json(rudderSourceConfig(writeKey));
  });
  return router;
}
