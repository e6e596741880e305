// Playing one step of a visit in a page. Steps wait on real signals (Playwright's auto-waiting,
// the requests the browser sends), never on sleeps.
import type { Page } from 'playwright';
import { compareEvents, pickedIn, type FailureDetail } from './compare';
import type { Device, Recorder } from './device';
import { parseDuration } from './duration';
import { describeMatcher, eventLabel, matchesEvent } from './match';
import type { Step } from './spec';
import { resolveText, resolveValue, type Vars } from './values';

export interface StepContext {
  page: Page;
  device: Device;
  visit: number;
  vars: Vars;
  baseUrl: string;
  consent?: 'granted' | 'denied';
  recorder: Recorder;
  timeoutMs: number;
  /** The step is in an offline leg: the device's network is cut. */
  offline?: boolean;
}

/** A step that failed with what it compared (expectRequest: the events this visit sent). */
export class StepError extends Error {
  constructor(
    message: string,
    readonly detail: FailureDetail,
  ) {
    super(message);
  }
}

/** A step in a line: `click data-testid=add-to-cart`, `goto /cart.html`. */
export function stepLabel(step: Step, vars?: Vars): string {
  const text = (value: unknown) => (vars ? resolveText(value, vars) : typeof value === 'string' ? value : JSON.stringify(value));
  if ('goto' in step) return `goto ${text(step.goto)}`;
  if ('click' in step) return `click ${text(step.click)}`;
  if ('fill' in step) return `fill ${text(step.fill)} with ${JSON.stringify(text(step.value))}`;
  if ('press' in step) return `press ${step.key} in ${text(step.press)}`;
  if ('waitFor' in step) {
    const target = typeof step.waitFor === 'object' && 'url' in step.waitFor ? `url containing ${text(step.waitFor.url)}` : text(step.waitFor);
    return `waitFor ${target}${step.text !== undefined ? ` with text ${JSON.stringify(text(step.text))}` : ''}`;
  }
  if ('track' in step) return `track ${JSON.stringify(text(step.track))}`;
  if ('identify' in step) return `identify ${text(step.identify)}`;
  if ('expectRequest' in step) return `expectRequest ${describeMatcher(vars ? resolveValue(step.expectRequest, vars) : step.expectRequest)}`;
  return `offline leg of ${step.offline.length} step${step.offline.length === 1 ? '' : 's'}`;
}

/** Waits until the async SDK has replaced the stub (it then has flush()); false if the page has no SDK after load. */
export async function sdkLoaded(page: Page): Promise<boolean> {
  // Async scripts run before the load event; after it, the SDK is there or is not coming.
  await page.waitForLoadState('load');
  return page.evaluate(() => typeof (window as any).spur?.flush === 'function');
}

/**
 * Waits until the page's SDK holds no event: spur.flush() settles once the collector has
 * answered 2xx for every event of the page, or after `timeoutMs`. A page without the SDK (or
 * before the first goto, about:blank) has nothing to wait for.
 */
export async function flushPage(page: Page, timeoutMs: number): Promise<void> {
  if (page.isClosed() || page.url() === 'about:blank' || !(await sdkLoaded(page).catch(() => false))) return;
  await page.evaluate((ms) => (window as any).spur.flush(ms), timeoutMs);
}

/**
 * Before a goto leaves a page: what the page recorded is delivered first, unless the device is
 * offline (then it stays in the outbox for a later page, which is the point). Left to itself, the
 * page would send it on pagehide in a keepalive request, which Chromium sends but reports to no
 * one: neither Playwright nor the page's DevTools session sees a request of a document being
 * unloaded. The runner would then not see those events (expectRequest, nothingSent, the report's
 * requests) and could not wait for their answer before it reads the collector: on a busy machine
 * or with a slow collector, they were not stored yet when the run was checked.
 */
async function leavePage(ctx: StepContext): Promise<void> {
  if (ctx.offline || ctx.device.offline) return;
  // A page that navigates by itself meanwhile (a redirect) has sent its events on its way out:
  // the goto goes ahead rather than failing on the page's destroyed context.
  await flushPage(ctx.page, ctx.timeoutMs).catch(() => undefined);
}

/** Calls window.spur.consent(choice) on the device's first page, once the SDK has loaded. */
async function applyConsent(ctx: StepContext): Promise<void> {
  if (!ctx.consent || ctx.device.consentApplied) return;
  if (!(await sdkLoaded(ctx.page))) throw new Error(`consent "${ctx.consent}": the page has no spur SDK (window.spur.flush is missing after load)`);
  const has = await ctx.page.evaluate(() => typeof (window as any).spur.consent === 'function');
  if (!has) {
    throw new Error(
      `consent "${ctx.consent}": this spur SDK has no consent API (window.spur.consent is not a function); ` +
        'the journey needs an SDK with spur.consent(\'granted\'|\'denied\')',
    );
  }
  await ctx.page.evaluate((choice) => (window as any).spur.consent(choice), ctx.consent);
  ctx.device.consentApplied = true;
}

/** Resolves when this device has sent, during this visit, a request with an event the matcher matches. */
function expectRequest(ctx: StepContext, specMatcher: unknown, timeoutMs: number): Promise<void> {
  const matcher = resolveValue(specMatcher, ctx.vars);
  const mine = (sent: Recorder['requests'][number]) => sent.device === ctx.device.index && sent.visit === ctx.visit;
  const hit = (sent: Recorder['requests'][number]) => mine(sent) && sent.events.some((e) => matchesEvent(matcher, e));
  if (ctx.recorder.requests.some(hit)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      const sent = ctx.recorder.requests.filter(mine).flatMap((r) => r.events);
      const seen = sent.map(eventLabel);
      const picked = pickedIn(specMatcher, ctx.vars);
      const compared = compareEvents(matcher, sent);
      reject(
        new StepError(
          `no request with ${describeMatcher(matcher)} within ${timeoutMs} ms; ` +
            (seen.length ? `this visit sent: ${seen.slice(0, 20).join(', ')}${seen.length > 20 ? ', ...' : ''}` : 'this visit sent nothing to the collector'),
          { ...(picked ? { picked } : {}), ...(compared.length ? { compared } : {}) },
        ),
      );
    }, timeoutMs);
    const stop = ctx.recorder.onRequest((sent) => {
      if (!hit(sent)) return;
      clearTimeout(timer);
      stop();
      resolve();
    });
  });
}

/** Plays one step (not an offline leg: the visit plays those). */
export async function playStep(step: Step, ctx: StepContext): Promise<void> {
  const { page, vars } = ctx;
  const text = (value: unknown) => resolveText(value, vars);
  if ('goto' in step) {
    await leavePage(ctx);
    await page.goto(new URL(text(step.goto), ctx.baseUrl).href);
    await applyConsent(ctx);
  } else if ('click' in step) {
    await page.locator(text(step.click)).click();
  } else if ('fill' in step) {
    await page.locator(text(step.fill)).fill(text(step.value));
  } else if ('press' in step) {
    await page.locator(text(step.press)).press(step.key);
  } else if ('waitFor' in step) {
    if (typeof step.waitFor === 'object' && 'url' in step.waitFor) {
      const part = text(step.waitFor.url);
      await page.waitForURL((url) => url.href.includes(part));
    } else {
      let locator = page.locator(text(step.waitFor));
      if (step.text !== undefined) locator = locator.filter({ hasText: text(step.text) });
      await locator.first().waitFor({ state: step.state ?? 'visible' });
    }
  } else if ('track' in step) {
    // The command form works before the async SDK has loaded too (the stub queues it).
    await page.evaluate(([event, properties]) => (window as any).spur('track', event, properties), [text(step.track), resolveValue(step.properties ?? {}, vars)] as const);
  } else if ('identify' in step) {
    await page.evaluate(([userId, traits]) => (window as any).spur('identify', userId, traits), [text(step.identify), resolveValue(step.traits ?? {}, vars)] as const);
  } else if ('expectRequest' in step) {
    await expectRequest(ctx, step.expectRequest, step.timeout ? parseDuration(step.timeout)! : ctx.timeoutMs);
  } else {
    throw new Error('an offline leg is played by the visit, not as a single step');
  }
}
