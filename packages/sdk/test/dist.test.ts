// The built script tag bundle, evaluated the way a page runs it. `npm test` builds first.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Spur } from '../src/client';
import { cleanPage, recorder, settle, storedEvents, UUID_V4 } from './helpers';

const file = join(__dirname, '../dist/spur.js');
const code = existsSync(file) ? readFileSync(file, 'utf8') : undefined;

type Global = ((command: string, ...args: unknown[]) => unknown) & Spur & { q?: unknown[] };
const w = window as unknown as { spur?: Global; fetch?: typeof fetch };

/** An inline <script> with the bundle and the tag's data attributes, run by jsdom. */
function run(attributes: Record<string, string>) {
  const script = document.createElement('script');
  for (const [name, value] of Object.entries(attributes)) script.setAttribute(name, value);
  script.textContent = code!;
  document.head.appendChild(script);
}

function snippet(...calls: unknown[][]) {
  const stub = function () {
    // eslint-disable-next-line prefer-rest-params
    (stub.q = stub.q || []).push(arguments);
  } as unknown as Global;
  w.spur = stub;
  for (const args of calls) w.spur(...(args as [string]));
}

(code ? describe : describe.skip)(
  code ? 'dist/spur.js' : 'dist/spur.js (absent: skipped; run `npx rollup -c`, or `npm test`, which builds first)',
  () => {
    let r: ReturnType<typeof recorder>;

    beforeEach(() => {
      cleanPage();
      delete w.spur;
      r = recorder();
      w.fetch = r.fetch;
    });

    afterEach(() => delete w.fetch);

    it('installs window.spur and replays the stub queue', async () => {
      snippet(['track', 'Queued', { n: 1 }], ['identify', 'customer-42']);
      run({ 'data-write-key': 'demo', 'data-endpoint': 'http://collector.test' });
      expect(typeof w.spur!.track).toBe('function');
      expect(typeof w.spur!.orderCompleted).toBe('function');
      await w.spur!.flush();
      expect(r.calls[0].url).toBe('http://collector.test/v1/batch');
      expect(r.calls[0].body.writeKey).toBe('demo');
      expect(r.events().map((e) => [e.type, e.event, e.userId])).toEqual([
        ['page', undefined, undefined],
        ['track', 'Queued', undefined],
        ['identify', undefined, 'customer-42'],
      ]);
    });

    it('leaves cookies and the rest of its start to a task after the script, keeping the order of calls', async () => {
      snippet(['track', 'Queued']);
      run({ 'data-write-key': 'demo', 'data-endpoint': 'http://collector.test' });
      w.spur!.track('Right after');
      expect(document.cookie).not.toContain('spur_aid');
      await new Promise((resolve) => setTimeout(resolve));
      expect(document.cookie).toContain('spur_aid=');
      await w.spur!.flush();
      expect(r.events().map((e) => e.event || e.type)).toEqual(['page', 'Queued', 'Right after']);
    });

    it('applies a queued init first and keeps spur(command) working', async () => {
      snippet(['track', 'Queued'], ['init', { writeKey: 'queued', endpoint: 'http://other.test' }]);
      run({ 'data-auto-page': 'false' });
      w.spur!('productAdded', { product_id: 'p1', price: 5 });
      await w.spur!('flush');
      expect(r.calls[0].url).toBe('http://other.test/v1/batch');
      expect(r.events().map((e) => e.event)).toEqual(['Queued', 'Product Added']);
      expect(w.spur!.cart()).toEqual([{ product_id: 'p1', price: 5, quantity: 1 }]);
    });
  },
);

// The CommonJS build, as a CommonJS test runner (this one, in jsdom) loads it for an app's tests:
// the same API, with its outbox in IndexedDB through idb-keyval's CommonJS build.
const cjsFile = join(__dirname, '../dist/spur.cjs');
(code ? describe : describe.skip)('dist/spur.cjs', () => {
  beforeEach(cleanPage);

  it('records, stores and sends like the ESM build', async () => {
    let sdk: typeof import('../src/index') | undefined;
    jest.isolateModules(() => (sdk = require(cjsFile)));
    const r = recorder();
    sdk!.init({ writeKey: 'demo', endpoint: 'http://collector.test', fetch: r.fetch, autoPage: false });
    sdk!.track('From CommonJS', { n: 1 });
    await settle();
    expect((await storedEvents()).map((e) => e.event)).toEqual(['From CommonJS']); // in IndexedDB before it is sent
    expect(r.calls).toHaveLength(0);
    await sdk!.flush();
    expect(r.events().map((e) => [e.event, e.properties])).toEqual([['From CommonJS', { n: 1 }]]);
    expect(await storedEvents()).toEqual([]);
    expect(sdk!.user().anonymousId).toMatch(UUID_V4);
  });
});
