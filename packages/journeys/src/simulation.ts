// Many runs of many journeys, `concurrency` at a time in one Chromium, and what they add up to:
// the results in journey order and the funnel they produced (the runs' own, and the collector's
// funnel export for the same time).
import type { Browser } from 'playwright';
import { AdminError, createAdmin, type FunnelRow } from './admin';
import { launchChromium } from './browser';
import { DEFAULT_FUNNEL, firstLine, playRun, type RunOptions, type RunResult } from './runner';
import { journeySlug, type Journey } from './spec';

export interface SimulateOptions extends RunOptions {
  /** Runs of each journey. @defaultValue 1 */
  runs?: number;
  /** Runs played at a time, each in its own browser contexts. @defaultValue 2 */
  concurrency?: number;
  /** A browser to use (the caller closes it); else one is launched and closed. */
  browser?: Browser;
  /** Stops starting runs (those under way finish). */
  signal?: AbortSignal;
  onRunStart?(journey: Journey, run: number): void;
  onRunDone?(result: RunResult, progress: { done: number; failed: number; total: number }): void;
}

export interface SimulationResult {
  startedAt: string;
  durationMs: number;
  baseUrl: string;
  collectorUrl?: string;
  runsPerJourney: number;
  concurrency: number;
  /** Runs planned; fewer ran when interrupted. */
  planned: number;
  interrupted: boolean;
  journeys: { name: string; file: string; slug: string }[];
  runs: RunResult[];
  funnel: {
    steps: readonly string[];
    /** Runs that reached each step (from the events the collector holds for each run). */
    runs: number[];
    /** The collector's funnel export (unit customer) from the runs' simulated start on. */
    collector?: FunnelRow[];
    from?: string;
    /** Why there is no collector funnel. */
    collectorError?: string;
  };
}

/** Plays `runs` runs of every journey, `concurrency` at a time, and returns every result. */
export async function runJourneys(journeys: readonly Journey[], options: SimulateOptions): Promise<SimulationResult> {
  const runs = options.runs ?? 1;
  const concurrency = Math.max(1, options.concurrency ?? 2);
  const started = Date.now();
  // Interleaved, so that each journey's runs spread over the whole simulation. A journey listed
  // more than once (a weighted mix) numbers its runs on.
  const queue: { journey: Journey; run: number }[] = [];
  const numbered = new Map<Journey, number>();
  for (let round = 0; round < runs; round++) {
    for (const journey of journeys) {
      const run = (numbered.get(journey) ?? 0) + 1;
      numbered.set(journey, run);
      queue.push({ journey, run });
    }
  }
  const total = queue.length;
  const results: RunResult[] = [];
  let failed = 0;

  const browser = options.browser ?? (await launchChromium());
  try {
    const worker = async () => {
      for (let next; !options.signal?.aborted && (next = queue.shift()); ) {
        options.onRunStart?.(next.journey, next.run);
        const result = await playRun(browser, next.journey, next.run, options);
        results.push(result);
        if (!result.passed) failed++;
        options.onRunDone?.(result, { done: results.length, failed, total });
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  } finally {
    if (!options.browser) await browser.close();
  }

  const order = new Map(journeys.map((j, i) => [j, i]));
  const byFile = new Map(journeys.map((j) => [j.file + '\n' + j.spec.name, order.get(j)!]));
  results.sort((a, b) => byFile.get(a.file + '\n' + a.journey)! - byFile.get(b.file + '\n' + b.journey)! || a.run - b.run);

  const steps = options.funnelSteps ?? DEFAULT_FUNNEL;
  const funnel: SimulationResult['funnel'] = { steps, runs: steps.map((_, i) => results.filter((r) => r.funnelReached > i).length) };
  if (options.check !== false && options.collectorUrl && results.length) {
    funnel.from = results.map((r) => r.simulatedStart).sort()[0];
    try {
      funnel.collector = await createAdmin(options.collectorUrl, options.adminToken ?? '').funnel({ steps, unit: 'customer', from: funnel.from });
    } catch (error) {
      funnel.collectorError =
        error instanceof AdminError && error.status === 404 ? 'the collector has no /v1/exports/funnel (404): it needs the exports of issue 5' : firstLine(error);
    }
  }
  return {
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    baseUrl: options.baseUrl,
    collectorUrl: options.collectorUrl,
    runsPerJourney: runs,
    concurrency,
    planned: total,
    interrupted: results.length < total,
    // A journey listed twice (a weighted mix) is one journey of the report.
    journeys: [...new Set(journeys)].map((j) => ({ name: j.spec.name, file: j.file, slug: journeySlug(j) })),
    runs: results,
    funnel,
  };
}

/** Checks that the collector answers and accepts the token, before any run starts. */
export async function checkCollector(collectorUrl: string, adminToken: string): Promise<void> {
  await createAdmin(collectorUrl, adminToken).check();
}
