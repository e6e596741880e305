// Figures of a simulation that every report shows: per run, per journey, in one line.
import type { RunResult } from './runner';
import type { SimulationResult } from './simulation';

/** Per-journey figures, as the reports show them. */
export interface JourneySummary {
  name: string;
  file: string;
  slug: string;
  runs: number;
  passed: number;
  failed: number;
  medianMs: number;
  maxMs: number;
}

export interface Summary {
  runs: number;
  passed: number;
  failed: number;
  journeys: number;
  durationMs: number;
  runsPerMinute: number;
}

export function median(values: readonly number[]): number {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function summarise(result: SimulationResult): Summary {
  const failed = result.runs.filter((r) => !r.passed).length;
  return {
    runs: result.runs.length,
    passed: result.runs.length - failed,
    failed,
    journeys: result.journeys.length,
    durationMs: result.durationMs,
    runsPerMinute: result.runs.length / Math.max(result.durationMs / 60_000, 1e-9),
  };
}

export function journeySummaries(result: SimulationResult): JourneySummary[] {
  return result.journeys.map((j) => {
    const runs = result.runs.filter((r) => r.file === j.file && r.journey === j.name);
    const passed = runs.filter((r) => r.passed).length;
    const times = runs.map((r) => r.durationMs);
    return { ...j, runs: runs.length, passed, failed: runs.length - passed, medianMs: median(times), maxMs: Math.max(0, ...times) };
  });
}

/** `spur simulate: 12 runs of 6 journeys: 11 passed, 1 failed in 41.2 s (17.5 runs/min)`. */
export function summaryLine(result: SimulationResult): string {
  const s = summarise(result);
  const interrupted = result.interrupted ? `, interrupted after ${s.runs} of ${result.planned}` : '';
  return (
    `${s.runs} run${s.runs === 1 ? '' : 's'} of ${s.journeys} journey${s.journeys === 1 ? '' : 's'}: ` +
    `${s.passed} passed, ${s.failed} failed in ${(s.durationMs / 1000).toFixed(1)} s (${s.runsPerMinute.toFixed(1)} runs/min)${interrupted}`
  );
}

/** Paths of a failed run's attachments, relative to the report folder. */
export function attachments(run: RunResult): { screenshot?: string; requests?: string } {
  if (run.passed) return {};
  const base = `${run.slug}-run${run.run}`;
  return { screenshot: run.screenshot ? `screenshots/${base}.png` : undefined, requests: `requests/${base}.json` };
}
