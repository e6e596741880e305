// report.html: one self-contained page (no script, no network) that a person reads after a
// simulation: pass or fail per journey, timings, each failure with its screenshot, the funnel the
// runs produced, and every run.
import { stripAnsi } from './ansi';
import { show, type FailureDetail } from './compare';
import { formatDuration } from './duration';
import { eventLabel } from './match';
import { failurePlace, type RunResult } from './runner';
import type { SimulationResult } from './simulation';
import { attachments, journeySummaries, summarise, summaryLine } from './summary';

/** Text for HTML content and attributes, without ANSI codes. */
export function html(text: unknown): string {
  return stripAnsi(String(text)).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const STYLE = `
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:24px;color:#1d1d1f}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 8px}h3{font-size:16px;margin:20px 0 6px}
.meta{color:#555;margin:0 0 4px}table{border-collapse:collapse;width:100%;margin:8px 0}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e3e3e3;vertical-align:top}th{font-weight:600;background:#f6f6f6}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#106b21;font-weight:600}.fail{color:#b3261e;font-weight:600}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:13px;font-weight:600}
.badge.pass{background:#e3f4e6}.badge.fail{background:#fbe4e2}
.bar{background:#8a4b2a;height:10px;border-radius:2px;display:inline-block;vertical-align:middle}
.failure{border:1px solid #f0c8c4;border-radius:6px;padding:10px 14px;margin:12px 0;background:#fffafa}
.failure img{max-width:min(100%,560px);max-height:360px;object-fit:contain;object-position:left top;border:1px solid #ddd;margin-top:8px}
code,.mono{font-family:ui-monospace,monospace;font-size:13px}ul{margin:4px 0;padding-left:20px}
details{margin:6px 0}summary{cursor:pointer}.muted{color:#777}
table.compared{width:auto;margin:4px 0 8px}table.compared td,table.compared th{padding:2px 8px;font-size:13px}
td.differs{background:#fbe4e2}
`;

const time = (ms: number) => formatDuration(ms);
const pct = (x: number | null | undefined) => (x === null || x === undefined ? '–' : `${(x * 100).toFixed(1)} %`);
const when = (iso: string) => (iso ? iso.replace('T', ' ').slice(0, 16) : '–');

function funnelSection(result: SimulationResult): string {
  const f = result.funnel;
  const first = f.runs[0] || 0;
  const rows = f.steps.map((step, i) => {
    const n = f.runs[i] ?? 0;
    const c = f.collector?.[i];
    const width = first ? Math.round((n / first) * 240) : 0;
    return (
      `<tr><td>${i + 1}</td><td>${html(step)}</td><td class="num">${n}</td><td><span class="bar" style="width:${width}px"></span> ${first ? pct(n / first) : '–'}</td>` +
      (f.collector ? `<td class="num">${c ? c.units : '–'}</td><td class="num">${pct(c?.conversionFromStart)}</td>` : '') +
      '</tr>'
    );
  });
  const collectorHead = f.collector ? '<th class="num">Collector: customers</th><th class="num">from step 1</th>' : '';
  const note = f.collector
    ? `<p class="meta">Runs: runs whose events (as the collector stored them) reach the step in order. Collector: <code>/v1/exports/funnel?unit=customer&amp;from=${html(f.from ?? '')}</code>, which counts every customer in that time, these runs and any other traffic.</p>`
    : `<p class="meta">Runs: runs whose events (as the collector stored them) reach the step in order.${f.collectorError ? ` The collector's funnel export is not shown: ${html(f.collectorError)}.` : ''}</p>`;
  return `<h2>Funnel</h2><table><tr><th>#</th><th>Step</th><th class="num">Runs</th><th>of step 1</th>${collectorHead}</tr>${rows.join('')}</table>${note}`;
}

/** What a failure compared: the picked values it used, and per candidate event each field, expected against actual. */
function detailBlock(detail: FailureDetail): string {
  const picked = detail.picked
    ? `<p class="meta">Picked for this run: ${Object.entries(detail.picked).map(([name, value]) => `<code>{{${html(name)}}}</code> = <code>${html(show(value))}</code>`).join(', ')}</p>`
    : '';
  if (!detail.compared?.length) return picked;
  const rows = detail.compared.flatMap((c) => {
    const event = `${html(c.event)}${c.at ? `<br><span class="muted mono">${html(c.at)}</span>` : ''}${c.note ? `<br><span class="muted">${html(c.note)}</span>` : ''}`;
    if (!c.fields.length) return [`<tr><td>${event}</td><td colspan="3" class="muted">no field to compare</td></tr>`];
    return c.fields.map(
      (f, i) =>
        `<tr>${i === 0 ? `<td rowspan="${c.fields.length}">${event}</td>` : ''}<td class="mono">${html(f.path)}</td>` +
        `<td class="mono">${html(show(f.expected))}</td><td class="mono${f.equal ? '' : ' differs'}">${html(show(f.actual))}</td></tr>`,
    );
  });
  return `${picked}<table class="compared"><tr><th>Event</th><th>Field</th><th>Expected</th><th>Actual</th></tr>${rows.join('')}</table>`;
}

function failureBlock(run: RunResult): string {
  const files = attachments(run);
  const devices = run.devices.map((d) => `<li>device ${d.device} (${html(d.label)}): ${d.anonymousIds.map((id) => `<code>${html(id)}</code>`).join(', ') || 'no anonymous id'}</li>`).join('');
  const events = run.events.length ? run.events.map((e) => html(eventLabel(e))).join(', ') : 'nothing';
  return `<div class="failure" id="${html(`${run.slug}-run${run.run}`)}">
<h3>${html(run.journey)} — run ${run.run} <span class="muted mono">${html(run.runId)}</span></h3>
<ul>${run.failures.map((f) => `<li><strong>${html(failurePlace(f))}</strong>: ${html(f.message)}${detailBlock(f)}</li>`).join('')}</ul>
<p class="meta">${html(run.file)} · ${time(run.durationMs)} · simulated ${when(run.simulatedStart)} → ${when(run.simulatedEnd)} UTC${
    run.userIds.length ? ` · customer ${run.userIds.map((u) => `<code>${html(u)}</code>`).join(', ')}` : ''
  }${files.requests ? ` · <a href="${html(files.requests)}">requests the browser sent (${run.requests.length})</a>` : ''}</p>
<details><summary>Devices and what the collector holds</summary><ul>${devices}</ul><p>${events}</p></details>
${files.screenshot ? `<a href="${html(files.screenshot)}"><img src="${html(files.screenshot)}" alt="screenshot of run ${run.run} when it failed" loading="lazy"></a>` : '<p class="muted">No screenshot: no page was open.</p>'}
</div>`;
}

function runsTable(result: SimulationResult): string {
  return journeySummaries(result)
    .map((j) => {
      const runs = result.runs.filter((r) => r.file === j.file && r.journey === j.name);
      const rows = runs
        .map(
          (r) =>
            `<tr><td>${r.run}</td><td class="mono">${html(r.runId)}</td><td>${r.passed ? '<span class="pass">passed</span>' : `<a class="fail" href="#${html(`${r.slug}-run${r.run}`)}">failed</a>`}</td>` +
            `<td class="num">${time(r.durationMs)}</td><td class="num">${r.visits.length}</td><td class="num">${r.devices.length}</td>` +
            `<td class="mono">${html(r.userIds.join(', ') || '–')}</td><td>${when(r.simulatedStart)} → ${when(r.simulatedEnd)}</td><td class="num">${r.funnelReached}</td></tr>`,
        )
        .join('');
      return `<details${j.failed ? ' open' : ''}><summary>${html(j.name)}: ${j.passed} of ${j.runs} passed</summary><table>
<tr><th>Run</th><th>Run id</th><th>Result</th><th class="num">Time</th><th class="num">Visits</th><th class="num">Devices</th><th>Customer</th><th>Simulated (UTC)</th><th class="num">Funnel steps</th></tr>${rows}</table></details>`;
    })
    .join('\n');
}

/** The report page for a simulation. Attachments are linked relative to the report folder. */
export function renderHtml(result: SimulationResult): string {
  const s = summarise(result);
  const ok = s.failed === 0 && !result.interrupted;
  const journeys = journeySummaries(result)
    .map(
      (j) =>
        `<tr><td><span class="badge ${j.failed ? 'fail' : 'pass'}">${j.failed ? 'FAIL' : 'PASS'}</span></td><td>${html(j.name)}</td><td class="mono">${html(j.file)}</td>` +
        `<td class="num">${j.runs}</td><td class="num">${j.passed}</td><td class="num">${j.failed}</td><td class="num">${time(j.medianMs)}</td><td class="num">${time(j.maxMs)}</td></tr>`,
    )
    .join('');
  const failed = result.runs.filter((r) => !r.passed);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>spur simulate: ${ok ? 'passed' : 'FAILED'}</title><style>${STYLE}</style></head>
<body>
<h1>spur simulate: <span class="${ok ? 'pass' : 'fail'}">${ok ? 'passed' : 'failed'}</span></h1>
<p class="meta">${html(summaryLine(result))}</p>
<p class="meta">Started ${html(when(result.startedAt))} UTC · shop <code>${html(result.baseUrl)}</code>${result.collectorUrl ? ` · collector <code>${html(result.collectorUrl)}</code>` : ''} · ${result.runsPerJourney} run${result.runsPerJourney === 1 ? '' : 's'} per journey, ${result.concurrency} at a time</p>
<h2>Journeys</h2>
<table><tr><th></th><th>Journey</th><th>Spec</th><th class="num">Runs</th><th class="num">Passed</th><th class="num">Failed</th><th class="num">Median time</th><th class="num">Slowest</th></tr>${journeys}</table>
${failed.length ? `<h2>Failures (${failed.length})</h2>\n${failed.map(failureBlock).join('\n')}` : ''}
${funnelSection(result)}
<h2>Runs</h2>
${runsTable(result)}
<p class="meta">Runs per minute: ${s.runsPerMinute.toFixed(1)}. Each run is a new customer in fresh browser contexts; times between visits are simulated with Playwright's clock.</p>
</body></html>
`;
}
