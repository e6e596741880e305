// `spur simulate` in-process against a private demo (collector + shop on free ports) with real
// Chromium: exit codes, the summary line, progress, and the report files.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../src/io';
import { simulate, SIMULATE_HELP, simulateTargets } from '../src/commands/simulate';
import { captureIo } from './io';

jest.setTimeout(120_000);

// stack.js is plain JS; typed here because the test projects have no allowJs.
const { startStack } = require('../../../examples/shop/stack') as {
  startStack(): Promise<{ shopUrl: string; collectorUrl: string; adminToken: string; close(): Promise<void> }>;
};

const browse = {
  name: 'Look at a mug',
  vars: { product: { pick: ['p-mug', 'p-cookies'] } },
  // The shop's Product Viewed comes from the page's JSON-LD once the page has settled: wait for it.
  visits: [{ steps: [{ goto: '/product.html?id={{product}}' }, { waitFor: 'data-testid=product-name' }, { expectRequest: 'Product Viewed' }] }],
  expect: { events: [{ event: 'Product Viewed', properties: { product_id: '{{product}}' } }], profile: { devices: 1 } },
};

const impossible = {
  name: 'Expects an order that never happens',
  visits: [{ steps: [{ goto: '/' }, { waitFor: 'data-testid=product-grid' }] }],
  expect: { events: ['Order Completed'] },
};

let dir: string;
let stack: Awaited<ReturnType<typeof startStack>>;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'spur-simulate-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const spec = (name: string, value: unknown) => {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(value, null, 2));
  return file;
};

const flags = () => ['--base-url', stack.shopUrl, '--collector', stack.collectorUrl, '--token', stack.adminToken];

describe('spur simulate (arguments)', () => {
  it('needs at least one spec or folder', async () => {
    await expect(simulate([], captureIo())).rejects.toThrow(new UsageError('name at least one journey spec (.json) or a folder of them'));
  });

  it('refuses a bad --runs, --concurrency or duration, naming the flag', async () => {
    const file = spec('a.json', browse);
    await expect(simulate([file, '--runs', '0', '--token', 't'], captureIo())).rejects.toThrow(/--runs must be a whole number from 1/);
    await expect(simulate([file, '--concurrency', 'many', '--token', 't'], captureIo())).rejects.toThrow(/--concurrency/);
    await expect(simulate([file, '--margin', '1 hour', '--token', 't'], captureIo())).rejects.toThrow(/--margin must be a duration/);
    await expect(simulate([file, '--frobnicate'], captureIo())).rejects.toThrow(/frobnicate/);
  });

  it('needs the admin token to check runs, from --token or SPUR_ADMIN_TOKEN', async () => {
    await expect(simulate([spec('a.json', browse)], captureIo())).rejects.toThrow(/--token or SPUR_ADMIN_TOKEN/);
  });

  it('exits 2 for an invalid spec, naming the file, the path and what was expected', async () => {
    const file = spec('bad.json', { name: 'Bad', visits: [{ after: 'later', steps: [{ goto: '/' }] }] });
    const io = captureIo();
    expect(await simulate([file, '--token', 't'], io)).toBe(2);
    expect(io.stderr).toBe(`spur simulate: a journey spec is not valid:\n  ${file}: $.visits[0].after: expected a duration such as 45m, 2d or 1h30m, got string "later"\n`);
  });

  it('exits 1 at once when the shop cannot be reached, or the collector refuses the token', async () => {
    const file = spec('a.json', browse);
    const io = captureIo();
    expect(await simulate([file, '--base-url', 'http://127.0.0.1:9', '--token', 't'], io)).toBe(1);
    expect(io.stderr).toMatch(/^spur simulate: cannot reach the shop at http:\/\/127\.0\.0\.1:9: /);
    const io2 = captureIo();
    expect(await simulate([file, '--base-url', stack.shopUrl, '--collector', stack.collectorUrl, '--token', 'wrong'], io2)).toBe(1);
    expect(io2.stderr).toMatch(/answered 401: .*\(check --token \/ SPUR_ADMIN_TOKEN\)/);
  });

  it('documents every flag in its help, and the demo’s variables it reads without them', () => {
    for (const flag of ['--base-url', '--collector', '--token', '--runs', '--concurrency', '--report', '--margin', '--spread', '--step-timeout', '--funnel', '--no-check']) {
      expect(SIMULATE_HELP).toContain(flag);
    }
    for (const variable of ['SPUR_SHOP_URL', 'SPUR_URL', 'SPUR_SHOP_PORT', 'SPUR_PORT', 'SPUR_HOST', 'SPUR_ADMIN_TOKEN']) expect(SIMULATE_HELP).toContain(variable);
  });
});

describe('spur simulate (where the shop and the collector are)', () => {
  it('finds them where `npm start` runs them: SPUR_SHOP_PORT and SPUR_PORT on SPUR_HOST, as the demo prints it', () => {
    const urls = (env: NodeJS.ProcessEnv) => {
      const { baseUrl, collectorUrl } = simulateTargets(env);
      return [baseUrl, collectorUrl];
    };
    expect(urls({})).toEqual(['http://localhost:3000', 'http://localhost:8080']);
    expect(urls({ SPUR_SHOP_PORT: '3100', SPUR_PORT: '8180' })).toEqual(['http://localhost:3100', 'http://localhost:8180']);
    // The demo listens on 127.0.0.1 unless SPUR_HOST says otherwise, and prints localhost for any loopback or wildcard address.
    for (const host of ['127.0.0.1', '0.0.0.0', '::', '::1', '']) expect(urls({ SPUR_HOST: host, SPUR_PORT: '8180' })[1]).toBe('http://localhost:8180');
    expect(urls({ SPUR_HOST: '192.0.2.7' })).toEqual(['http://192.0.2.7:3000', 'http://192.0.2.7:8080']);
    expect(urls({ SPUR_HOST: 'fd00::7', SPUR_SHOP_PORT: '3100' })[0]).toBe('http://[fd00::7]:3100');
    // A whole URL wins over the port.
    expect(urls({ SPUR_SHOP_URL: 'https://shop.example', SPUR_SHOP_PORT: '3100', SPUR_URL: 'https://c.example', SPUR_PORT: '8180' })).toEqual([
      'https://shop.example',
      'https://c.example',
    ]);
  });

  it('refuses a port variable that is not a port, or 0 (a port only the demo knows)', () => {
    expect(() => simulateTargets({ SPUR_PORT: 'http' })).toThrow(new UsageError('SPUR_PORT must be a port number, got "http"'));
    expect(() => simulateTargets({ SPUR_SHOP_PORT: '70000' })).toThrow(/SPUR_SHOP_PORT must be a port number/);
    expect(() => simulateTargets({ SPUR_SHOP_PORT: '0' })).toThrow(new UsageError('SPUR_SHOP_PORT is 0 (any free port): name the address with --base-url'));
  });

  it('reads no variable for an address a flag names', async () => {
    const io = captureIo({ SPUR_SHOP_PORT: 'not-a-port', SPUR_ADMIN_TOKEN: 't' });
    expect(await simulate([spec('a.json', browse), '--base-url', 'http://127.0.0.1:9'], io)).toBe(1);
    expect(io.stderr).toMatch(/^spur simulate: cannot reach the shop at http:\/\/127\.0\.0\.1:9: [^(]*\n$/);
  });

  it('reaches a shop and a collector named only by SPUR_SHOP_PORT and SPUR_PORT', async () => {
    const env = { SPUR_SHOP_PORT: new URL(stack.shopUrl).port, SPUR_PORT: new URL(stack.collectorUrl).port, SPUR_ADMIN_TOKEN: 'not-the-token' };
    const io = captureIo(env);
    // The shop answered (else the message would be about it); the collector answered 401 to the wrong token.
    expect(await simulate([spec('a.json', browse)], io)).toBe(1);
    expect(io.stderr).toBe(
      `spur simulate: GET /v1/profiles/spur-simulate-token-check answered 401: ${await wrongTokenMessage()} (check --token / SPUR_ADMIN_TOKEN)\n`,
    );
  });

  it('says where an address it cannot reach came from', async () => {
    const io = captureIo({ SPUR_SHOP_PORT: '9', SPUR_ADMIN_TOKEN: 't' });
    expect(await simulate([spec('a.json', browse)], io)).toBe(1);
    expect(io.stderr).toMatch(/^spur simulate: cannot reach the shop at http:\/\/localhost:9: .* \(the address from SPUR_SHOP_PORT: is the demo running\? --base-url names another shop\)\n$/);
    const io2 = captureIo({ SPUR_SHOP_URL: stack.shopUrl, SPUR_PORT: '9', SPUR_ADMIN_TOKEN: 't' });
    expect(await simulate([spec('a.json', browse)], io2)).toBe(1);
    expect(io2.stderr).toMatch(/^spur simulate: cannot reach the collector at http:\/\/localhost:9: .* \(the address from SPUR_PORT: --collector names another\)\n$/);
  });
});

/** What the collector says to a wrong admin token. */
async function wrongTokenMessage(): Promise<string> {
  const res = await fetch(`${stack.collectorUrl}/v1/profiles/x`, { headers: { authorization: 'Bearer not-the-token' } });
  return ((await res.json()) as { error: { message: string } }).error.message;
}

describe('spur simulate (runs in Chromium)', () => {
  it('exits 0 when every run passes, with a one-line summary, progress and the reports', async () => {
    const report = join(dir, 'report');
    const io = captureIo();
    const code = await simulate([spec('browse.json', browse), ...flags(), '--runs', '3', '--concurrency', '3', '--report', report], io);
    expect(io.stderr).not.toMatch(/FAIL/);
    expect(code).toBe(0);
    expect(io.stdout).toMatch(/^spur simulate: 3 runs of 1 journey: 3 passed, 0 failed in \d+\.\d s \(\d+\.\d runs\/min\); report: .*report\.html\n$/);
    // Not a terminal: one line per finished run.
    expect(io.stderr.match(/^\[\d\/3\] ok {3}Look at a mug · run \d · /gm)).toHaveLength(3);
    const junit = readFileSync(join(report, 'junit.xml'), 'utf8');
    expect(junit.match(/<testcase /g)).toHaveLength(3);
    expect(JSON.parse(readFileSync(join(report, 'report.json'), 'utf8')).summary).toMatchObject({ runs: 3, passed: 3, failed: 0 });
    expect(readFileSync(join(report, 'report.html'), 'utf8')).toContain('spur simulate: <span class="pass">passed</span>');
  });

  it('exits 1 when a run fails, printing the failure as it happens and keeping its screenshot', async () => {
    const report = join(dir, 'out');
    const io = captureIo({ SPUR_ADMIN_TOKEN: stack.adminToken, SPUR_SHOP_URL: stack.shopUrl, SPUR_URL: stack.collectorUrl });
    spec('1-browse.json', browse);
    spec('2-impossible.json', impossible);
    const code = await simulate([dir, '--report', report], io);
    expect(code).toBe(1);
    expect(io.stdout).toMatch(/^spur simulate: 2 runs of 2 journeys: 1 passed, 1 failed in /);
    expect(io.stderr).toMatch(/FAIL Expects an order that never happens · run 1 · .*\n {7}journey "Expects an order that never happens" run 1 \(\S+\) expectation events: expected "Order Completed"/);
    expect(existsSync(join(report, 'screenshots', '2-impossible-run1.png'))).toBe(true);
    expect(readFileSync(join(report, 'junit.xml'), 'utf8')).toContain('<failure message="journey &quot;Expects an order that never happens&quot; run 1');
  });

  it('prints under a failed expectation the values picked and each field it compared', async () => {
    const io = captureIo();
    const wrongList = {
      name: 'Wrong list',
      vars: { list: { pick: ['category:Tea'] } },
      visits: [{ steps: [{ goto: '/' }, { waitFor: 'data-testid=product-grid' }] }],
      expect: { events: [{ event: 'Product List Viewed', properties: { list_id: '{{list}}' } }] },
    };
    expect(await simulate([spec('wrong-list.json', wrongList), ...flags(), '--report', join(dir, 'out')], io)).toBe(1);
    expect(io.stderr).toMatch(
      /\n {7}journey "Wrong list" run 1 \(\S+\) expectation events: expected .*\n {9}picked: \{\{list\}\} = "category:Tea"\n {9}Product List Viewed at \S+Z: properties\.list_id: expected "category:Tea", got "all-products"\n/,
    );
  });
});
