// The journeys of examples/journeys, played like `spur simulate examples/journeys` against a
// private demo (collector + shop), three at a time in one Chromium; then the reports of that
// simulation. Each example must pass as it is; consent-refused needs an SDK with consent.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeReport } from '../src/report';
import { describeFailure } from '../src/runner';
import { runJourneys, type SimulationResult } from '../src/simulation';
import { loadJourneys } from '../src/spec';
import { startStack, type Stack } from './stack';

jest.setTimeout(180_000);

const EXAMPLES = resolve(__dirname, '../../../examples/journeys');
const journeys = loadJourneys([EXAMPLES]);
// What `npm run demo:traffic` (examples/shop/traffic.js) plays, unchecked.
const traffic = loadJourneys([join(EXAMPLES, 'traffic')]);

let stack: Stack;
let sim: SimulationResult;
let reportDir: string;

beforeAll(async () => {
  stack = await startStack();
  sim = await runJourneys(journeys, {
    baseUrl: stack.shopUrl,
    collectorUrl: stack.collectorUrl,
    adminToken: stack.adminToken,
    runs: 1,
    concurrency: 3,
  });
  reportDir = mkdtempSync(join(tmpdir(), 'spur-report-'));
  await writeReport(sim, reportDir);
});
afterAll(async () => {
  await stack?.close();
  if (reportDir) rmSync(reportDir, { recursive: true, force: true });
});

describe('examples/journeys against the demo shop', () => {
  it.each(journeys.map((j) => [j.file.slice(EXAMPLES.length + 1), j.spec.name]))('%s (%s) passes', (_file, name) => {
    const run = sim.runs.find((r) => r.journey === name)!;
    expect(run).toBeDefined();
    expect(run.failures.map((f) => describeFailure(run, f))).toEqual([]);
  });

  it('played the runs side by side, each in its own browser contexts', () => {
    const spans = sim.runs.map((r) => [Date.parse(r.startedAt), Date.parse(r.startedAt) + r.durationMs]);
    const overlapping = spans.some(([a0, a1], i) => spans.some(([b0, b1], j) => i !== j && a0 < b1 && b0 < a1));
    expect(overlapping).toBe(true);
    expect(sim.concurrency).toBe(3);
  });

  it('counts the funnel the runs produced', () => {
    expect(sim.funnel.steps).toEqual(['Product Viewed', 'Product Added', 'Checkout Started', 'Order Completed']);
    const buyers = sim.runs.filter((r) => r.events.some((e) => e.event === 'Order Completed')).length;
    expect(sim.funnel.runs[3]).toBe(buyers);
    expect(sim.funnel.runs[0]).toBeGreaterThanOrEqual(sim.funnel.runs[3]);
  });
});

describe('examples/journeys/traffic (npm run demo:traffic)', () => {
  it('plays every traffic journey to its end', async () => {
    const sim = await runJourneys(traffic, { baseUrl: stack.shopUrl, runs: 1, concurrency: 3, check: false, spreadMs: 14 * 86_400_000 });
    expect(sim.runs.flatMap((r) => r.failures.map((f) => describeFailure(r, f)))).toEqual([]);
    expect(sim.runs).toHaveLength(traffic.length);
    // Spread over two weeks before the usual start.
    for (const r of sim.runs) expect(Date.parse(r.simulatedStart)).toBeGreaterThan(Date.now() - 15 * 86_400_000);
  });
});

describe('the reports of the simulation', () => {
  const read = (name: string) => readFileSync(join(reportDir, name), 'utf8');

  it('writes junit.xml with one test case per run, in a suite per journey', () => {
    const xml = read('junit.xml');
    expect(xml.match(/<testcase /g)).toHaveLength(sim.runs.length);
    expect(xml.match(/<testsuite /g)).toHaveLength(journeys.length);
    expect(xml).toContain(`tests="${sim.runs.length}"`);
  });

  it('writes report.json with a summary and every run', () => {
    const json = JSON.parse(read('report.json'));
    expect(json.summary.runs).toBe(sim.runs.length);
    expect(json.runs).toHaveLength(sim.runs.length);
    expect(json.journeys.map((j: { name: string }) => j.name)).toEqual(journeys.map((j) => j.spec.name));
  });

  it('writes report.html naming every journey, and a screenshot and the requests for each failed run', () => {
    const html = read('report.html');
    for (const j of journeys) expect(html).toContain(j.spec.name.replace(/&/g, '&amp;'));
    for (const run of sim.runs.filter((r) => !r.passed)) {
      expect(existsSync(join(reportDir, `requests/${run.slug}-run${run.run}.json`))).toBe(true);
      if (run.screenshot) expect(html).toContain(`screenshots/${run.slug}-run${run.run}.png`);
    }
  });
});
