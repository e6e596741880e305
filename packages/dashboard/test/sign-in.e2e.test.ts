// Signing in and out of the dashboard in real Chromium: a wrong password refused, a viewer and an
// admin seeing what their role allows, sign-out, a change without the CSRF token refused, failed
// attempts limited. Every page passes axe-core and the CSP without a violation.
import { checkPage, keep, openPage, PASSWORD, signIn, startStack, type Stack } from './browser';

jest.setTimeout(180_000);

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ history: false });
});
afterAll(() => stack?.close());

describe('signing in to the dashboard', () => {
  it('refuses a wrong password and an unknown name with the same message, then lets the right one in', async () => {
    const { page, problems, context } = await openPage(stack);
    await page.goto(`${stack.url}/dashboard`);
    await page.waitForURL(/\/dashboard\/login\?next=/);
    await checkPage(page);
    await signIn(page, stack.url, 'ada', 'not the password at all');
    await page.getByRole('alert').waitFor();
    const wrong = await page.getByRole('alert').textContent();
    expect(wrong).toBe('The name or the password is wrong.');
    // The name stays; the password does not.
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('ada');
    expect(await page.getByLabel('Password', { exact: true }).inputValue()).toBe('');
    await keep(page, 'sign-in-refused');
    await checkPage(page);
    await signIn(page, stack.url, 'nobody', 'not the password at all');
    expect(await page.getByRole('alert').textContent()).toBe(wrong);
    await signIn(page, stack.url, 'ada');
    await page.waitForURL(`${stack.url}/dashboard`);
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    // The session cookie is HttpOnly: the page's scripts cannot read it.
    expect(await page.evaluate(() => document.cookie)).toBe('');
    const cookie = (await context.cookies()).find((c) => c.name === 'spur_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    // Chromium logs the status of each refused sign-in's page (401); nothing else may be logged.
    expect(problems).toEqual(Array(2).fill('console: Failed to load resource: the server responded with a status of 401 (Unauthorized)'));
    await context.close();
  });

  it('shows a viewer figures and exports, and not the data subject tools or the settings', async () => {
    const { page, problems, context } = await openPage(stack);
    await signIn(page, stack.url, 'vic');
    const nav = page.getByRole('navigation', { name: 'Views' });
    await nav.getByRole('link', { name: 'Overview' }).waitFor();
    expect(await nav.getByRole('link').allTextContents()).toEqual(['Overview', 'Funnels', 'Carts', 'Products', 'Customers', 'Live']);
    await page.goto(`${stack.url}/dashboard/privacy`);
    await page.getByRole('heading', { name: 'For admins only' }).waitFor();
    // The API says the same, whatever the page shows.
    const status = await page.evaluate(async () => (await fetch('/v1/privacy/subjects/someone')).status);
    expect(status).toBe(403);
    await keep(page, 'viewer');
    await checkPage(page);
    expect(problems.filter((p) => !/status of 403/.test(p))).toEqual([]);
    await context.close();
  });

  it('shows an admin the data subject tools and the settings', async () => {
    const { page, problems, context } = await openPage(stack);
    await signIn(page, stack.url, 'ada');
    const nav = page.getByRole('navigation', { name: 'Views' });
    await nav.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Accounts' }).waitFor();
    expect(await page.getByRole('table', { name: 'Accounts of the dashboard' }).getByRole('row').count()).toBe(3);
    await checkPage(page);
    await keep(page, 'settings');
    await nav.getByRole('link', { name: 'Privacy' }).click();
    await page.getByRole('heading', { name: 'Data subject requests' }).waitFor();
    await checkPage(page);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('signs out: the session ends, the dashboard asks to sign in again', async () => {
    const { page, problems, context } = await openPage(stack);
    await signIn(page, stack.url, 'vic');
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${stack.url}/dashboard/login`);
    await page.goto(`${stack.url}/dashboard/funnels`);
    await page.waitForURL(/\/dashboard\/login\?next=%2Fdashboard%2Ffunnels/);
    expect(await page.evaluate(async () => (await fetch('/v1/exports/products')).status)).toBe(401);
    expect(problems.filter((p) => !/status of 401/.test(p))).toEqual([]);
    await keep(page, 'signed-out');
    await context.close();
  });

  it('refuses a change made with the session but without its CSRF token', async () => {
    const { page, context } = await openPage(stack);
    await signIn(page, stack.url, 'vic');
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    const save = (token: string | null) =>
      page.evaluate(async (csrf) => {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (csrf) headers['X-Spur-CSRF'] = csrf;
        const res = await fetch('/v1/funnels', { method: 'POST', headers, body: JSON.stringify({ name: 'From the console', steps: ['Product Viewed'] }) });
        return { status: res.status, body: await res.json() };
      }, token);
    const refused = await save(null);
    expect(refused).toEqual({ status: 403, body: { error: { code: 'csrf', message: 'a change made with a dashboard session needs its CSRF token in X-Spur-CSRF' } } });
    expect((await save('forged-token')).status).toBe(403);
    const token = await page.evaluate(async () => (await (await fetch('/dashboard/session')).json()).csrfToken as string);
    expect((await save(token)).status).toBe(201);
    await keep(page, 'csrf');
    await context.close();
  });

  it('limits failed sign-ins: after 10 for a name, even the right password waits', async () => {
    const { page, context } = await openPage(stack);
    for (let i = 0; i < 10; i++) {
      await signIn(page, stack.url, 'ada', `a wrong guess number ${i}`);
      await page.getByRole('alert').waitFor();
    }
    await signIn(page, stack.url, 'ada', PASSWORD);
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/^Too many failed sign-ins\. Try again in 1[45] minutes\.$/);
    await keep(page, 'sign-in-limited');
    // Another name is not affected.
    await signIn(page, stack.url, 'vic');
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    await context.close();
  });
});
