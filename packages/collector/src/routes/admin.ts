// The admin API (read side). Bearer admin token only: a write key is public (it sits in every
// shop page) and must never read data.
import { createHash, timingSafeEqual } from 'node:crypto';
import { Router, type RequestHandler } from 'express';
import { badRequest, HttpError, notFound } from '../errors';
import type { Storage } from '../storage/types';

export interface AdminDeps {
  storage: Storage;
  adminToken?: string;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();

const unauthorized = (message: string) =>
  new HttpError(401, 'unauthorized', message, { 'WWW-Authenticate': 'Bearer realm="spur admin"' });

/** Compares hashes of equal length in constant time, so timing reveals nothing about the token. */
export function requireAdmin(adminToken: string | undefined): RequestHandler {
  const expected = adminToken ? sha256(adminToken) : null;
  return (req, _res, next) => {
    if (!expected) throw unauthorized('the admin API is disabled: no admin token is configured');
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    if (!bearer || !timingSafeEqual(sha256(bearer[1]), expected)) throw unauthorized('admin token required');
    next();
  };
}

function parseLimit(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[1-9]\d{0,8}$/.test(value)) throw badRequest('limit must be a positive integer');
  return Number(value);
}

export function createAdminRouter(deps: AdminDeps): Router {
  const { storage } = deps;
  const router = Router();
  router.use('/v1/profiles', requireAdmin(deps.adminToken));

  router.get('/v1/profiles/:id', async (req, res) => {
    const profile = await storage.getProfile(req.params.id);
    if (!profile) throw notFound('no profile with this id');
    res.json(profile);
  });

  router.get('/v1/profiles/:id/events', async (req, res) => {
    const limit = parseLimit(req.query.limit);
    const events = await storage.getProfileEvents(req.params.id, { limit });
    if (!events) throw notFound('no profile with this id');
    res.json({ events });
  });
  return router;
}
