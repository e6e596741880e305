import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { junitXml, reportJson, writeReport } from '../src/report';
import { renderHtml } from '../src/report-html';
import type { RunResult } from '../src/runner';
import type { SimulationResult } from '../src/simulation';
import { summaryLine } from '../src/summary';

const PNG = Buffer.from('89504e470d0a1a0a', 'hex');

function run(over: Partial<RunResult>): RunResult {
  return {
    journey: 'Checkout <fast> & "easy"',
    file: 'journeys/checkout.json',
    slug: 'checkout',
    run: 1,
    runId: 'r1',
    passed: true,
    startedAt: '2026-11-23T10:00:00.000Z',
    durationMs: 2000,
    simulatedStart: '2026-11-21T09:00:00.000Z',
    simulatedEnd: '2026-11-23T09:00:00.000Z',
    visits: [{ visit: 1, device: 1, simulatedAt: '2026-11-21T09:00:00.000Z', durationMs: 2000 }],
    devices: [{ device: 1, label: 'Pixel 7', anonymousIds: ['a1'], cookies: [] }],
    profiles: [],
    userIds: [],
    failures: [],
    requests: [],
    events: [],
    funnelReached: 4,
    ...over,
  };
}

const simulation = (): SimulationResult => ({
  startedAt: '2026-11-23T10:00:00.000Z',
  durationMs: 30_000,
  baseUrl: 'http://localhost:3000',
  collectorUrl: 'http://localhost:8080',
  runsPerJourney: 2,
  concurrency: 2,
  planned: 4,
  interrupted: false,
  journeys: [
    { name: 'Checkout <fast> & "easy"', file: 'journeys/checkout.json', slug: 'checkout' },
    { name: 'Browse', file: 'journeys/browse.json', slug: 'browse' },
  ],
  runs: [
    run({}),
    run({
      run: 2,
      runId: 'r2',
      passed: false,
      screenshot: PNG,
      failures: [
        { kind: 'step', visit: 2, step: '3', action: 'click text=Buy', message: 'Timeout 10000ms exceeded <waiting>\u0007' },
        // Playwright's call log, coloured as it comes.
        { kind: 'step', visit: 2, step: '4', action: 'click text=Pay', message: 'locator.click: Timeout 1500ms exceeded. Call log: \u001b[2m- waiting for getByText(\'Pay\')\u001b[22m' },
        {
          kind: 'expectation',
          expectation: 'events',
          message: 'expected {"event":"Product Added","properties":{"product_id":"p-kettle"}} (event 1 of 1, in order); the collector holds for this run: Product Added',
          picked: { product: 'p-kettle' },
          compared: [
            {
              event: 'Product Added',
              at: '2026-11-21T09:01:00.000Z',
              fields: [
                { path: 'properties.product_id', expected: 'p-kettle', actual: 'p-mug', equal: false },
                { path: 'properties.quantity', expected: 2, actual: 2, equal: true },
              ],
            },
          ],
        },
      ],
      requests: [{ device: 1, visit: 1, method: 'POST', url: 'http://localhost:8080/v1/batch', at: '2026-11-23T10:00:01.000Z', events: [{ type: 'page' }], status: 200 }],
      funnelReached: 2,
    }),
    run({ journey: 'Browse', file: 'journeys/browse.json', slug: 'browse', funnelReached: 1 }),
    run({
      journey: 'Browse',
      file: 'journeys/browse.json',
      slug: 'browse',
      run: 2,
      runId: 'r4',
      passed: false,
      failures: [{ kind: 'run', message: 'cannot read the collector: connect ECONNREFUSED' }],
      funnelReached: 0,
    }),
  ],
  funnel: {
    steps: ['Product Viewed', 'Product Added', 'Checkout Started', 'Order Completed'],
    runs: [3, 2, 1, 1],
    collector: [
      { step: 1, name: 'Product Viewed', units: 3, dropOff: 1, conversionFromPrevious: null, conversionFromStart: 1, medianSecondsFromPrevious: null },
      { step: 2, name: 'Product Added', units: 2, dropOff: 1, conversionFromPrevious: 0.6667, conversionFromStart: 0.6667, medianSecondsFromPrevious: 12 },
      { step: 3, name: 'Checkout Started', units: 1, dropOff: 0, conversionFromPrevious: 0.5, conversionFromStart: 0.3333, medianSecondsFromPrevious: 40 },
      { step: 4, name: 'Order Completed', units: 1, dropOff: null, conversionFromPrevious: 1, conversionFromStart: 0.3333, medianSecondsFromPrevious: 20 },
    ],
    from: '2026-11-21T09:00:00.000Z',
  },
});

describe('summaryLine(result)', () => {
  it('says how many runs of how many journeys passed and failed, how long it took and the rate', () => {
    expect(summaryLine(simulation())).toBe('4 runs of 2 journeys: 2 passed, 2 failed in 30.0 s (8.0 runs/min)');
    expect(summaryLine({ ...simulation(), interrupted: true, planned: 10 })).toMatch(/, interrupted after 4 of 10$/);
  });
});

describe('junitXml(result)', () => {
  const xml = junitXml(simulation());

  it('has a suite per journey and a test case per run, with totals', () => {
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="spur simulate" tests="4" failures="1" errors="1" time="30.000"/);
    expect(xml.match(/<testsuite /g)).toHaveLength(2);
    expect(xml.match(/<testcase /g)).toHaveLength(4);
    expect(xml).toContain('<testcase classname="journeys.checkout" name="run 1 (r1)" time="2.000" file="journeys/checkout.json"/>');
  });

  it('reports a failed step as <failure> naming visit and step, with the screenshot as an attachment', () => {
    expect(xml).toContain(
      '<failure message="journey &quot;Checkout &lt;fast&gt; &amp; &quot;easy&quot;&quot; run 2 (r2) visit 2 step 3 (click text=Buy): Timeout 10000ms exceeded &lt;waiting&gt;" type="step">',
    );
    expect(xml).toContain('<system-out>[[ATTACHMENT|screenshots/checkout-run2.png]]\nrequests sent: requests/checkout-run2.json</system-out>');
  });

  it('reports a run that could not be played or checked as <error>', () => {
    expect(xml).toContain('<error message="journey &quot;Browse&quot; run 2 (r4) run: cannot read the collector: connect ECONNREFUSED" type="run">');
  });

  it('escapes names and drops characters XML cannot carry', () => {
    expect(xml).toContain('<testsuite name="Checkout &lt;fast&gt; &amp; &quot;easy&quot;"');
    expect(xml).not.toContain('\u0007');
  });

  it('carries no ANSI colour code of a Playwright message, not even as "[2m"', () => {
    expect(xml).toContain("visit 2 step 4 (click text=Pay): locator.click: Timeout 1500ms exceeded. Call log: - waiting for getByText(&apos;Pay&apos;)\n");
    expect(xml).not.toMatch(/\u001b|\[2m|\[22m/);
  });

  it('lists under a failed expectation the values picked and what it compared, per event', () => {
    expect(xml).toContain(
      'expectation events: expected {&quot;event&quot;:&quot;Product Added&quot;,&quot;properties&quot;:{&quot;product_id&quot;:&quot;p-kettle&quot;}} (event 1 of 1, in order); the collector holds for this run: Product Added\n' +
        '  picked: {{product}} = &quot;p-kettle&quot;\n' +
        '  Product Added at 2026-11-21T09:01:00.000Z: properties.product_id: expected &quot;p-kettle&quot;, got &quot;p-mug&quot;; properties.quantity = 2 as expected</failure>',
    );
  });
});

describe('renderHtml(result)', () => {
  const html = renderHtml(simulation());

  it('shows pass or fail per journey with its timings', () => {
    expect(html).toContain('<title>spur simulate: FAILED</title>');
    expect(html).toMatch(/<span class="badge fail">FAIL<\/span><\/td><td>Checkout &lt;fast&gt; &amp; &quot;easy&quot;<\/td>/);
    expect(html).toMatch(/<td class="num">2<\/td><td class="num">1<\/td><td class="num">1<\/td><td class="num">2.0 s<\/td>/);
  });

  it('shows each failure with where it happened and its screenshot', () => {
    expect(html).toContain('<strong>visit 2 step 3 (click text=Buy)</strong>: Timeout 10000ms exceeded &lt;waiting&gt;');
    expect(html).toContain('<img src="screenshots/checkout-run2.png"');
    expect(html).toContain('<a href="requests/checkout-run2.json">requests the browser sent (1)</a>');
    expect(html).toContain('No screenshot: no page was open.');
  });

  it('carries no ANSI colour code of a Playwright message', () => {
    expect(html).toContain('<strong>visit 2 step 4 (click text=Pay)</strong>: locator.click: Timeout 1500ms exceeded. Call log: - waiting for getByText(&#39;Pay&#39;)</li>');
    expect(html).not.toMatch(/\u001b|\[2m|\[22m/);
  });

  it('shows under a failed expectation the values picked and, per event, each field expected against actual', () => {
    expect(html).toContain('<p class="meta">Picked for this run: <code>{{product}}</code> = <code>&quot;p-kettle&quot;</code></p>');
    expect(html).toContain(
      '<tr><td rowspan="2">Product Added<br><span class="muted mono">2026-11-21T09:01:00.000Z</span></td><td class="mono">properties.product_id</td>' +
        '<td class="mono">&quot;p-kettle&quot;</td><td class="mono differs">&quot;p-mug&quot;</td></tr>' +
        '<tr><td class="mono">properties.quantity</td><td class="mono">2</td><td class="mono">2</td></tr>',
    );
  });

  it('shows the funnel of the runs and the collector’s', () => {
    expect(html).toMatch(/<td>Order Completed<\/td><td class="num">1<\/td><td><span class="bar" style="width:80px"><\/span> 33.3 %<\/td><td class="num">1<\/td><td class="num">33.3 %<\/td>/);
  });

  it('says when everything passed', () => {
    const ok = simulation();
    ok.runs = ok.runs.filter((r) => r.passed);
    expect(renderHtml(ok)).toContain('spur simulate: <span class="pass">passed</span>');
  });
});

describe('writeReport(result, dir)', () => {
  it('writes report.json, junit.xml, report.html and each failed run’s screenshot and requests', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spur-report-'));
    try {
      const paths = await writeReport(simulation(), dir);
      expect(paths).toEqual({ json: join(dir, 'report.json'), junit: join(dir, 'junit.xml'), html: join(dir, 'report.html') });
      expect(readdirSync(join(dir, 'screenshots'))).toEqual(['checkout-run2.png']);
      expect(readdirSync(join(dir, 'requests')).sort()).toEqual(['browse-run2.json', 'checkout-run2.json']);
      expect(readFileSync(join(dir, 'screenshots/checkout-run2.png'))).toEqual(PNG);
      const json = JSON.parse(readFileSync(paths.json, 'utf8'));
      expect(json).toEqual(reportJson(simulation()));
      expect(json.summary).toMatchObject({ runs: 4, passed: 2, failed: 2, journeys: 2 });
      expect(json.runs[1]).toMatchObject({ passed: false, screenshot: 'screenshots/checkout-run2.png', requests: 'requests/checkout-run2.json' });
      expect(json.runs[1].failures[0].line).toMatch(/^journey "Checkout <fast> & "easy"" run 2 \(r2\) visit 2 step 3/);
      // Without colour codes, with what the expectation compared.
      expect(json.runs[1].failures[1].message).toBe("locator.click: Timeout 1500ms exceeded. Call log: - waiting for getByText('Pay')");
      expect(json.runs[1].failures[2]).toMatchObject({ picked: { product: 'p-kettle' }, compared: [{ event: 'Product Added', fields: [{ path: 'properties.product_id', actual: 'p-mug' }, {}] }] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
