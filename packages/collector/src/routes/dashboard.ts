// The dashboard at /dashboard: its pages, its assets, signing in and out. The app in the browser
// then calls the admin API (/v1/exports …) with its session cookie (routes/access.ts).
//
// Everything under /dashboard carries a strict Content Security Policy: scripts, styles, images
// and requests only from the collector itself, no inline script or style, no framing, forms only
// to the collector, and Trusted Types for the DOM's script sinks. Pages are `no-cache` (they name
// the current build's files, and depend on the session); the hashed assets are cached for a year.
import express, { Router, type Request, type Response } from 'express';
import helmet from 'helmet';
import { endSession, SESSION_LIFETIME_MS, csrfToken, sessionCookieName } from '../accounts/sessions';
import { signIn } from '../accounts/sign-in';
import { dashboardBuild, defaultDashboardPath, type DashboardBuild } from '../dashboard/assets';
import { shellPage, signInPage } from '../dashboard/pages';
import { HttpError } from '../errors';
import type { AnalyticsStatus } from '../jobs/catch-up';
import type { AccountStorage } from '../storage/accounts';
import { checkCsrf, fromOwnOrigin, signedInOf } from './access';

export interface DashboardDeps {
  storage: { readonly accounts: AccountStorage };
  now: () => number;
  timeZone: string;
  /** The built dashboard's folder. @defaultValue `@spur/dashboard`'s dist */
  dashboardPath?: string;
  /** How far the analytics cache is (the collector's, with the carts due recorded); none: analytics off. */
  analytics?: { status(): AnalyticsStatus };
}

/** The dashboard's Content Security Policy, as sent with every answer under /dashboard. */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "require-trusted-types-for 'script'",
].join('; ');

const headers = helmet({
  contentSecurityPolicy: false,
  crossOriginResourcePolicy: { policy: 'same-origin' },
  // same-origin: the dashboard's own requests carry their Origin (a form post under no-referrer
  // sends `Origin: null`), and no address of the dashboard leaks to another site.
  referrerPolicy: { policy: 'same-origin' },
  xFrameOptions: { action: 'deny' },
});

/** The dashboard's paths that show the app (a view each); anything else under /dashboard is 404. */
const VIEW = /^\/dashboard(\/[a-z][a-z-]{0,30})?\/?$/;

/** A place to go after signing in: a view of this dashboard, never another site. */
function safeNext(base: string, next: unknown): string | undefined {
  if (typeof next !== 'string' || next.length > 500) return undefined;
  const [path, query] = next.split('?', 2);
  if (!path.startsWith(`${base}/dashboard`) || !VIEW.test(path.slice(base.length)) || ['/dashboard/login', '/dashboard/logout'].includes(path.slice(base.length))) return undefined;
  if (query !== undefined && !/^[\w.,:%+=&-]*$/.test(query)) return path;
  return next;
}

function setSessionCookie(req: Request, res: Response, token: string): void {
  res.cookie(sessionCookieName(req.secure), token, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/', maxAge: SESSION_LIFETIME_MS });
}

function clearSessionCookie(req: Request, res: Response): void {
  res.clearCookie(sessionCookieName(req.secure), { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/' });
}

export function createDashboardRouter(deps: DashboardDeps): Router {
  const router = Router();
  const build = dashboardBuild(deps.dashboardPath ?? defaultDashboardPath());
  const form = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 10 });

  async function built(): Promise<DashboardBuild> {
    const found = await build();
    if (!found) throw new HttpError(503, 'dashboard_not_built', 'the dashboard is not built: run npm run build');
    return found;
  }
  const page = (res: Response, status: number, html: string) => res.status(status).type('html').set('Cache-Control', 'no-cache, private').send(html);

  router.use('/dashboard', headers, (_req, res, next) => {
    res.set('Content-Security-Policy', DASHBOARD_CSP);
    next();
  });

  router.get('/dashboard/assets/:file', async (req, res) => {
    const asset = (await built()).asset(req.params.file, req.get('accept-encoding'));
    if (!asset) {
      res.set('Cache-Control', 'no-store');
      throw new HttpError(404, 'not_found', 'no such file of the dashboard (an older build?)');
    }
    res.set({ 'Content-Type': asset.contentType, 'Cache-Control': 'public, max-age=31536000, immutable', Vary: 'Accept-Encoding' });
    if (asset.encoding !== 'identity') res.set('Content-Encoding', asset.encoding);
    res.status(200).send(asset.body);
  });

  router.get('/dashboard/login', async (req, res) => {
    const { manifest } = await built();
    const next = safeNext(req.baseUrl, req.query.next);
    if (await signedInOf(req, res, deps.storage.accounts, deps.now())) return res.redirect(303, next ?? `${req.baseUrl}/dashboard`);
    page(res, 200, signInPage(manifest, { base: req.baseUrl, next }));
  });

  router.post('/dashboard/login', form, async (req, res) => {
    const { manifest } = await built();
    const body = (req.body ?? {}) as Record<string, unknown>;
    const name = typeof body.username === 'string' ? body.username : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const next = safeNext(req.baseUrl, body.next);
    // A page of another site must not sign a browser in (into an attacker's account, say).
    if (!fromOwnOrigin(req)) return page(res, 403, signInPage(manifest, { base: req.baseUrl, next, message: 'Sign in from the dashboard’s own page.' }));
    const result = await signIn(deps.storage.accounts, { name, password, ip: req.ip, now: deps.now() });
    if (!result.ok) {
      if (result.retryAfterSeconds !== undefined) res.set('Retry-After', String(result.retryAfterSeconds));
      return page(res, result.status, signInPage(manifest, { base: req.baseUrl, next, name, message: result.message }));
    }
    setSessionCookie(req, res, result.token);
    res.set('Cache-Control', 'no-store').redirect(303, next ?? `${req.baseUrl}/dashboard`);
  });

  router.post('/dashboard/logout', form, async (req, res) => {
    const signedIn = await signedInOf(req, res, deps.storage.accounts, deps.now());
    if (signedIn) {
      checkCsrf(req, signedIn);
      await endSession(deps.storage.accounts, signedIn.token);
    }
    clearSessionCookie(req, res);
    res.set('Cache-Control', 'no-store').redirect(303, `${req.baseUrl}/dashboard/login`);
  });

  // How far the analytics cache is, for a view whose figures are slow to come: after a start the
  // exports wait until the cache has read every stored event, and the view says so rather than
  // staying blank. /readyz/analytics says the same with a 503, which a browser logs as an error.
  router.get('/dashboard/analytics', async (req, res) => {
    res.set('Cache-Control', 'no-store');
    if (!(await signedInOf(req, res, deps.storage.accounts, deps.now()))) throw new HttpError(401, 'unauthorized', 'not signed in');
    res.json({ analytics: deps.analytics ? deps.analytics.status() : 'off' });
  });

  // Who is signed in, for the app: name, role, the CSRF token its changes carry, the time zone.
  router.get('/dashboard/session', async (req, res) => {
    res.set('Cache-Control', 'no-store');
    const signedIn = await signedInOf(req, res, deps.storage.accounts, deps.now());
    if (!signedIn) throw new HttpError(401, 'unauthorized', 'not signed in');
    res.json({ account: signedIn.account, role: signedIn.role, csrfToken: csrfToken(signedIn.token), timeZone: deps.timeZone, expiresAt: signedIn.expiresAt });
  });

  router.get(VIEW, async (req, res) => {
    const { manifest } = await built();
    if (!(await signedInOf(req, res, deps.storage.accounts, deps.now()))) {
      return res.set('Cache-Control', 'no-store').redirect(303, `${req.baseUrl}/dashboard/login?next=${encodeURIComponent(req.originalUrl)}`);
    }
    page(res, 200, shellPage(req.baseUrl, manifest));
  });
  return router;
}
