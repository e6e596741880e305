// Every view of the dashboard in real Chromium against the export API for the same query: the
// figures, the tables and their CSV downloads are the exports' own. Then the live view receiving a
// new event, every view at 390 px without sideways scrolling, the keyboard, and on every page:
// axe-core, the CSP and no console error.
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright';
import { addDays } from '../src/dates';
import { api, checkPage, keep, openPage, shopDay, signIn, startStack, WRITE_KEY, type Stack } from './browser';

jest.setTimeout(300_000);

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
}, 120_000);
afterAll(() => stack?.close());

// The default range: the last 30 days of the shop's calendar; the API's `to` is the day after.
const FROM = () => shopDay(29);
const TO = () => addDays(shopDay(0), 1);
const en = (n: number) => n.toLocaleString('en-US');

async function signedIn(viewport?: { width: number; height: number }) {
  const opened = await openPage(stack, viewport);
  await signIn(opened.page, stack.url, 'ada');
  await opened.page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
  return opened;
}

/** Clicks a view's CSV link and answers the file's text. */
async function download(page: Page, scope = page.locator('body')): Promise<string> {
  const [file] = await Promise.all([page.waitForEvent('download'), scope.getByRole('link', { name: /^Download CSV/ }).first().click()]);
  return readFileSync((await file.path())!, 'utf8');
}

const dataValue = async (page: Page, testId: string) => page.getByTestId(testId).getAttribute('data-value');

describe('the dashboard’s views, against the export API', () => {
  it('Overview: the figures of the last 30 days and of the 30 before, the series and its CSV', async () => {
    const { page, problems, context } = await signedIn();
    // The period's figures come first, the previous period's after them.
    await page.locator('[data-testid=stat-visitors][data-before]').waitFor();
    type Overview = { totals: { visitors: number; sessions: number; orders: number; conversionRate: number; abandonedCarts: number; recoveredCarts: number; revenue: { currency: string; revenue: number }[] }; series: { label: string; visitors: number; sessions: number; orders: number }[] };
    const now = (await api(stack.url, `/v1/exports/overview?from=${FROM()}&to=${TO()}&interval=day`)).json() as Overview;
    const before = (await api(stack.url, `/v1/exports/overview?from=${addDays(FROM(), -30)}&to=${FROM()}&interval=day`)).json() as Overview;
    expect(now.totals.orders).toBeGreaterThan(5);
    for (const [id, key] of [['visitors', 'visitors'], ['sessions', 'sessions'], ['orders', 'orders'], ['abandoned', 'abandonedCarts']] as const) {
      expect(await dataValue(page, `stat-${id}`)).toBe(String(now.totals[key]));
      expect(await page.getByTestId(`stat-${id}`).getAttribute('data-before')).toBe(String(before.totals[key]));
      expect(await page.getByTestId(`stat-${id}`).locator('.value').textContent()).toBe(en(now.totals[key]));
    }
    expect(await dataValue(page, 'stat-conversion')).toBe(String(now.totals.conversionRate));
    const eur = now.totals.revenue.find((r) => r.currency === 'EUR')!;
    expect(await dataValue(page, 'stat-revenue-EUR')).toBe(String(eur.revenue));
    expect(await page.getByTestId('stat-revenue-EUR').locator('.value').textContent()).toBe(eur.revenue.toLocaleString('en-US', { style: 'currency', currency: 'EUR' }));
    expect(await page.getByTestId('stat-abandoned').locator('.note').textContent()).toBe(`${en(now.totals.recoveredCarts)} recovered`);
    // The table: a row per day of the shop's calendar, the export's numbers.
    const rows = await page.getByTestId('overview-table').locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(rows.map((r) => r.slice(0, 4))).toEqual(now.series.map((p) => [p.label, en(p.visitors), en(p.sessions), en(p.orders)]));
    expect(rows[rows.length - 1][0]).toBe(shopDay(0));
    await page.getByRole('img', { name: /^Visitors per day: 30 points/ }).waitFor();
    expect(await download(page)).toBe((await api(stack.url, `/v1/exports/overview?from=${FROM()}&to=${TO()}&interval=day&format=csv`)).text);
    await keep(page, 'overview');
    await checkPage(page);
    // Another range through the picker: the last 7 days.
    await page.getByRole('combobox', { name: /^Period/ }).selectOption('7d');
    await page.waitForURL(new RegExp(`from=${shopDay(6)}&to=${shopDay(0)}`));
    const week = (await api(stack.url, `/v1/exports/overview?from=${shopDay(6)}&to=${TO()}&interval=day`)).json() as Overview;
    await page.waitForFunction((v) => document.querySelector('[data-testid=stat-visitors]')?.getAttribute('data-value') === v, String(week.totals.visitors));
    expect(problems).toEqual([]);
    await context.close();
  });

  it('Funnels: the shop funnel’s steps, a breakdown by device and by RFM segment, a saved funnel, the CSV', async () => {
    const { page, problems, context } = await signedIn();
    await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Funnels' }).click();
    await page.getByTestId('funnel-step-4').waitFor();
    type Funnel = { steps: { units: number }[]; segments?: { value: string; steps: { units: number }[] }[] };
    const steps = 'Product Viewed,Product Added,Checkout Started,Order Completed';
    const funnel = (await api(stack.url, `/v1/exports/funnel?from=${FROM()}&to=${TO()}&steps=${encodeURIComponent(steps)}&unit=session`)).json() as Funnel;
    for (let i = 0; i < 4; i++) expect(await page.getByTestId(`funnel-step-${i + 1}`).getAttribute('data-units')).toBe(String(funnel.steps[i].units));
    expect(await page.getByTestId('funnel-step-1').locator('.bar-text').textContent()).toBe(`${en(funnel.steps[0].units)} sessions · 100% of step 1`);
    // The step picker offers what the shop stored.
    const options = await page.locator('#step-options option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    const stored = ((await api(stack.url, '/v1/exports/steps')).json() as { step: string }[]).map((s) => s.step);
    expect(options).toEqual(stored);
    expect(options).toEqual(expect.arrayContaining(['Product Viewed', 'Order Completed', 'page:/product.html']));
    await keep(page, 'funnels');
    await checkPage(page);

    await page.getByLabel('Breakdown').selectOption('device');
    await page.getByTestId('funnel-segments').waitFor();
    const byDevice = (await api(stack.url, `/v1/exports/funnel?from=${FROM()}&to=${TO()}&steps=${encodeURIComponent(steps)}&unit=session&by=device`)).json() as Funnel;
    const segments = await page.getByTestId('funnel-segments').locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 5).map((td) => td.textContent)));
    expect(segments).toEqual(byDevice.segments!.map((s) => [s.value, ...s.steps.map((x) => en(x.units))]));
    expect(await download(page, page.locator('.funnel-result'))).toBe(
      (await api(stack.url, `/v1/exports/funnel?from=${FROM()}&to=${TO()}&steps=${encodeURIComponent(steps)}&unit=session&by=device&format=csv`)).text,
    );
    // By the RFM segment of each session's customer (as of the range's end), as the export has it.
    await page.getByLabel('Breakdown').selectOption('segment');
    await page.waitForURL(/by=segment/);
    const bySegment = (await api(stack.url, `/v1/exports/funnel?from=${FROM()}&to=${TO()}&steps=${encodeURIComponent(steps)}&unit=session&by=segment`)).json() as Funnel;
    expect(bySegment.segments!.length).toBeGreaterThan(1);
    await page.waitForFunction((v) => document.querySelector('[data-testid=funnel-segments] tbody td')?.textContent === v, bySegment.segments![0].value);
    const rfmRows = await page.getByTestId('funnel-segments').locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 5).map((td) => td.textContent)));
    expect(rfmRows).toEqual(bySegment.segments!.map((s) => [s.value, ...s.steps.map((x) => en(x.units))]));
    expect(await page.getByTestId('funnel-segments').locator('thead th').first().textContent()).toBe('RFM segment');
    await page.getByLabel('Breakdown').selectOption('device');
    await page.waitForURL(/by=device/);

    // A funnel of page paths, by visitor, saved by name.
    const stepInputs = page.locator('ol.steps input');
    await stepInputs.nth(0).fill('page:/product.html');
    await page.getByRole('button', { name: 'Remove step 2' }).click();
    await page.getByRole('button', { name: 'Remove step 2' }).click();
    await page.getByRole('button', { name: 'Show funnel' }).click();
    await page.getByLabel('Unit').selectOption('visitor');
    await page.waitForURL(/unit=visitor/);
    const paths = (await api(stack.url, `/v1/exports/funnel?from=${FROM()}&to=${TO()}&steps=${encodeURIComponent('page:/product.html,Order Completed')}&unit=visitor&by=device`)).json() as Funnel;
    await page.waitForFunction((v) => document.querySelector('[data-testid=funnel-step-2]')?.getAttribute('data-units') === v, String(paths.steps[1].units));
    expect(await page.getByTestId('funnel-step-1').getAttribute('data-units')).toBe(String(paths.steps[0].units));
    await page.getByLabel('Save this funnel as').fill('Product page to order');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('button', { name: 'Product page to order', exact: true }).waitFor();
    const saved = (await api(stack.url, '/v1/funnels')).json() as { funnels: { name: string; steps: string[]; unit: string; by: string; createdBy: string }[] };
    expect(saved.funnels).toEqual([expect.objectContaining({ name: 'Product page to order', steps: ['page:/product.html', 'Order Completed'], unit: 'visitor', by: 'device', createdBy: 'ada' })]);
    await checkPage(page);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('Carts: the abandoned carts of the period, recovered or not, and their CSV', async () => {
    const { page, problems, context } = await signedIn();
    await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Carts' }).click();
    await page.getByTestId('carts-table').waitFor();
    const carts = (await api(stack.url, `/v1/exports/abandoned-carts?from=${FROM()}&to=${TO()}`)).json() as { recovered: boolean; value: number; customerId: string | null }[];
    expect(carts.length).toBeGreaterThan(3);
    expect(carts.some((c) => c.recovered)).toBe(true);
    expect(await dataValue(page, 'stat-carts')).toBe(String(carts.length));
    expect(await dataValue(page, 'stat-recovered')).toBe(String(carts.filter((c) => c.recovered).length));
    const value = Math.round(carts.reduce((s, c) => s + c.value, 0) * 100) / 100;
    expect(await dataValue(page, 'stat-cart-value-EUR')).toBe(String(value));
    expect(await page.getByTestId('carts-table').locator('tbody tr').count()).toBe(carts.length);
    const values = await page.getByTestId('carts-table').locator('tbody td[data-label="Value"]').allTextContents();
    expect(values.sort()).toEqual(carts.map((c) => c.value.toLocaleString('en-US', { style: 'currency', currency: 'EUR' })).sort());
    expect(await download(page, page.getByTestId('carts-table'))).toBe((await api(stack.url, `/v1/exports/abandoned-carts?from=${FROM()}&to=${TO()}&format=csv`)).text);
    // The answer per cart in the table, as the export joins it.
    const answers = await page.getByTestId('carts-table').locator('tbody td[data-label="Reason"]').allTextContents();
    const joined = (carts as unknown as { surveyAnswer: string | null; surveyText: string | null }[]).map((c) => (c.surveyAnswer === null ? '–' : `${c.surveyAnswer.replace(/_/g, ' ')}${c.surveyText ?? ''}`));
    expect(joined.filter((a) => a !== '–').length).toBeGreaterThan(3);
    expect(answers.sort()).toEqual(joined.sort());
    await keep(page, 'carts');
    await checkPage(page);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('Carts: why carts are left, the answers weighted by lost cart value as the reasons export has them, and its CSV', async () => {
    const { page, problems, context } = await signedIn();
    await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Carts' }).click();
    await page.locator('[data-testid=cart-reasons] .reasons-chart').first().waitFor();
    type Reason = { surveyId: string; answer: string | null; answers: number; abandonedCarts: number; recoveredCarts: number; lostValue: { currency: string; value: number; share: number | null }[]; surveyShown: number; surveyAnswered: number; surveyDismissed: number };
    const reasons = (await api(stack.url, `/v1/exports/cart-reasons?from=${FROM()}&to=${TO()}`)).json() as Reason[];
    // The demo history's survey: shown, answered and dismissed, answers with lost carts.
    expect(reasons.length).toBeGreaterThan(2);
    expect(reasons.filter((r) => r.abandonedCarts > 0).length).toBeGreaterThan(2);
    const survey = page.getByTestId(`survey-${reasons[0].surveyId}`);
    expect([await survey.getAttribute('data-shown'), await survey.getAttribute('data-answered'), await survey.getAttribute('data-dismissed')]).toEqual(
      [reasons[0].surveyShown, reasons[0].surveyAnswered, reasons[0].surveyDismissed].map(String),
    );
    for (const r of reasons) {
      for (const lost of r.lostValue) {
        const bar = page.getByTestId(`reason-${r.surveyId}-${r.answer}-${lost.currency}`);
        expect([await bar.getAttribute('data-value'), await bar.getAttribute('data-share'), await bar.getAttribute('data-carts'), await bar.getAttribute('data-answers')]).toEqual([
          String(lost.value),
          lost.share === null ? '' : String(lost.share),
          String(r.abandonedCarts),
          String(r.answers),
        ]);
        expect(await bar.locator('.bar-text strong').textContent()).toBe(lost.value.toLocaleString('en-US', { style: 'currency', currency: lost.currency }));
        const width = Number(await bar.locator('rect.bar-fill').getAttribute('width'));
        expect(width).toBeCloseTo(Math.max((lost.share ?? 0) * 1000, (lost.share ?? 0) > 0 ? 4 : 0), 0);
      }
    }
    expect(await download(page, page.getByTestId('cart-reasons'))).toBe((await api(stack.url, `/v1/exports/cart-reasons?from=${FROM()}&to=${TO()}&format=csv`)).text);
    await keep(page, 'carts-reasons');
    await checkPage(page);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('Products: views, adds, orders, conversion and revenue per product, and their CSV', async () => {
    const { page, problems, context } = await signedIn();
    await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Products' }).click();
    await page.getByTestId('products-table').waitFor();
    const products = (await api(stack.url, `/v1/exports/products?from=${FROM()}&to=${TO()}`)).json() as { name: string; views: number; adds: number; orders: number }[];
    const rows = await page.getByTestId('products-table').locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 4).map((td) => td.textContent)));
    const byViews = [...products].sort((a, b) => b.views - a.views);
    expect(rows.map((r) => r[0]).sort()).toEqual(products.map((p) => p.name).sort());
    expect(rows.map((r) => r.slice(1).join('/'))).toEqual(byViews.map((p) => [en(p.views), en(p.adds), en(p.orders)].join('/')));
    // Sorted by another column from its header (a button: the keyboard reaches it).
    await page.getByTestId('products-table').getByRole('button', { name: 'Orders', exact: true }).click();
    const orders = await page.getByTestId('products-table').locator('tbody td[data-label="Orders"]').allTextContents();
    expect(orders).toEqual([...products].sort((a, b) => b.orders - a.orders).map((p) => en(p.orders)));
    expect(await download(page)).toBe((await api(stack.url, `/v1/exports/products?from=${FROM()}&to=${TO()}&format=csv`)).text);
    // Bought together: the products-together export's pairs, most orders first, and its CSV.
    type Pair = { nameA: string; nameB: string; orders: number; lift: number };
    const pairs = (await api(stack.url, `/v1/exports/products-together?from=${FROM()}&to=${TO()}`)).json() as Pair[];
    expect(pairs.length).toBeGreaterThan(0);
    const pairRows = await page.getByTestId('pairs-table').locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent)));
    expect(pairRows.map((r) => r[2])).toEqual(pairs.map((p) => en(p.orders)));
    expect(pairRows.map((r) => `${r[0]} + ${r[1]}`).sort()).toEqual(pairs.map((p) => `${p.nameA} + ${p.nameB}`).sort());
    const lifts = await page.getByTestId('pairs-table').locator('tbody td[data-label="Lift"]').allTextContents();
    expect(lifts.sort()).toEqual(pairs.map((p) => p.lift.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })).sort());
    expect(await download(page, page.getByTestId('pairs-table'))).toBe((await api(stack.url, `/v1/exports/products-together?from=${FROM()}&to=${TO()}&format=csv`)).text);
    await keep(page, 'products');
    await checkPage(page);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('Customers: the RFM grid and segments, a segment’s customers with their predictions, the model’s holdout check', async () => {
    const { page, problems, context } = await signedIn();
    await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Customers' }).click();
    await page.getByTestId('segment-grid').waitFor();
    type Segments = { customers: number; segments: { segment: string; customers: number }[]; grid: { recency: number; fm: number; segment: string; customers: number }[] };
    const segments = (await api(stack.url, '/v1/exports/segments')).json() as Segments;
    expect(segments.customers).toBeGreaterThan(20);
    expect(await dataValue(page, 'segment-customers')).toBe(String(segments.customers));
    const cells = await page.getByTestId('segment-grid').locator('td').evaluateAll((tds) => tds.map((td) => [Number(td.getAttribute('data-recency')), Number(td.getAttribute('data-fm')), td.querySelector('.name')!.textContent, Number(td.getAttribute('data-customers'))]));
    expect(cells).toEqual(segments.grid.map((c) => [c.recency, c.fm, c.segment, c.customers]));
    const rows = await page.getByTestId('segments-table').locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 2).map((td) => td.textContent)));
    expect(rows).toEqual(segments.segments.map((s) => [s.segment, en(s.customers)]));
    expect(await download(page, page.getByTestId('segments-table'))).toBe((await api(stack.url, '/v1/exports/segments?format=csv')).text);

    // The largest segment, chosen in the grid: its customers, most value expected first.
    const largest = [...segments.segments].sort((a, b) => b.customers - a.customers)[0].segment;
    await page.getByTestId('segment-grid').getByRole('button', { name: new RegExp(`${largest}$`) }).first().click();
    await page.waitForURL((url) => url.searchParams.get('segment') === largest);
    await page.getByTestId('segment-list').waitFor();
    type Customer = { customerId: string; pAlive: number | null; expectedValue365d: number | null };
    const customers = (await api(stack.url, `/v1/exports/customers?segment=${encodeURIComponent(largest)}`)).json() as Customer[];
    expect(customers.length).toBe(segments.segments.find((s) => s.segment === largest)!.customers);
    // The list is drawn once its export has answered: wait for its last row, not only the table.
    await page.getByTestId('segment-list').locator('tbody tr').nth(customers.length - 1).waitFor();
    const listed = await page.getByTestId('segment-list').locator('tbody tr').evaluateAll((trs) => trs.map((tr) => ['Customer', 'P(alive)'].map((label) => tr.querySelector(`td[data-label="${label}"]`)!.textContent)));
    const percent = (x: number | null) => (x === null ? '–' : x.toLocaleString('en-US', { style: 'percent', maximumFractionDigits: 1 }));
    expect(listed.map(([id, p]) => `${id!.replace(/ \(guest\)$/, '')} ${p}`).sort()).toEqual(customers.map((c) => `${c.customerId} ${percent(c.pAlive)}`).sort());
    expect(customers.some((c) => c.pAlive !== null)).toBe(true);
    expect(await download(page, page.getByTestId('segment-list'))).toBe((await api(stack.url, `/v1/exports/customers?segment=${encodeURIComponent(largest)}&format=csv`)).text);

    // The purchase model's holdout check: fitted up to three weeks before yesterday, checked up to yesterday.
    const holdoutEnd = shopDay(1);
    const calibrationEnd = addDays(holdoutEnd, -21);
    const model = await api(stack.url, `/v1/insights/purchase-model?calibrationEnd=${calibrationEnd}&holdoutEnd=${holdoutEnd}`);
    expect(model.status).toBe(200);
    type Model = { customers: number; holdout: { cumulative: { week: number }[]; byFrequency: { frequency: number | string; customers: number }[] } };
    const fit = model.json() as Model;
    await page.getByTestId('model-frequency').waitFor();
    expect(await dataValue(page, 'model-customers')).toBe(String(fit.customers));
    const weeks = fit.holdout.cumulative;
    await page.getByRole('img', { name: new RegExp(`^Repeat purchases, cumulative, per week: ${weeks.length} points from week 1 to week ${weeks[weeks.length - 1].week}`) }).waitFor();
    expect(await page.getByTestId('model-check').locator('path.series').count()).toBe(2);
    const bins = await page.getByTestId('model-frequency').locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 2).map((td) => td.textContent)));
    expect(bins).toEqual(fit.holdout.byFrequency.map((b) => [String(b.frequency), en(b.customers)]));
    await keep(page, 'customers');
    await checkPage(page);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('One customer: profile, segment, prediction and the whole history; access and erasure for admins only', async () => {
    type Row = { customerId: string; orders: number; segment: string | null; pAlive: number | null };
    const repeat = ((await api(stack.url, '/v1/exports/customers')).json() as Row[]).find((c) => c.orders >= 2 && c.pAlive !== null)!;
    expect(repeat).toBeDefined();
    const id = repeat.customerId;
    type History = { customerIds: string[]; anonymousIds: string[]; eventCount: number; summary: { orders: number; segment: string; pAlive: number }; events: { timestamp: string }[] };
    const history = (await api(stack.url, `/v1/customers/${encodeURIComponent(id)}/history`)).json() as History;

    // A viewer sees the customer, without the data subject tools.
    const viewer = await openPage(stack);
    await signIn(viewer.page, stack.url, 'vic');
    await viewer.page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    await viewer.page.goto(`${stack.url}/dashboard/customer?id=${encodeURIComponent(id)}`);
    await viewer.page.getByTestId('history-table').waitFor();
    expect(await viewer.page.getByRole('heading', { name: 'Erase' }).count()).toBe(0);
    expect(viewer.problems).toEqual([]);
    await viewer.context.close();

    // An admin reaches the customer from its segment's list.
    const { page, problems, context } = await signedIn();
    await page.goto(`${stack.url}/dashboard/customers?segment=${encodeURIComponent(repeat.segment!)}`);
    await page.getByTestId('segment-list').getByRole('link', { name: id, exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/dashboard/customer' && url.searchParams.get('id') === id);
    await page.getByTestId('history-table').waitFor();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(`Customer ${id}`);
    expect(await page.getByTestId('customer-ids').textContent()).toBe(history.customerIds.join(', '));
    expect(await page.getByTestId('anonymous-ids').textContent()).toBe(history.anonymousIds.join(', '));
    expect(await dataValue(page, 'customer-orders')).toBe(String(history.summary.orders));
    expect(await dataValue(page, 'customer-segment')).toBe(history.summary.segment);
    expect(await dataValue(page, 'customer-p-alive')).toBe(String(history.summary.pAlive));
    const times = await page.getByTestId('history-table').locator('tbody td[data-label="Time"]').allTextContents();
    expect(times).toHaveLength(Math.min(history.eventCount, 500));
    expect(times[0]).toBe(new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Berlin', dateStyle: 'short', timeStyle: 'medium' }).format(Date.parse(history.events[0].timestamp)));
    expect(await download(page, page.getByTestId('history-table'))).toBe((await api(stack.url, `/v1/exports/history?customer=${encodeURIComponent(id)}&format=csv`)).text);
    await keep(page, 'customer');
    await checkPage(page);

    // The access document, then erasure: the history is gone.
    const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download everything stored (JSON)' }).click()]);
    expect(JSON.parse(readFileSync((await file.path())!, 'utf8'))).toMatchObject({ subject: { customerId: id } });
    await page.getByLabel('Type the id again to erase it; this cannot be undone').fill(id);
    await page.getByRole('button', { name: 'Erase everything about this customer' }).click();
    await page.getByText(`Erased ${id}.`).waitFor();
    expect((await api(stack.url, `/v1/customers/${encodeURIComponent(id)}/history`)).status).toBe(404);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('Live: a new event appears as it is committed', async () => {
    const { page, problems, context } = await signedIn();
    await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Live' }).click();
    await page.getByText('Receiving events as they arrive.').waitFor();
    // The feed starts from where the events stand when it is opened: give its first read a moment.
    await page.waitForTimeout(1500);
    const messageId = `live-${Date.now()}`;
    const res = await fetch(`${stack.url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}` },
      body: JSON.stringify({ batch: [{ type: 'track', event: 'Product Viewed', messageId, anonymousId: 'live-visitor', timestamp: new Date().toISOString(), context: { page: { path: '/product.html' } } }] }),
    });
    expect(res.status).toBe(200);
    const row = page.locator(`tr[data-message-id="${messageId}"]`);
    await row.waitFor({ timeout: 10_000 });
    expect(await row.locator('td').allTextContents()).toEqual([expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/), 'Product Viewed', '/product.html', 'unknown', 'live-visitor']);
    await keep(page, 'live');
    await checkPage(page);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('works at 390 px without scrolling sideways, on every view', async () => {
    const { page, problems, context } = await signedIn({ width: 390, height: 844 });
    for (const view of ['overview', 'funnels', 'carts', 'products', 'customers', 'live', 'privacy', 'settings']) {
      await page.goto(`${stack.url}/dashboard/${view}`);
      await page.locator('main h1').waitFor();
      await page.waitForLoadState('networkidle').catch(() => undefined);
      await page.waitForFunction(() => !document.querySelector('.status.loading'));
      expect({ view, width: await page.evaluate(() => document.documentElement.scrollWidth) }).toEqual({ view, width: 390 });
      if (view === 'overview' || view === 'funnels' || view === 'customers') await keep(page, `phone-${view}`);
      await checkPage(page);
    }
    expect(problems).toEqual([]);
    await context.close();
  });

  it('is usable with the keyboard: skip link, navigation, controls', async () => {
    const { page, context } = await signedIn();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    // Tab on to the navigation's Funnels link and follow it with Enter.
    for (let i = 0; i < 10 && (await page.evaluate(() => document.activeElement?.textContent)) !== 'Funnels'; i++) await page.keyboard.press('Tab');
    // Where the focus is at the moment the new view's heading enters the document (a mutation
    // observer's callback runs before the page gets another task): already on the heading, so a
    // screen reader announces it and no key pressed meanwhile goes to the link left behind.
    const focusOnArrival = page.evaluate(
      () =>
        new Promise<string | undefined>((resolve) => {
          const observer = new MutationObserver(() => {
            const h1 = document.querySelector('main h1');
            if (h1?.textContent !== 'Funnels') return;
            observer.disconnect();
            resolve(document.activeElement?.tagName);
          });
          observer.observe(document.body, { childList: true, subtree: true, characterData: true });
        }),
    );
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Funnels', level: 1 }).waitFor();
    expect(await focusOnArrival).toBe('H1');
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('H1');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (document.activeElement as HTMLElement).closest('label')?.textContent)).toContain('Period');
    await keep(page, 'keyboard');
    await context.close();
  });
});
