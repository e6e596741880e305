// The exit survey in real Chromium: the one spur.js tag with data-survey (or spur('survey', {...}),
// queued before spur.js or called after), spur.js importing spur-survey.js from the collector
// once the visitor could be asked (a cart, consent) and no sooner, the dialog chunk imported when
// it is about to ask, the events stored by the collector. Desktop (pointer leaving through the
// top) and touch (back to the tab after leaving it idle), once per visitor in everyDays, the
// keyboard, a strict CSP; and the chunk's own tag, alone and beside spur.js's data-survey.
import type { Browser, BrowserContext, Page } from 'playwright';
import { built, spurLoaded, useHarness, type Harness, type PageOptions } from './harness';

jest.setTimeout(60000);

let h: Harness;
let browser: Browser;
let context: BrowserContext;
/** Paths of the chunks the pages requested. */
let chunks: string[];
useHarness((s) => ({ h, browser } = s));

const survey = {
  id: 'why-leave',
  question: 'What stops you from ordering today?',
  options: [
    { value: 'shipping', label: 'Shipping costs' },
    { value: 'price', label: 'The price' },
    { value: 'comparing', label: 'Still comparing' },
  ],
  freeText: { label: 'Anything else?' },
};

const button = `<button id="mine">the shop's button</button>`;
/** The chunk's own tag, as shops added it before spur.js loaded its chunks. */
const chunkTag = (config: object) => `<script async src="/spur-survey.js" data-survey='${JSON.stringify(config)}'></script>`;

/**
 * A page with the survey `config`: on spur.js's tag (data-survey), or with `form` 'chunk' on
 * spur-survey.js's own tag, or with 'both' on each; null: none.
 */
async function open(o: PageOptions = {}, config: object | null = survey, form: 'spur' | 'chunk' | 'both' = 'spur'): Promise<Page> {
  const page = await context.newPage();
  const data: Record<string, string> = config && form != 'chunk' ? { survey: JSON.stringify(config) } : {};
  const body = button + (config && form != 'spur' ? chunkTag(config) : '');
  await page.goto(h.pageUrl({ init: { flushInterval: 100 }, body, ...o, data: { ...data, ...o.data } }));
  await spurLoaded(page);
  await page.waitForLoadState('load');
  return page;
}

/** Waits until the survey's watcher runs (spur-survey.js loaded and started). */
const watching = (page: Page) => page.waitForFunction(() => (window as any).spur.W === 1);

const spur = (page: Page, method: string, ...args: unknown[]) =>
  page.evaluate(([method, args]) => (window as any).spur[method as string](...(args as unknown[])), [method, args] as const);

const fill = (page: Page) => spur(page, 'productAdded', { product_id: 'p1', price: 19.99, quantity: 2, currency: 'EUR' });

/** The pointer leaves the page through its top edge. */
const exit = (page: Page) =>
  page.evaluate(() => document.documentElement.dispatchEvent(new MouseEvent('mouseout', { bubbles: true, clientY: -2, relatedTarget: null })));

const dialog = (page: Page) => page.locator('[data-spur-survey]').getByRole('dialog');

/** The survey events the collector stored for the page's visitor, with their properties. */
async function events(page: Page, n: number): Promise<{ event: string; properties: Record<string, unknown> }[]> {
  const { anonymousId } = await spur(page, 'user');
  await spur(page, 'flush');
  let found: { event: string; properties: Record<string, unknown> }[] = [];
  // (Polling the collector's store: nothing signals "stored".)
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline) {
    found = ((await h.storage.getProfileEvents(anonymousId)) ?? [])
      .filter((e) => String(e.event).startsWith('Survey'))
      .map((e) => ({ event: String(e.event), properties: e.properties as Record<string, unknown> }));
    if (found.length >= n) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return found;
}

(built ? describe : describe.skip)('spur-survey.js', () => {
  beforeEach(async () => {
    chunks = [];
    context = await browser.newContext();
    context.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      if (path.startsWith('/spur-survey')) chunks.push(path);
    });
  });
  afterEach(() => context.close());

  it('asks a desktop visitor with a cart who leaves through the top, answered with the keyboard, focus inside and back', async () => {
    const page = await open();
    await page.waitForTimeout(300);
    expect(chunks).toEqual([]); // no survey code while the cart is empty
    await fill(page);
    await watching(page);
    await page.focus('#mine');
    await exit(page);
    await dialog(page).waitFor();
    expect(chunks).toEqual(['/spur-survey.js', '/spur-survey-dialog.js']);
    const d = dialog(page);
    expect(await d.getAttribute('aria-modal')).toBe('true');
    expect(await page.getByRole('dialog', { name: survey.question }).count()).toBe(1);
    expect(await page.getByRole('radio', { name: 'Shipping costs' }).evaluate((el) => el === (el.getRootNode() as ShadowRoot).activeElement)).toBe(true);
    // Tab cycles inside: radio group, text, submit, close, back to the radio group.
    const focused = () => page.evaluate(() => {
      const root = document.querySelector('[data-spur-survey]')!.shadowRoot!;
      const el = root.activeElement as HTMLElement;
      return `${el.tagName.toLowerCase()}${el.getAttribute('type') ? ':' + el.getAttribute('type') : ''}`;
    });
    const seen: string[] = [];
    for (let i = 0; i < 5; i++) await page.keyboard.press('Tab'), seen.push(await focused());
    expect(seen).toEqual(['textarea', 'button:submit', 'button:button', 'input:radio', 'textarea']);
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('ArrowDown'); // the second option
    await page.keyboard.press('Tab');
    await page.keyboard.type('  The delivery date is too late. ');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await d.waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('mine');
    const cart = { survey_id: 'why-leave', question: survey.question, cart_value: 39.98, currency: 'EUR', items: 1 };
    const stored = await events(page, 2);
    expect(stored).toMatchObject([
      { event: 'Survey Shown', properties: cart },
      { event: 'Survey Answered', properties: { ...cart, answer: 'price', text: 'The delivery date is too late.' } },
    ]);
    const cartId = await page.evaluate(() => JSON.parse(localStorage.getItem('spur_cart_id')!));
    expect(stored.map((e) => e.properties.cart_id)).toEqual([cartId, cartId]);
    // Once per page.
    await exit(page);
    await page.waitForTimeout(300);
    expect(await dialog(page).count()).toBe(0);
  });

  it('Esc dismisses (Survey Dismissed); free text is cut at 500 characters by the field', async () => {
    const page = await open();
    await fill(page);
    await watching(page);
    await exit(page);
    await dialog(page).waitFor();
    expect(await page.getByRole('textbox', { name: 'Anything else?' }).getAttribute('maxlength')).toBe('500');
    await page.keyboard.press('Escape');
    await dialog(page).waitFor({ state: 'detached' });
    expect((await events(page, 2)).map((e) => e.event)).toEqual(['Survey Shown', 'Survey Dismissed']);
  });

  it('asks nobody with an empty cart, and loads no survey code for them', async () => {
    const page = await open();
    await exit(page);
    await page.waitForTimeout(500);
    expect(await dialog(page).count()).toBe(0);
    expect(chunks).toEqual([]);
    // Not after another event either (each event checks).
    await spur(page, 'track', 'Looked Around');
    await page.waitForTimeout(300);
    expect(chunks).toEqual([]);
  });

  it('asks nobody with an empty cart when the chunk has its own tag, and loads no dialog for them', async () => {
    const page = await open({}, survey, 'chunk');
    await watching(page);
    await exit(page);
    await page.waitForTimeout(500);
    expect(await dialog(page).count()).toBe(0);
    expect(chunks).toEqual(['/spur-survey.js']);
  });

  it('asks a visitor at most once in everyDays', async () => {
    let page = await open({}, { ...survey, everyDays: 7 });
    await fill(page);
    await watching(page);
    await exit(page);
    await dialog(page).waitFor();
    await page.keyboard.press('Escape');
    await page.reload();
    await page.waitForLoadState('load');
    await watching(page); // the cart is still full
    await exit(page);
    await page.waitForTimeout(500);
    expect(await dialog(page).count()).toBe(0);
    // Eight days later.
    await page.evaluate(() => localStorage.setItem('spur_survey', String(Number(localStorage.getItem('spur_survey')) - 8 * 864e5)));
    page = await open({}, { ...survey, everyDays: 7 });
    await watching(page);
    await exit(page);
    await dialog(page).waitFor();
  });

  it('asks nobody before consent where it is required, and loads no survey code before; asks once it is granted', async () => {
    const page = await open({ data: { consent: 'required' } });
    await fill(page);
    await exit(page);
    await page.waitForTimeout(500);
    expect(await dialog(page).count()).toBe(0);
    expect(chunks).toEqual([]);
    await spur(page, 'consent', 'granted');
    await watching(page);
    await exit(page);
    await dialog(page).waitFor();
  });

  it('on a touch device, asks a visitor who comes back after leaving the tab idle, not one who left right after a tap', async () => {
    await context.close();
    context = await browser.newContext({ hasTouch: true, isMobile: true, viewport: { width: 390, height: 800 } });
    const page = await open({}, { ...survey, touchIdleSeconds: 1 });
    expect(await page.evaluate(() => matchMedia('(pointer: coarse)').matches)).toBe(true);
    await fill(page);
    await watching(page);
    const visibility = (state: string) =>
      page.evaluate((state) => {
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
        document.dispatchEvent(new Event('visibilitychange'));
      }, state);
    await page.tap('#mine');
    await visibility('hidden');
    await visibility('visible');
    await page.waitForTimeout(300);
    expect(await dialog(page).count()).toBe(0);
    await page.waitForTimeout(1100);
    await visibility('hidden');
    expect(await dialog(page).count()).toBe(0);
    await visibility('visible');
    await dialog(page).waitFor();
    await page.getByRole('radio', { name: 'Still comparing' }).tap();
    await page.getByRole('button', { name: 'Send' }).tap();
    expect((await events(page, 2)).map((e) => [e.event, e.properties.answer])).toEqual([
      ['Survey Shown', undefined],
      ['Survey Answered', 'comparing'],
    ]);
  });

  it("works under a strict CSP (script-src 'self', style-src 'self'), themed through --spur-survey-* properties", async () => {
    const violations: string[] = [];
    context.on('console', (m) => /Content Security Policy/.test(m.text()) && violations.push(m.text()));
    const page = await open({ csp: "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'" });
    page.on('console', (m) => /Content Security Policy/.test(m.text()) && violations.push(m.text()));
    await fill(page);
    await watching(page);
    await page.evaluate(() => document.documentElement.style.setProperty('--spur-survey-bg', 'rgb(1, 2, 3)'));
    await exit(page);
    await dialog(page).waitFor();
    const look = await dialog(page).evaluate((el) => {
      const s = getComputedStyle(el);
      return { bg: s.backgroundColor, font: s.fontFamily, backdrop: getComputedStyle(el.parentElement!).position };
    });
    expect(look).toEqual({ bg: 'rgb(1, 2, 3)', font: await page.evaluate(() => getComputedStyle(document.body).fontFamily), backdrop: 'fixed' });
    // The page's own inline stub is refused; nothing of spur's is.
    expect(violations.filter((v) => !/inline script/i.test(v))).toEqual([]);
  });

  it('with its own tag: takes spur("survey", {...}) once loaded, and warns about a survey it cannot use', async () => {
    const warnings: string[] = [];
    context.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
    const page = await open({}, { id: 'broken', question: 'Why?' }, 'chunk');
    await watching(page);
    expect(warnings).toContain('[spur] the survey needs options: [{ value, label }, ...] (strings)');
    await page.evaluate((s) => (window as any).spur('survey', s), { ...survey, id: 'later' });
    await fill(page);
    await exit(page);
    await dialog(page).waitFor();
    expect((await events(page, 1))[0].properties.survey_id).toBe('later');
  });

  it('takes spur("survey", {...}) queued in the stub before spur.js loaded', async () => {
    const page = await open({ queued: [['survey', { ...survey, id: 'queued' }]] }, null);
    await page.waitForTimeout(300);
    expect(chunks).toEqual([]);
    await fill(page);
    await watching(page);
    await exit(page);
    await dialog(page).waitFor();
    expect((await events(page, 1))[0].properties.survey_id).toBe('queued');
  });

  it('takes spur("survey", {...}) called after spur.js loaded, with the cart already full', async () => {
    const page = await open({}, null);
    await fill(page);
    await page.waitForTimeout(300);
    expect(chunks).toEqual([]);
    await page.evaluate((s) => (window as any).spur('survey', s), { ...survey, id: 'after' });
    await watching(page);
    await exit(page);
    await dialog(page).waitFor();
    expect((await events(page, 1))[0].properties.survey_id).toBe('after');
  });

  it("asks once with both forms on the page (the chunk's tag and data-survey on spur.js)", async () => {
    const page = await open({}, survey, 'both');
    await fill(page);
    await watching(page);
    await page.waitForTimeout(300); // spur.js's import() of the chunk too
    await exit(page);
    await dialog(page).waitFor();
    await page.keyboard.press('Escape');
    await exit(page);
    await page.waitForTimeout(300);
    expect(await dialog(page).count()).toBe(0);
    expect(await page.locator('[data-spur-survey]').count()).toBe(0);
    await spur(page, 'track', 'Marker');
    const stored = await events(page, 2);
    await page.waitForTimeout(300);
    expect((await events(page, 2)).map((e) => e.event)).toEqual(['Survey Shown', 'Survey Dismissed']);
    expect(stored.length).toBe(2);
  });
});
