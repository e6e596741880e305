// A collector that has just started on a database full of events answers exports only once its
// analytics cache has read them all. The dashboard opened meanwhile says so, with how far it is,
// instead of a blank page, and shows the figures when the cache is done. The catch-up is held
// back by a gate on the real storage's reads, so that the moment is certain on a busy machine.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addAccount, createCollector, openStorage, startServer, type Storage } from '@spur/collector';
import { launchChromium } from '@spur/journeys';
import { addDays } from '../src/dates';
import { ADMIN_TOKEN, api, checkPage, keep, openPage, SHOP_ZONE, shopDay, signIn, WRITE_KEY, type Stack } from './browser';

const { generateHistory, sendHistory } = require('../../../examples/shop/history') as {
  generateHistory(options: { days?: number; visitors?: number; seed?: number }): Record<string, unknown>[];
  sendHistory(options: { collectorUrl: string; writeKey: string; events: Record<string, unknown>[] }): Promise<{ accepted: number }>;
};

jest.setTimeout(180_000);

/** `storage` whose catch-up reads (factsAfter) wait until `open()`; everything else as it is. */
function gated(storage: Storage): { storage: Storage; open(): void } {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const proxy = new Proxy(storage, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== 'function') return value;
      if (prop !== 'factsAfter') return value.bind(target);
      return async (...args: unknown[]) => {
        await gate;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { storage: proxy, open };
}

let dir: string;
let stack: Stack;
let openGate: () => void;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spur-catching-up-'));
  const file = join(dir, 'spur.db');
  // A shop's history, stored by a collector that then stops.
  const first = await openStorage({ db: file });
  const before = await startServer(createCollector({ storage: first, writeKeys: { [WRITE_KEY]: [] }, timeZone: SHOP_ZONE }), { port: 0, host: '127.0.0.1', storage: first });
  await sendHistory({ collectorUrl: before.url, writeKey: WRITE_KEY, events: generateHistory({ days: 35, visitors: 60 }) });
  await addAccount(first.accounts, { name: 'ada', role: 'admin', password: 'correct horse battery staple', now: Date.now() });
  await before.close();
  // The same database, a new collector: its catch-up waits at the gate.
  const held = gated(await openStorage({ db: file }));
  openGate = held.open;
  const app = createCollector({ storage: held.storage, writeKeys: { [WRITE_KEY]: [] }, adminToken: ADMIN_TOKEN, timeZone: SHOP_ZONE });
  const server = await startServer(app, { port: 0, host: '127.0.0.1', storage: held.storage });
  const browser = await launchChromium();
  stack = {
    url: server.url,
    browser,
    async close() {
      await browser.close();
      await server.close();
    },
  };
}, 120_000);
afterAll(async () => {
  openGate?.();
  await stack?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the dashboard while the analytics catch up after a start', () => {
  it('says that it is catching up and how far, then shows the figures of the export', async () => {
    const { page, problems, context } = await openPage(stack);
    await signIn(page, stack.url, 'ada');
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    const status = page.getByTestId('load-status');
    await page.waitForFunction(() => /^Catching up: /.test(document.querySelector('[data-testid=load-status]')?.textContent ?? ''));
    expect(await status.textContent()).toMatch(/^Catching up: the collector started a moment ago and is reading the stored events \(\d+% so far\)\. The figures appear as soon as it is done\.$/);
    expect(await status.getAttribute('role')).toBe('status');
    expect(await page.getByTestId('stat-visitors').count()).toBe(0);
    await keep(page, 'overview-catching-up');
    await checkPage(page);

    openGate();
    await page.getByTestId('stat-visitors').waitFor();
    expect(await status.textContent()).toBe('');
    const overview = (await api(stack.url, `/v1/exports/overview?from=${shopDay(29)}&to=${addDays(shopDay(0), 1)}&interval=day`)).json() as { totals: { visitors: number } };
    expect(overview.totals.visitors).toBeGreaterThan(0);
    expect(await page.getByTestId('stat-visitors').getAttribute('data-value')).toBe(String(overview.totals.visitors));
    expect(problems).toEqual([]);
    await context.close();
  });
});
