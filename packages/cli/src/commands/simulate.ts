import { resolve } from 'node:path';
import {
  checkCollector,
  DEFAULT_FUNNEL,
  describeFailure,
  detailLines,
  formatDuration,
  loadJourneys,
  parseDuration,
  runJourneys,
  SpecError,
  stripAnsi,
  summaryLine,
  writeReport,
  type Journey,
  type RunResult,
} from '@spur/journeys';
import { parseFlags, UsageError, type Io } from '../io';

export const SIMULATE_HELP = `Usage: spur simulate <spec.json|folder>... [options]

Plays journey specs in headless Chromium against a running shop, each run a new
customer (fresh browser contexts, unique emails and ids), with simulated days
between visits, then checks every run's expectations against the collector's
admin API. A folder means its *.json files. Writes report.json, junit.xml (one
test case per run) and report.html (with screenshots of failures and the funnel
the runs produced) to the report folder. Exits 1 when any run failed.

The collector must trust client clocks (SPUR_CLIENT_CLOCK=trust, as \`npm start\`
does): the browsers' clocks run days behind on purpose.

Options:
  --base-url URL       the shop [SPUR_SHOP_URL]; else where \`npm start\` runs it:
                       http://localhost:$SPUR_SHOP_PORT (default 3000)
  --collector URL      the collector, for its admin API [SPUR_URL]; else where
                       \`npm start\` runs it: http://localhost:$SPUR_PORT (default 8080)
  --token TOKEN        the collector's admin token [SPUR_ADMIN_TOKEN]
  --runs N             runs of each journey (default 1)
  --concurrency C      runs played at a time, each in its own browser contexts (default 2)
  --report DIR         where the reports go (default ./spur-report)
  --margin DURATION    simulated time between the end of a run and now (default 1h; keep it
                       above the collector's SPUR_ABANDON_MINUTES so left carts count as abandoned)
  --spread DURATION    start runs up to this much earlier still, at random (e.g. 14d: traffic
                       spread over two weeks; default 0)
  --step-timeout DURATION  how long a step may take (default 10s)
  --funnel A,B,C       the funnel of the report (default ${DEFAULT_FUNNEL.join(',')})
  --no-check           play the journeys without checking them (no token needed)

Without --base-url and --collector, spur simulate reads the variables the demo
reads: a demo started with SPUR_SHOP_PORT=3100 SPUR_PORT=8180 npm start is found
by spur simulate run with the same variables. localhost stands for SPUR_HOST
when that is a loopback or wildcard address or unset (the demo listens on
127.0.0.1), else SPUR_HOST itself.

A failed expectation shows the values picked for the run that it used and, for
each event it could have been, every field the spec names: expected and actual.

Examples:
  spur simulate examples/journeys --token $SPUR_ADMIN_TOKEN
  spur simulate checkout.json --runs 20 --concurrency 4 --report out/journeys
`;

const options = {
  'base-url': { type: 'string' },
  collector: { type: 'string' },
  token: { type: 'string' },
  runs: { type: 'string' },
  concurrency: { type: 'string' },
  report: { type: 'string' },
  margin: { type: 'string' },
  spread: { type: 'string' },
  'step-timeout': { type: 'string' },
  funnel: { type: 'string' },
  'no-check': { type: 'boolean' },
} as const;

function count(text: string | undefined, flag: string, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  if (!/^[1-9]\d*$/.test(text) || Number(text) > max) throw new UsageError(`--${flag} must be a whole number from 1 to ${max}, got "${text}"`);
  return Number(text);
}

function duration(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  const ms = parseDuration(text);
  if (ms === undefined) throw new UsageError(`--${flag} must be a duration such as 30s, 45m, 2d or 1h30m, got "${text}"`);
  return ms;
}

/** What a browser on this machine uses for the demo's SPUR_HOST: localhost for loopback and wildcard addresses, as demo.js prints it. */
function demoHost(host: string | undefined): string {
  if (!host || ['127.0.0.1', '::1', '0.0.0.0', '::', 'localhost'].includes(host)) return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number, flag: string): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw new UsageError(`${name} must be a port number, got "${text}"`);
  if (Number(text) === 0) throw new UsageError(`${name} is 0 (any free port): name the address with ${flag}`);
  return Number(text);
}

const set = (env: NodeJS.ProcessEnv, name: string) => (env[name] === '' ? undefined : env[name]);

/**
 * Where the shop or the collector is when no flag names it: the URL variable (SPUR_SHOP_URL,
 * SPUR_URL), else where `npm start` runs it, from the variables the demo reads (SPUR_SHOP_PORT or
 * SPUR_PORT, on SPUR_HOST). `from` names the variables it came from, for messages.
 */
function target(env: NodeJS.ProcessEnv, urlName: string, portName: string, fallback: number, flag: string): { url: string; from: string } {
  const url = set(env, urlName);
  if (url) return { url, from: urlName };
  return {
    url: `http://${demoHost(set(env, 'SPUR_HOST'))}:${port(env, portName, fallback, flag)}`,
    from: [portName, 'SPUR_HOST'].filter((name) => set(env, name)).join(' and ') || "the demo's default",
  };
}

const shopTarget = (env: NodeJS.ProcessEnv) => target(env, 'SPUR_SHOP_URL', 'SPUR_SHOP_PORT', 3000, '--base-url');
const collectorTarget = (env: NodeJS.ProcessEnv) => target(env, 'SPUR_URL', 'SPUR_PORT', 8080, '--collector');

/** Both addresses from the environment (see target). */
export function simulateTargets(env: NodeJS.ProcessEnv): { baseUrl: string; collectorUrl: string } {
  return { baseUrl: shopTarget(env).url, collectorUrl: collectorTarget(env).url };
}

function url(text: string, flag: string): string {
  try {
    const parsed = new URL(text);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error();
    return text.replace(/\/+$/, '');
  } catch {
    throw new UsageError(`--${flag} must be an http(s) URL, got "${text}"`);
  }
}

/**
 * Progress on stderr: on a terminal one line redrawn in place (failures are printed above it as
 * they happen); elsewhere (CI logs) one line per finished run.
 */
function progressPrinter(io: Io, started: number) {
  let line = '';
  const clear = () => line && io.err('\r\x1b[K');
  return {
    done(result: RunResult, p: { done: number; failed: number; total: number }) {
      const mark = result.passed ? 'ok  ' : 'FAIL';
      const what = `${mark} ${result.journey} · run ${result.run} · ${formatDuration(result.durationMs)}`;
      // Each failure, and under it what it compared (picked values, expected against actual).
      const failures = result.failures.map((f) => [`       ${describeFailure(result, f)}\n`, ...detailLines(f).map((d) => `         ${d}\n`)].join('')).join('');
      if (!io.errIsTTY) {
        // A log file, not a terminal: Playwright's colour codes would be noise.
        io.err(stripAnsi(`[${p.done}/${p.total}] ${what}\n${failures}`));
        return;
      }
      clear();
      if (!result.passed) io.err(`${what}\n${failures}`);
      const minutes = (Date.now() - started) / 60_000;
      const bar = '#'.repeat(Math.round((p.done / p.total) * 24)).padEnd(24, '.');
      line = `simulating [${bar}] ${p.done}/${p.total} runs, ${p.failed} failed, ${(p.done / Math.max(minutes, 1e-9)).toFixed(1)} runs/min`;
      io.err(`\r${line}\x1b[K`);
    },
    end: clear,
  };
}

/** `spur simulate`: plays journey specs in Chromium and checks them against the collector. */
export async function simulate(args: string[], io: Io): Promise<number> {
  const parsed = parseFlags(args, options, true);
  const { values, positionals } = parsed;
  if (!positionals.length) throw new UsageError('name at least one journey spec (.json) or a folder of them');
  const check = !values['no-check'];
  // Each from its flag, else from the environment; a hint for the message should it be unreachable.
  const shop = values['base-url'] ? { url: values['base-url'] } : shopTarget(io.env);
  const collector = values.collector ? { url: values.collector } : collectorTarget(io.env);
  const baseUrl = url(shop.url, 'base-url');
  const collectorUrl = url(collector.url, 'collector');
  const shopHint = 'from' in shop ? ` (the address from ${shop.from}: is the demo running? --base-url names another shop)` : '';
  const collectorHint = 'from' in collector ? ` (the address from ${collector.from}: --collector names another)` : '';
  const token = values.token ?? io.env.SPUR_ADMIN_TOKEN;
  if (check && !token) throw new UsageError('checking runs needs the collector\'s admin token: --token or SPUR_ADMIN_TOKEN (or --no-check)');
  const runs = count(values.runs, 'runs', 1, 100_000);
  const concurrency = count(values.concurrency, 'concurrency', 2, 64);
  const reportDir = values.report ?? 'spur-report';
  const marginMs = duration(values.margin, 'margin', 3_600_000);
  const spreadMs = duration(values.spread, 'spread', 0);
  const stepTimeoutMs = duration(values['step-timeout'], 'step-timeout', 10_000);
  const funnelSteps = values.funnel ? values.funnel.split(',').map((s) => s.trim()).filter(Boolean) : DEFAULT_FUNNEL;
  if (!funnelSteps.length) throw new UsageError('--funnel needs at least one step');

  let journeys: Journey[];
  try {
    journeys = loadJourneys(positionals);
  } catch (err) {
    if (!(err instanceof SpecError)) throw err;
    io.err(`spur simulate: ${err.problems.length === 1 ? 'a journey spec is' : 'journey specs are'} not valid:\n${err.message.replace(/^/gm, '  ')}\n`);
    return 2;
  }

  // Before any browser starts: a wrong URL or token should cost a second, not a run per journey.
  try {
    const shop = await fetch(baseUrl, { signal: AbortSignal.timeout(10_000) });
    await shop.body?.cancel();
  } catch (err) {
    io.err(`spur simulate: cannot reach the shop at ${baseUrl}: ${((err as Error).cause as Error)?.message ?? (err as Error).message}${shopHint}\n`);
    return 1;
  }
  if (check) {
    try {
      await checkCollector(collectorUrl, token!);
    } catch (err) {
      const unreachable = (err as { status?: number }).status === 0;
      io.err(`spur simulate: ${(err as Error).message}${unreachable ? collectorHint : ''}\n`);
      return 1;
    }
  }

  const started = Date.now();
  const progress = progressPrinter(io, started);
  const stop = new AbortController();
  let signals = 0;
  const off = io.onShutdown((signal) => {
    if (++signals > 1) process.exit(130);
    progress.end();
    io.err(`spur simulate: ${signal}: finishing the runs under way (again to quit at once)\n`);
    stop.abort();
  });
  io.err(`spur simulate: ${journeys.length} journey${journeys.length === 1 ? '' : 's'} × ${runs} run${runs === 1 ? '' : 's'}, ${concurrency} at a time, against ${baseUrl}\n`);
  let result;
  try {
    result = await runJourneys(journeys, {
      baseUrl,
      collectorUrl: check ? collectorUrl : undefined,
      adminToken: token,
      runs,
      concurrency,
      marginMs,
      spreadMs,
      stepTimeoutMs,
      check,
      funnelSteps,
      signal: stop.signal,
      onRunDone: (r, p) => progress.done(r, p),
    });
  } catch (err) {
    progress.end();
    io.err(`spur simulate: ${(err as Error).message}\n`);
    return 1;
  } finally {
    off();
  }
  progress.end();
  const paths = await writeReport(result, reportDir);
  const failed = result.runs.some((r) => !r.passed);
  io.out(`spur simulate: ${summaryLine(result)}; report: ${resolve(paths.html)}\n`);
  return failed || result.interrupted ? 1 : 0;
}
