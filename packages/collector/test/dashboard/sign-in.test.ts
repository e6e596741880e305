// The dashboard's doors over HTTP: the sign-in page and form, the session cookie, sign-out, the
// pages and assets with their headers, and who may call which admin route with a session.
import request from 'supertest';
import { DASHBOARD_CSP } from '../../src/routes/dashboard';
import { ADMIN_TOKEN, bearer, useFixtures } from '../helpers';
import { addPeople, fakeBuild, PASSWORD, SCRIPT, signInAs, STYLE } from './fixture';

jest.setTimeout(120_000);

const fx = useFixtures();

async function dashboard(config: Parameters<typeof fx.collector>[0] = {}) {
  const { app, storage } = await fx.collector({ dashboardPath: fakeBuild(fx.tempDir()), now: Date.now, ...config });
  await addPeople(storage.accounts);
  return { app, storage };
}

describe('signing in', () => {
  it('shows a form with the fields username and password, under a strict CSP, not cached', async () => {
    const { app } = await dashboard();
    const res = await request(app).get('/dashboard/login').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['content-security-policy']).toBe(DASHBOARD_CSP);
    expect(DASHBOARD_CSP).toMatch(/default-src 'none'/);
    expect(DASHBOARD_CSP).toMatch(/frame-ancestors 'none'/);
    expect(DASHBOARD_CSP).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(res.headers['cache-control']).toBe('no-cache, private');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.text).toMatch(/<form method="post" action="\/dashboard\/login">/);
    expect(res.text).toMatch(/<input id="username" name="username" autocomplete="username"/);
    expect(res.text).toMatch(/<input id="password" name="password" type="password" autocomplete="current-password"/);
    expect(res.text).toContain(`<link rel="stylesheet" href="/dashboard/assets/${STYLE}">`);
    expect(res.text).not.toMatch(/<script(?![^>]*\ssrc=)|style=/);
  });

  it('sets an HttpOnly, SameSite=Strict session cookie and goes to the dashboard', async () => {
    const { app } = await dashboard();
    const res = await request(app).post('/dashboard/login').type('form').send({ username: 'Ada', password: PASSWORD }).expect(303);
    expect(res.headers.location).toBe('/dashboard');
    const cookie = (res.headers['set-cookie'] as unknown as string[])[0];
    expect(cookie).toMatch(/^spur_session=[A-Za-z0-9_-]{43}; Max-Age=43200; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Strict$/);
  });

  it('on https (behind a trusted proxy) names the cookie __Host-spur_session and marks it Secure', async () => {
    const { app } = await dashboard({ trustProxy: 'loopback' });
    const https = { Host: 'dash.example', 'X-Forwarded-Proto': 'https', Origin: 'https://dash.example' };
    const res = await request(app).post('/dashboard/login').set(https).type('form').send({ username: 'ada', password: PASSWORD }).expect(303);
    const cookie = (res.headers['set-cookie'] as unknown as string[])[0];
    expect(cookie).toMatch(/^__Host-spur_session=[A-Za-z0-9_-]{43}; Max-Age=43200; Path=\/; Expires=[^;]+; HttpOnly; Secure; SameSite=Strict$/);
    // The same cookie over plain http is not read: a session made on https stays there.
    const token = cookie.split(';')[0];
    expect((await request(app).get('/dashboard/session').set('Cookie', token)).status).toBe(401);
    expect((await request(app).get('/dashboard/session').set(https).set('Cookie', token)).status).toBe(200);
  });

  it('answers a wrong password and an unknown name with the same page, status and message', async () => {
    const { app } = await dashboard();
    const wrong = await request(app).post('/dashboard/login').type('form').send({ username: 'someone', password: 'not the password' });
    const unknown = await request(app).post('/dashboard/login').type('form').send({ username: 'someone', password: 'not the password' });
    const known = await request(app).post('/dashboard/login').type('form').send({ username: 'ada', password: 'not the password' });
    expect(wrong.status).toBe(401);
    expect(known.status).toBe(401);
    expect(unknown.text).toBe(wrong.text);
    expect(known.text.replace('value="ada"', 'value="someone"')).toBe(wrong.text);
    expect(known.text).toContain('<p class="form-error" role="alert">The name or the password is wrong.</p>');
    expect(known.headers['set-cookie']).toBeUndefined();
  });

  it('limits failed attempts per name: the eleventh is 429 with Retry-After, even with the right password', async () => {
    const { app } = await dashboard({ trustProxy: true });
    for (let i = 0; i < 10; i++) {
      await request(app).post('/dashboard/login').set('X-Forwarded-For', `198.51.100.${i}`).type('form').send({ username: 'vic', password: `guess ${i} of many` }).expect(401);
    }
    const refused = await request(app).post('/dashboard/login').set('X-Forwarded-For', '203.0.113.7').type('form').send({ username: 'vic', password: PASSWORD });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(800);
    expect(refused.text).toMatch(/Too many failed sign-ins\. Try again in 1[45] minutes\./);
  });

  it('refuses a sign-in posted from another site’s page', async () => {
    const { app } = await dashboard();
    const res = await request(app).post('/dashboard/login').set('Origin', 'https://evil.example').type('form').send({ username: 'ada', password: PASSWORD });
    expect(res.status).toBe(403);
    expect(res.headers['set-cookie']).toBeUndefined();
    const fetched = await request(app).post('/dashboard/login').set('Sec-Fetch-Site', 'cross-site').type('form').send({ username: 'ada', password: PASSWORD });
    expect(fetched.status).toBe(403);
  });

  it('goes on to the page asked for before, and never to another site', async () => {
    const { app } = await dashboard();
    const first = await request(app).get('/dashboard/funnels?from=2026-01-01').expect(303);
    expect(first.headers.location).toBe('/dashboard/login?next=%2Fdashboard%2Ffunnels%3Ffrom%3D2026-01-01');
    const page = await request(app).get(first.headers.location);
    expect(page.text).toContain('<input type="hidden" name="next" value="/dashboard/funnels?from=2026-01-01">');
    const res = await request(app).post('/dashboard/login').type('form').send({ username: 'ada', password: PASSWORD, next: '/dashboard/funnels?from=2026-01-01' });
    expect(res.headers.location).toBe('/dashboard/funnels?from=2026-01-01');
    for (const next of ['//evil.example/dashboard', 'https://evil.example', '/dashboard/../v1/privacy', '/dashboard/login']) {
      const r = await request(app).post('/dashboard/login').type('form').send({ username: 'ada', password: PASSWORD, next });
      expect(r.headers.location).toBe('/dashboard');
    }
  });
});

describe('pages and assets', () => {
  it('serves the shell to a signed-in person only, naming the hashed files', async () => {
    const { app } = await dashboard();
    expect((await request(app).get('/dashboard')).status).toBe(303);
    const { cookie } = await signInAs(app, 'vic');
    const res = await request(app).get('/dashboard/overview').set('Cookie', cookie).expect(200);
    expect(res.headers['cache-control']).toBe('no-cache, private');
    expect(res.headers['content-security-policy']).toBe(DASHBOARD_CSP);
    expect(res.text).toContain(`<script type="module" src="/dashboard/assets/${SCRIPT}"></script>`);
    expect(res.text).toContain('<body data-base="">');
    expect(res.text).not.toMatch(/<script(?![^>]*\ssrc=)|style=/);
    expect((await request(app).get('/dashboard/overview/deeper').set('Cookie', cookie)).status).toBe(404);
  });

  it('serves hashed assets for a year, immutable, compressed as the browser accepts', async () => {
    const { app } = await dashboard();
    const res = await request(app).get(`/dashboard/assets/${SCRIPT}`).set('Accept-Encoding', 'gzip');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers.vary).toBe('Accept-Encoding');
    const plain = await request(app).get(`/dashboard/assets/${STYLE}`).set('Accept-Encoding', 'identity').expect(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.text).toContain('body { margin: 0 }');
    const missing = await request(app).get('/dashboard/assets/app-ZZZZZZZZZZ.js');
    expect(missing.status).toBe(404);
    expect(missing.headers['cache-control']).toBe('no-store');
  });

  it('says the dashboard is not built when it is not', async () => {
    const { app } = await fx.collector({ dashboardPath: fx.tempDir() });
    const res = await request(app).get('/dashboard/login');
    expect(res.status).toBe(503);
    expect(res.body.error).toEqual({ code: 'dashboard_not_built', message: 'the dashboard is not built: run npm run build' });
  });
});

describe('a session on the admin API', () => {
  it('lets a viewer read exports and profiles, and not the data subject tools or the settings', async () => {
    const { app } = await dashboard();
    const { cookie } = await signInAs(app, 'vic');
    expect((await request(app).get('/v1/exports/products').set('Cookie', cookie)).status).toBe(200);
    expect((await request(app).get('/v1/exports/overview').set('Cookie', cookie)).status).toBe(200);
    expect((await request(app).get('/v1/profiles/nobody').set('Cookie', cookie)).status).toBe(404);
    for (const path of ['/v1/privacy/subjects/someone', '/v1/settings']) {
      const res = await request(app).get(path).set('Cookie', cookie);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
    }
    const { csrf } = await signInAs(app, 'vic');
    expect((await request(app).delete('/v1/privacy/subjects/someone').set('Cookie', cookie).set('X-Spur-CSRF', csrf)).status).toBe(403);
  });

  it('lets an admin use the data subject tools and read the settings', async () => {
    const { app } = await dashboard();
    const { cookie, csrf } = await signInAs(app, 'ada');
    expect((await request(app).get('/v1/privacy/subjects/someone').set('Cookie', cookie)).status).toBe(404);
    const settings = await request(app).get('/v1/settings').set('Cookie', cookie).expect(200);
    expect(settings.body.settings).toMatchObject({ timeZone: 'UTC', sessionMinutes: 30 });
    expect(settings.body.accounts.map((a: { name: string; role: string }) => `${a.name}:${a.role}`)).toEqual(['ada:admin', 'vic:viewer']);
    expect(JSON.stringify(settings.body)).not.toContain('scrypt');
    expect((await request(app).delete('/v1/privacy/subjects/someone').set('Cookie', cookie).set('X-Spur-CSRF', csrf)).status).toBe(404);
  });

  it('refuses a change without the session’s CSRF token, with another session’s, or from another origin', async () => {
    const { app } = await dashboard();
    const ada = await signInAs(app, 'ada');
    const vic = await signInAs(app, 'vic');
    const save = () => request(app).post('/v1/funnels').set('Cookie', ada.cookie).send({ name: 'Shop', steps: ['Product Viewed', 'Order Completed'] });
    const none = await save();
    expect(none.status).toBe(403);
    expect(none.body.error.code).toBe('csrf');
    expect((await save().set('X-Spur-CSRF', vic.csrf)).status).toBe(403);
    expect((await save().set('X-Spur-CSRF', ada.csrf).set('Origin', 'https://evil.example')).status).toBe(403);
    expect((await save().set('X-Spur-CSRF', ada.csrf).set('Sec-Fetch-Site', 'same-site')).status).toBe(403);
    const mine = await save().set('X-Spur-CSRF', ada.csrf).set('Host', 'dash.example').set('Origin', 'http://dash.example').set('Sec-Fetch-Site', 'same-origin');
    expect(mine.status).toBe(201);
    expect(mine.body).toMatchObject({ name: 'Shop', steps: ['Product Viewed', 'Order Completed'], createdBy: 'ada' });
    // The admin token needs none of it: no browser sends a token by itself.
    expect((await request(app).post('/v1/funnels').set('Authorization', bearer(ADMIN_TOKEN)).send({ name: 'Cart', steps: ['Product Added'] })).status).toBe(201);
  });

  it('answers 401 without a session or token, and after sign-out', async () => {
    const { app } = await dashboard();
    expect((await request(app).get('/v1/exports/products')).status).toBe(401);
    const { cookie, csrf } = await signInAs(app, 'vic');
    // Sign-out is a change too: without the token it is refused, the session stays.
    expect((await request(app).post('/dashboard/logout').set('Cookie', cookie)).status).toBe(403);
    expect((await request(app).get('/v1/exports/products').set('Cookie', cookie)).status).toBe(200);
    const out = await request(app).post('/dashboard/logout').set('Cookie', cookie).type('form').send({ csrf }).expect(303);
    expect(out.headers.location).toBe('/dashboard/login');
    expect((out.headers['set-cookie'] as unknown as string[])[0]).toMatch(/^spur_session=; Path=\/; Expires=Thu, 01 Jan 1970/);
    expect((await request(app).get('/v1/exports/products').set('Cookie', cookie)).status).toBe(401);
    expect((await request(app).get('/dashboard').set('Cookie', cookie)).status).toBe(303);
  });

  it('counts no failed admin login for requests without a token (a page whose session ended)', async () => {
    const { app } = await dashboard({ trustProxy: true });
    for (let i = 0; i < 15; i++) expect((await request(app).get('/v1/exports/products').set('X-Forwarded-For', '192.0.2.9')).status).toBe(401);
    expect((await request(app).get('/v1/exports/products').set('X-Forwarded-For', '192.0.2.9').set('Authorization', bearer(ADMIN_TOKEN))).status).toBe(200);
  });
});
