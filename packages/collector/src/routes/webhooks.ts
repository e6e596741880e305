// The webhooks admin API (admin token, or an admin's dashboard session with its CSRF token):
// GET /v1/webhooks lists the endpoints, POST /v1/webhooks adds one `{ url, events }` and answers
// its secret once, DELETE /v1/webhooks/:id removes one, POST /v1/webhooks/:id/rotate answers a new
// secret once, GET /v1/webhooks/:id/attempts the latest delivery attempts.
import express, { Router } from 'express';
import { badRequest, notFound } from '../errors';
import type { Storage } from '../storage/types';
import { addEndpoint, deliveryLog, listEndpoints, removeEndpoint, rotateSecret, WebhookError } from '../webhooks/endpoints';

export interface WebhooksDeps {
  storage: Pick<Storage, 'write'>;
  now: () => number;
  allowPrivate: boolean;
  /** Told when something may be due (an endpoint added). */
  wake?: () => void;
}

const ID = /^ep_[0-9a-f]{24}$/;

async function answer<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof WebhookError) throw err.kind === 'usage' ? badRequest(err.message) : notFound(err.message);
    throw err;
  }
}

export function createWebhooksRouter(deps: WebhooksDeps): Router {
  const router = Router();
  const json = express.json({ limit: '8kb' });
  const idOf = (value: unknown) => {
    if (typeof value !== 'string' || !ID.test(value)) throw notFound(`no webhook endpoint ${String(value)}`);
    return value;
  };

  router.get('/v1/webhooks', async (_req, res) => {
    res.json({ endpoints: await listEndpoints(deps.storage) });
  });

  router.post('/v1/webhooks', json, async (req, res) => {
    const body = req.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('send { "url": "https://…", "events": ["order.completed", …] }');
    const added = await answer(() => addEndpoint(deps.storage, { url: body.url, events: body.events, allowPrivate: deps.allowPrivate, now: deps.now() }));
    deps.wake?.();
    res.status(201).json(added);
  });

  router.delete('/v1/webhooks/:id', async (req, res) => {
    await answer(() => removeEndpoint(deps.storage, idOf(req.params.id)));
    res.json({ ok: true });
  });

  router.post('/v1/webhooks/:id/rotate', async (req, res) => {
    res.json(await answer(() => rotateSecret(deps.storage, idOf(req.params.id), deps.now())));
  });

  router.get('/v1/webhooks/:id/attempts', async (req, res) => {
    const limit = req.query.limit === undefined ? 50 : Number(req.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw badRequest('limit: a whole number from 1 to 1000');
    res.json({ attempts: await answer(() => deliveryLog(deps.storage, idOf(req.params.id), limit)) });
  });

  return router;
}
