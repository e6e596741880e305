// The reports of a simulation: report.json (everything, for machines), junit.xml (one test case
// per run, for CI systems), report.html (for people, see report-html.ts), and for each failed run
// its screenshot and the requests its browsers sent.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stripAnsi } from './ansi';
import { detailLines } from './compare';
import { eventLabel } from './match';
import { renderHtml } from './report-html';
import { describeFailure } from './runner';
import type { SimulationResult } from './simulation';
import { attachments, journeySummaries, summarise } from './summary';

/** report.json: the simulation without screenshots and request bodies (those are files of their own). */
export function reportJson(result: SimulationResult): object {
  return {
    tool: 'spur simulate',
    startedAt: result.startedAt,
    durationMs: result.durationMs,
    baseUrl: result.baseUrl,
    collectorUrl: result.collectorUrl,
    runsPerJourney: result.runsPerJourney,
    concurrency: result.concurrency,
    planned: result.planned,
    interrupted: result.interrupted,
    summary: summarise(result),
    journeys: journeySummaries(result),
    funnel: result.funnel,
    runs: result.runs.map((r) => ({
      journey: r.journey,
      file: r.file,
      run: r.run,
      runId: r.runId,
      passed: r.passed,
      startedAt: r.startedAt,
      durationMs: r.durationMs,
      simulatedStart: r.simulatedStart,
      simulatedEnd: r.simulatedEnd,
      visits: r.visits,
      devices: r.devices,
      userIds: r.userIds,
      funnelReached: r.funnelReached,
      requestCount: r.requests.length,
      eventCount: r.events.length,
      failures: r.failures.map((f) => ({ ...f, message: stripAnsi(f.message), line: stripAnsi(describeFailure(r, f)) })),
      // For a failed run, what the collector held, to read next to the failure.
      ...(r.passed ? {} : { events: r.events.map(eventLabel), ...attachments(r) }),
    })),
  };
}

const XML_UNSAFE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;
/** Text for XML attributes and content: no ANSI codes, no control characters (XML 1.0 cannot carry most). */
export function xml(text: string): string {
  return stripAnsi(text)
    .replace(XML_UNSAFE, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

/**
 * junit.xml: a test suite per journey, a test case per run. A failed step or expectation is a
 * <failure>; a run that could not be played or checked (browser, collector) is an <error>.
 * Screenshots are named in <system-out> the way Jenkins' attachments plugin reads them.
 */
export function junitXml(result: SimulationResult): string {
  const s = summarise(result);
  const errors = result.runs.filter((r) => r.failures.some((f) => f.kind === 'run')).length;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="spur simulate" tests="${s.runs}" failures="${s.failed - errors}" errors="${errors}" time="${seconds(s.durationMs)}" timestamp="${result.startedAt}">`,
  ];
  for (const j of journeySummaries(result)) {
    const runs = result.runs.filter((r) => r.file === j.file && r.journey === j.name);
    const suiteErrors = runs.filter((r) => r.failures.some((f) => f.kind === 'run')).length;
    const time = runs.reduce((sum, r) => sum + r.durationMs, 0);
    lines.push(
      `  <testsuite name="${xml(j.name)}" tests="${runs.length}" failures="${j.failed - suiteErrors}" errors="${suiteErrors}" time="${seconds(time)}" timestamp="${result.startedAt}" file="${xml(j.file)}">`,
    );
    for (const r of runs) {
      const head = `    <testcase classname="journeys.${xml(j.slug)}" name="run ${r.run} (${xml(r.runId)})" time="${seconds(r.durationMs)}" file="${xml(j.file)}"`;
      if (r.passed) {
        lines.push(`${head}/>`);
        continue;
      }
      const tag = r.failures.some((f) => f.kind === 'run') ? 'error' : 'failure';
      const first = r.failures[0];
      // Each failure in a line, and under it what it compared.
      const body = r.failures.flatMap((f) => [describeFailure(r, f), ...detailLines(f).map((line) => `  ${line}`)]).join('\n');
      const files = attachments(r);
      lines.push(`${head}>`);
      lines.push(`      <${tag} message="${xml(describeFailure(r, first))}" type="${first.kind}">${xml(body)}</${tag}>`);
      const out = [files.screenshot && `[[ATTACHMENT|${files.screenshot}]]`, files.requests && `requests sent: ${files.requests}`].filter(Boolean).join('\n');
      lines.push(`      <system-out>${xml(out)}</system-out>`);
      lines.push('    </testcase>');
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>', '');
  return lines.join('\n');
}

/** Writes report.json, junit.xml, report.html and the failed runs' attachments into `dir`. */
export async function writeReport(result: SimulationResult, dir: string): Promise<{ json: string; junit: string; html: string }> {
  await mkdir(dir, { recursive: true });
  const failed = result.runs.filter((r) => !r.passed);
  if (failed.some((r) => r.screenshot)) await mkdir(join(dir, 'screenshots'), { recursive: true });
  if (failed.length) await mkdir(join(dir, 'requests'), { recursive: true });
  for (const run of failed) {
    const files = attachments(run);
    if (files.screenshot) await writeFile(join(dir, files.screenshot), run.screenshot!);
    await writeFile(join(dir, files.requests!), JSON.stringify(run.requests, null, 2));
  }
  const paths = { json: join(dir, 'report.json'), junit: join(dir, 'junit.xml'), html: join(dir, 'report.html') };
  await writeFile(paths.json, JSON.stringify(reportJson(result), null, 2));
  await writeFile(paths.junit, junitXml(result));
  await writeFile(paths.html, renderHtml(result));
  return paths;
}
