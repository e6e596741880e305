// Plays one run of a journey in Chromium: a new customer (fresh browser contexts, unique values),
// its visits spread over simulated days, its expectations checked against the collector's admin
// API afterwards. simulation.ts plays many runs at a time.
//
// The simulated clock of a run starts at now − (the journey's total `after`) − margin, so that
// every event it records lies in the past for the collector, whose cart-abandonment detection
// runs on its real clock (facts at or after "now" are not seen). The margin is longer than the
// collector's 30 abandonment minutes, so a cart left on the last visit is abandoned by the time
// the runner asks. The collector must trust client clocks (SPUR_CLIENT_CLOCK=trust, as the demo
// does), or it would move the events back to the real time they arrived.
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright';
import { createAdmin, type Profile, type StoredEvent } from './admin';
import { advanceDevice, createRecorder, noteCookies, openDevice, spurStorage, type Device, type SentRequest, type SpurCookie, type Timeline } from './device';
import { parseDuration } from './duration';
import type { FailureDetail } from './compare';
import { checkExpectations, FUNNEL_WINDOW_MS, needsAbandonedCarts, readCollector, type CollectorView } from './expect';
import { funnelReached } from './match';
import { journeySlug, type Journey, type Step } from './spec';
import { flushPage, playStep, stepLabel, StepError, type StepContext } from './steps';
import { randomness, runVars, type Randomness } from './values';

/** The funnel of the report: issue 5's default steps. */
export const DEFAULT_FUNNEL = ['Product Viewed', 'Product Added', 'Checkout Started', 'Order Completed'];
/** @defaultValue 1 hour: more than the collector's 30 abandonment minutes plus a long run. */
export const DEFAULT_MARGIN_MS = 3_600_000;
export const DEFAULT_STEP_TIMEOUT_MS = 10_000;
/** How long the end of a visit waits for the SDK to have sent what it holds. */
const FLUSH_TIMEOUT_MS = 15_000;

export interface RunOptions {
  /** The shop: where `goto` paths lead. */
  baseUrl: string;
  /** The collector whose admin API is asked (needed unless `check` is false). */
  collectorUrl?: string;
  adminToken?: string;
  /** Simulated time between the end of the journey and now. @defaultValue 1h */
  marginMs?: number;
  /** Runs start up to this much earlier still, at random: traffic spread over days. @defaultValue 0 */
  spreadMs?: number;
  /** Each step's timeout (actions, navigation, expectRequest). @defaultValue 10 s */
  stepTimeoutMs?: number;
  /** Check expectations against the collector. @defaultValue true */
  check?: boolean;
  /** Steps whose progress each run reports (and the report's funnel shows). @defaultValue DEFAULT_FUNNEL */
  funnelSteps?: readonly string[];
  random?: Randomness;
}

/**
 * Where a run failed: a step, an expectation, or the run itself (browser, collector). A failed
 * expectation or expectRequest step also says what it compared (picked, compared).
 */
export interface RunFailure extends FailureDetail {
  kind: 'step' | 'expectation' | 'run';
  /** 1-based visit of a failed step. */
  visit?: number;
  /** 1-based step number in its visit; `3.2` is step 2 of the offline leg at step 3. */
  step?: string;
  /** The step as a line, e.g. `click data-testid=add-to-cart`. */
  action?: string;
  expectation?: string;
  message: string;
}

export interface RunResult {
  journey: string;
  file: string;
  slug: string;
  /** 1-based run of this journey. */
  run: number;
  runId: string;
  passed: boolean;
  startedAt: string;
  durationMs: number;
  /** Simulated time of the run's start and end (ISO). */
  simulatedStart: string;
  simulatedEnd: string;
  visits: { visit: number; device: number; simulatedAt: string; durationMs: number }[];
  devices: { device: number; label: string; anonymousIds: string[]; cookies: SpurCookie[] }[];
  /** Customer ids the browsers identified as. */
  userIds: string[];
  failures: RunFailure[];
  /** Every request the browsers sent to the collector's ingest API. */
  requests: SentRequest[];
  /** The collector's profiles of the run's anonymous ids (empty when not checked). */
  profiles: Profile[];
  /** What the collector holds for the run, in time order (empty when not checked). */
  events: StoredEvent[];
  /** Funnel steps (funnelSteps) the run's stored events reach. */
  funnelReached: number;
  /** PNG of the page when it failed. */
  screenshot?: Buffer;
}

/** Where in its run a failure happened: `visit 2 step 4 (click ...)`, `expectation cart`, `run`. */
export function failurePlace(failure: RunFailure): string {
  if (failure.kind === 'step') return `visit ${failure.visit} step ${failure.step} (${failure.action})`;
  return failure.kind === 'expectation' ? `expectation ${failure.expectation}` : 'run';
}

/** The first lines of an error, as one line (Playwright's call logs are long). */
export const firstLine = (error: unknown) =>
  String((error as Error)?.message ?? error).split('\n').filter(Boolean).slice(0, 3).join(' ').replace(/\s+/g, ' ').slice(0, 600);

/** A failure in one line: journey, run, visit, step or expectation, message. */
export function describeFailure(result: Pick<RunResult, 'journey' | 'run' | 'runId'>, failure: RunFailure): string {
  return `journey "${result.journey}" run ${result.run} (${result.runId}) ${failurePlace(failure)}: ${failure.message}`;
}

/** `m4k2x9-3f8a` style: time-ordered and unique, short enough for emails and file names. */
export function newRunId(): string {
  return `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

class StepFailed extends Error {
  constructor(
    readonly failure: RunFailure,
    readonly page: Page | undefined,
  ) {
    super(failure.message);
  }
}

/** Plays one run of a journey in `browser` and checks it. Never rejects: problems are failures. */
export async function playRun(browser: Browser, journey: Journey, run: number, options: RunOptions): Promise<RunResult> {
  const { spec } = journey;
  const random = options.random ?? randomness;
  const runId = newRunId();
  const vars = runVars(spec, { runId, run }, random);
  const timeoutMs = options.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
  const started = Date.now();
  const spread = options.spreadMs ? random.int(Math.max(1, Math.floor(options.spreadMs / 1000))) * 1000 : 0;
  const simulatedStart = started - journey.durationMs - (options.marginMs ?? DEFAULT_MARGIN_MS) - spread;
  const timeline: Timeline = { offsetMs: simulatedStart - started };
  const recorder = createRecorder();
  const devices: Device[] = [];
  const failures: RunFailure[] = [];
  const result: RunResult = {
    journey: spec.name,
    file: journey.file,
    slug: journeySlug(journey),
    run,
    runId,
    passed: false,
    startedAt: new Date(started).toISOString(),
    durationMs: 0,
    simulatedStart: new Date(simulatedStart).toISOString(),
    simulatedEnd: '',
    visits: [],
    devices: [],
    userIds: [],
    failures,
    requests: recorder.requests,
    profiles: [],
    events: [],
    funnelReached: 0,
  };
  let lastPage: Page | undefined;

  try {
    let device: Device | undefined;
    for (const [v, visit] of spec.visits.entries()) {
      const gap = visit.after ? parseDuration(visit.after)! : 0;
      if (gap) {
        for (const d of devices) await advanceDevice(d, gap);
        timeline.offsetMs += gap;
      }
      // Devices left offline by the previous visit are back with this one.
      for (const d of devices.filter((d) => d.offline)) {
        await d.context.setOffline(false);
        d.offline = false;
      }
      if (!device || visit.device === 'new') {
        device = await openDevice(browser, visit.as ?? spec.device, devices.length + 1, timeline, recorder);
        devices.push(device);
      }
      const visitStarted = Date.now();
      recorder.setVisit(v + 1);
      const page = await device.context.newPage();
      page.setDefaultTimeout(timeoutMs);
      lastPage = page;
      const ctx: StepContext = { page, device, visit: v + 1, vars, baseUrl: options.baseUrl, consent: spec.consent, recorder, timeoutMs };
      await playSteps(visit.steps, ctx, '');
      const last = v === spec.visits.length - 1;
      await endVisit(device, !last);
      result.visits.push({ visit: v + 1, device: device.index, simulatedAt: new Date(visitStarted + timeline.offsetMs).toISOString(), durationMs: Date.now() - visitStarted });
    }
    result.simulatedEnd = new Date(Date.now() + timeline.offsetMs).toISOString();
    // Everything the browsers sent has an answer before the collector is asked.
    await recorder.idle(FLUSH_TIMEOUT_MS);
    summarise(result, devices);
    if (options.check !== false) await check(result, journey, vars, devices, options);
  } catch (error) {
    if (error instanceof StepFailed) {
      failures.push(error.failure);
      lastPage = error.page ?? lastPage;
    } else failures.push({ kind: 'run', message: firstLine(error) });
    summarise(result, devices);
  }
  if (failures.length && lastPage && !lastPage.isClosed()) {
    result.screenshot = await lastPage.screenshot({ timeout: 5000 }).catch(() => undefined);
  }
  await Promise.all(devices.map((d) => d.context.close().catch(() => undefined)));
  result.simulatedEnd ||= new Date(Date.now() + timeline.offsetMs).toISOString();
  result.passed = failures.length === 0;
  result.durationMs = Date.now() - started;
  return result;
}

/** Plays steps; an offline leg cuts the device's network for its own steps. */
async function playSteps(steps: Step[], ctx: StepContext, prefix: string): Promise<void> {
  for (const [s, step] of steps.entries()) {
    const number = `${prefix}${s + 1}`;
    if ('offline' in step) {
      await ctx.device.context.setOffline(true);
      await playSteps(step.offline, { ...ctx, offline: true }, `${number}.`);
      if (step.reconnect === 'next-visit') ctx.device.offline = true;
      else await ctx.device.context.setOffline(false);
      continue;
    }
    try {
      await playStep(step, ctx);
    } catch (error) {
      const detail = error instanceof StepError ? error.detail : {};
      throw new StepFailed({ kind: 'step', visit: ctx.visit, step: number, action: stepLabel(step, ctx.vars), message: firstLine(error), ...detail }, ctx.page);
    }
  }
}

/**
 * The end of a visit: what the SDK holds is sent (unless the device is offline: then it stays in
 * the outbox for later, which is the point), the spur cookies are noted, and, unless it is the
 * run's last visit, the pages close (pagehide, as when a customer leaves). The last visit's pages
 * stay open for a screenshot should an expectation fail.
 */
async function endVisit(device: Device, close: boolean): Promise<void> {
  if (!device.offline) for (const page of device.context.pages()) await flushPage(page, FLUSH_TIMEOUT_MS);
  await noteCookies(device);
  if (close) for (const page of device.context.pages()) await page.close();
}

/** Fills in the devices' ids and the customer ids the browsers identified as. */
function summarise(result: RunResult, devices: Device[]): void {
  result.devices = devices.map((d) => {
    const ids = new Set(d.cookieIds);
    for (const r of result.requests) if (r.device === d.index) for (const e of r.events) if (typeof e.anonymousId === 'string') ids.add(e.anonymousId);
    return { device: d.index, label: d.label, anonymousIds: [...ids], cookies: d.cookies };
  });
  const users = new Set<string>();
  for (const r of result.requests) for (const e of r.events) if (typeof e.userId === 'string' && e.userId) users.add(e.userId);
  result.userIds = [...users];
}

async function check(result: RunResult, journey: Journey, vars: Record<string, unknown>, devices: Device[], options: RunOptions): Promise<void> {
  if (!options.collectorUrl) throw new Error('no collector URL to check the run against');
  const admin = createAdmin(options.collectorUrl, options.adminToken ?? '');
  const expect = journey.spec.expect ?? {};
  const stored = expect.nothingStored ? await Promise.all(devices.map(async (d) => ({ device: d.index, found: await spurStorage(d, options.baseUrl) }))) : undefined;
  let view: CollectorView;
  try {
    const cartsFrom = needsAbandonedCarts(expect, vars) ? result.simulatedStart : undefined;
    view = await readCollector(admin, result.devices.flatMap((d) => d.anonymousIds), cartsFrom);
  } catch (error) {
    result.failures.push({ kind: 'run', message: `cannot read the collector: ${firstLine(error)}` });
    return;
  }
  result.profiles = view.profiles;
  result.events = view.events;
  result.funnelReached = funnelReached(options.funnelSteps ?? DEFAULT_FUNNEL, view.events, FUNNEL_WINDOW_MS);
  const evidence = { vars, devices: result.devices.map((d) => ({ index: d.device, anonymousIds: d.anonymousIds })), userIds: result.userIds, requests: result.requests, stored, simulatedStart: result.simulatedStart };
  try {
    for (const f of await checkExpectations(expect, evidence, view, admin)) result.failures.push({ kind: 'expectation', ...f });
  } catch (error) {
    result.failures.push({ kind: 'run', message: `cannot check the expectations: ${firstLine(error)}` });
  }
}

