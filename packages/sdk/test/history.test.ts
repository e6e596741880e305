// Page views: one on load, one per SPA navigation that changes the path or the query.
import type { Spur } from '../src/client';
import type { SpurEvent } from '../src/types';
import { cleanPage, freshSpur, recorder } from './helpers';

let spur: Spur;
let sent: () => Promise<SpurEvent[]>;

function start(config: object = {}) {
  const r = recorder();
  spur = freshSpur();
  spur.init({ writeKey: 'demo', fetch: r.fetch, ...config });
  sent = async () => {
    await spur.flush();
    return r.events();
  };
}

const pages = async () => (await sent()).filter((e) => e.type === 'page').map((e) => e.properties!.path + String(e.properties!.search));

beforeEach(() => cleanPage());

it('records a page view on init', async () => {
  history.replaceState(null, '', '/home');
  start();
  expect(await pages()).toEqual(['/home']);
});

it('records none on init with autoPage: false', async () => {
  start({ autoPage: false });
  history.pushState(null, '', '/elsewhere');
  expect(await pages()).toEqual([]);
});

it('records a page view on pushState and replaceState to another path or query', async () => {
  start();
  history.pushState({}, '', '/products');
  history.replaceState({}, '', '/products?page=2');
  history.pushState({}, '', '/products/42');
  expect(await pages()).toEqual(['/', '/products', '/products?page=2', '/products/42']);
});

it('records none when only the fragment or the state changes', async () => {
  start();
  history.pushState({}, '', '/#reviews');
  history.replaceState({ scroll: 300 }, '');
  history.replaceState({ scroll: 600 }, '', location.href);
  expect(await pages()).toEqual(['/']);
});

it('records a page view on back and forward (popstate)', async () => {
  start();
  history.pushState({}, '', '/a');
  const popped = new Promise((resolve) => addEventListener('popstate', resolve, { once: true }));
  history.back();
  await popped;
  expect(await pages()).toEqual(['/', '/a', '/']);
});

it('gives an SPA page view the previous URL as referrer', async () => {
  start();
  history.pushState({}, '', '/a?x=1');
  history.pushState({}, '', '/b');
  const views = (await sent()).filter((e) => e.type === 'page');
  expect(views.map((e) => e.properties!.referrer)).toEqual(['', 'http://localhost/', 'http://localhost/a?x=1']);
  expect(views[2].context!.page!.referrer).toBe('http://localhost/a?x=1');
});

it('returns what the original history methods return and keeps the state', () => {
  start();
  expect(history.pushState({ n: 1 }, '', '/x')).toBeUndefined();
  expect(history.state).toEqual({ n: 1 });
  expect(location.pathname).toBe('/x');
});
