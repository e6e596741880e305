// The Webhooks page in real Chromium: an admin adds an endpoint (its secret shown once, the
// receiver verifying deliveries with it), sees its deliveries, rotates the secret and removes it;
// a viewer has no such page. axe-core, the CSP and no console error on the way.
import { startReceiver, verifies, type Receiver } from '../../collector/test/webhooks/receiver';
import { api, checkPage, keep, openPage, signIn, startStack, WRITE_KEY, type Stack } from './browser';

jest.setTimeout(120_000);

let stack: Stack;
let receiver: Receiver;
beforeAll(async () => {
  stack = await startStack({ history: false, webhooksAllowPrivate: true });
  receiver = await startReceiver();
}, 120_000);
afterAll(async () => {
  await receiver?.close();
  await stack?.close();
});

async function order(id: string) {
  const res = await fetch(`${stack.url}/v1/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}` },
    body: JSON.stringify({ batch: [{ type: 'track', event: 'Order Completed', messageId: id, userId: 'c-1', timestamp: new Date().toISOString(), properties: { order_id: id, total: 8, currency: 'EUR' } }] }),
  });
  expect(res.status).toBe(200);
}

describe('the Webhooks page', () => {
  it('adds an endpoint, shows its secret once and its deliveries, rotates and removes it', async () => {
    const { page, problems, context } = await openPage(stack);
    await signIn(page, stack.url, 'ada');
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
    await page.getByLabel('Receiver URL').fill(receiver.url);
    await page.getByLabel(/Cart abandoned/).check();
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const secret = (await page.getByTestId('webhook-secret').locator('pre').textContent())!;
    expect(secret).toMatch(/^whsec_/);
    const row = page.locator('[data-testid=webhook-endpoints] tbody tr');
    await row.first().waitFor();
    expect(await row.count()).toBe(1);
    expect(await row.locator('td[data-label="Sends"]').textContent()).toBe('order.completed, cart.abandoned');
    const [{ endpoints }] = [(await api(stack.url, '/v1/webhooks')).json() as { endpoints: { id: string }[] }];
    expect(endpoints).toHaveLength(1);
    await checkPage(page);

    await order('dash-order-1');
    const [d] = await receiver.until(1);
    expect(verifies(secret, d)).toBe(true);
    await page.getByRole('button', { name: 'Deliveries' }).click();
    await page.locator('[data-testid=webhook-attempts] tbody tr').first().waitFor();
    expect(await page.locator('[data-testid=webhook-attempts] td[data-label="webhook-id"]').first().textContent()).toBe(d.id);
    await keep(page, 'webhooks');
    await checkPage(page);

    await page.getByRole('button', { name: 'I have kept it' }).click();
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await page.getByRole('heading', { name: 'New signing secret' }).waitFor();
    const fresh = (await page.getByTestId('webhook-secret').locator('pre').textContent())!;
    expect(fresh).not.toBe(secret);
    await order('dash-order-2');
    const [, second] = await receiver.until(2);
    expect(verifies(fresh, second)).toBe(true);

    await page.getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('button', { name: 'Confirm removal' }).click();
    await page.getByText('No endpoints yet.').waitFor();
    expect(((await api(stack.url, '/v1/webhooks')).json() as { endpoints: unknown[] }).endpoints).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('shows a refused target’s reason, and is for admins only', async () => {
    const { page, context } = await openPage(stack);
    await signIn(page, stack.url, 'vic');
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Webhooks' }).count()).toBe(0);
    await page.goto(`${stack.url}/dashboard/webhooks`);
    await page.getByRole('heading', { name: 'For admins only' }).waitFor();
    await context.close();

    const admin = await openPage(stack);
    await signIn(admin.page, stack.url, 'ada');
    await admin.page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    await admin.page.goto(`${stack.url}/dashboard/webhooks`);
    await admin.page.getByLabel('Receiver URL').fill('ftp://example.com/hooks');
    await admin.page.getByRole('button', { name: 'Add endpoint' }).click();
    await admin.page.getByRole('alert').waitFor();
    expect(await admin.page.getByRole('alert').textContent()).toContain('only http and https');
    await admin.context.close();
  });
});
