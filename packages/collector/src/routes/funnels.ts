// Saved funnels (the dashboard's Funnels view): GET /v1/funnels lists them, POST /v1/funnels saves
// one under its name (the same name replaces it), DELETE /v1/funnels/:id removes one. A funnel is
// saved as the funnel export's query (steps, unit, window, by), checked by the export's own table
// of parameters, so a saved funnel always runs.
import express, { Router, type Response } from 'express';
import type { SignedIn } from '../accounts/sessions';
import { badRequest, notFound } from '../errors';
import { parseExportParams } from '../export-params';
import type { AccountStorage, SavedFunnelRow } from '../storage/accounts';

export interface FunnelsDeps {
  storage: { readonly accounts: AccountStorage };
  now: () => number;
}

/** A saved funnel as the API answers it. */
export interface SavedFunnel {
  id: number;
  name: string;
  steps: string[];
  unit?: string;
  window?: string;
  by?: string;
  createdBy: string;
  createdAt: string;
}

const QUERY_FIELDS = ['steps', 'unit', 'window', 'by'] as const;

function toApi(row: SavedFunnelRow): SavedFunnel {
  const definition = JSON.parse(row.definition) as Omit<SavedFunnel, 'id' | 'name' | 'createdBy' | 'createdAt'>;
  return { id: row.id, name: row.name, ...definition, createdBy: row.createdBy, createdAt: row.createdAt };
}

/** Who saved it: the signed-in account, or `admin token` for a script. */
const author = (res: Response) => (res.locals.signedIn as SignedIn | undefined)?.account ?? 'admin token';

export function createFunnelsRouter(deps: FunnelsDeps): Router {
  const router = Router();
  const json = express.json({ limit: '16kb' });

  router.get('/v1/funnels', async (_req, res) => {
    res.json({ funnels: (await deps.storage.accounts.funnels()).map(toApi) });
  });

  router.post('/v1/funnels', json, async (req, res) => {
    const body = req.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('send the funnel as a JSON object: { name, steps, unit?, window?, by? }');
    const name = typeof body.name === 'string' ? body.name.trim() : '';
    if (name === '' || name.length > 100) throw badRequest('name must be 1 to 100 characters');
    const unknown = Object.keys(body).filter((k) => k !== 'name' && !(QUERY_FIELDS as readonly string[]).includes(k));
    if (unknown.length > 0) throw badRequest(`a saved funnel has no ${unknown.join(', ')}; it takes name, ${QUERY_FIELDS.join(', ')}`);
    if (!Array.isArray(body.steps) || !body.steps.every((s) => typeof s === 'string' && !s.includes(','))) {
      throw badRequest('steps must be a list of event names, page or page:/path (without commas)');
    }
    if (body.steps.length === 0) throw badRequest('a funnel needs at least one step');
    // Checked as the export would read it: a saved funnel always runs.
    const query: Record<string, string> = { steps: (body.steps as string[]).join(',') };
    for (const field of ['unit', 'window', 'by'] as const) {
      const value = body[field];
      if (value === undefined || value === null || value === '') continue;
      if (typeof value !== 'string') throw badRequest(`${field} must be a string`);
      query[field] = value;
    }
    const { funnel } = parseExportParams('funnel', query);
    const definition = { steps: funnel!.steps, ...(query.unit && { unit: query.unit }), ...(query.window && { window: query.window }), ...(query.by && { by: query.by }) };
    const row = await deps.storage.accounts.saveFunnel({ name, definition: JSON.stringify(definition), createdBy: author(res), createdAt: new Date(deps.now()).toISOString() });
    res.status(201).json(toApi(row));
  });

  router.delete('/v1/funnels/:id', async (req, res) => {
    const id = /^[1-9]\d{0,15}$/.test(req.params.id) ? Number(req.params.id) : NaN;
    if (!Number.isSafeInteger(id) || !(await deps.storage.accounts.deleteFunnel(id))) throw notFound('no saved funnel with this id');
    res.status(204).end();
  });
  return router;
}
