// The webhook dispatcher: takes due deliveries from the outbox (leased, so that one process
// attempts a delivery at a time), POSTs each with fresh Standard Webhooks headers, and records
// every attempt. 2xx: delivered. 410: the endpoint is disabled, no more attempts. Anything else
// (another status, a redirect, a timeout, a refused address, no answer): again after the next
// step of RETRY_SCHEDULE_MS with full jitter, under the same webhook-id, until the schedule ends.
// It polls every second and is woken at once when this process stores an event that fires one.
// A process killed mid-attempt leaves a lease; after it expires (leaseMs) any collector retries:
// delivery is at least once, and receivers dedupe on webhook-id.
import { StorageUnavailableError } from '../errors';
import { errorFields, silentLogger, type Logger } from '../log';
import type { Storage } from '../storage/types';
import type { AttemptRow, ClaimedDelivery, DeliveryState, EndpointRow } from '../storage/webhooks';
import { checkTarget, TargetRefused } from './address-guard';
import { statusOutcome, type AttemptOutcome, type DeliveryResult, type DispatchObserver } from './attempt-outcome';
import { webhookOp } from './programs';
import { webhookHeaders } from './signature';

/**
 * Finished deliveries (their payloads name customers) and the log of attempts are kept this long,
 * then deleted (at start and hourly); pending ones stay until delivered or given up.
 */
export const WEBHOOK_LOG_DAYS = 30;

/** The wait before each retry (the upper bound of its full jitter): 9 retries over about 2 days. */
export const RETRY_SCHEDULE_MS = [5_000, 30_000, 120_000, 600_000, 3_600_000, 3 * 3_600_000, 6 * 3_600_000, 12 * 3_600_000, 24 * 3_600_000];

export interface DispatcherOptions {
  storage: Pick<Storage, 'write'>;
  /** Targets on private, loopback and other internal addresses allowed (SPUR_WEBHOOKS_ALLOW_PRIVATE). */
  allowPrivate: boolean;
  /** @defaultValue Date.now */
  now?: () => number;
  logger?: Logger;
  /** @defaultValue 1000 */
  intervalMs?: number;
  /** How long a claimed delivery is this process's alone. @defaultValue 60000 */
  leaseMs?: number;
  /** An attempt's whole time, connection to the end of the answer's headers. @defaultValue 15000 */
  timeoutMs?: number;
  /** Deliveries attempted at once. @defaultValue 10 */
  concurrency?: number;
  /** [0, 1): the jitter. @defaultValue Math.random */
  random?: () => number;
}

export interface WebhookDispatcher {
  /** Looks for due deliveries now (an event that fires webhooks was just stored). */
  wake(): void;
  /** Attempts what is due now; resolves with how many attempts were made. */
  run(): Promise<number>;
  /** Tells `observer` of every attempt and outbox count from now on (the collector's metrics). */
  observe(observer: DispatchObserver): void;
  /** Stops polling, aborts the attempts under way (recorded as failed, retried later). */
  stop(): Promise<void>;
}

/** The next try after attempt number `attempt` (1-based) failed: a time, or null when the schedule is over. */
export function nextAttemptAt(attempt: number, now: number, random: () => number): number | null {
  const step = RETRY_SCHEDULE_MS[attempt - 1];
  return step === undefined ? null : now + Math.floor(random() * step);
}

export function startWebhookDispatcher(options: DispatcherOptions): WebhookDispatcher {
  const { storage } = options;
  const now = options.now ?? Date.now;
  const logger = options.logger ?? silentLogger;
  const random = options.random ?? Math.random;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const limit = options.concurrency ?? 10;
  const stopping = new AbortController();
  let running: Promise<number> | undefined;
  let again = false;
  let stopped = false;
  let observer: DispatchObserver | undefined;

  async function attempt(d: ClaimedDelivery, endpoint: EndpointRow): Promise<void> {
    const started = now();
    const secrets = [endpoint.secret];
    if (endpoint.previousSecret && endpoint.previousUntil && Date.parse(endpoint.previousUntil) > started) secrets.push(endpoint.previousSecret);
    // A fresh timestamp and signature per attempt, the same webhook-id.
    const headers = { ...webhookHeaders(secrets, d.messageId, Math.floor(started / 1000), d.payload), 'content-type': 'application/json', 'user-agent': 'spur-webhooks/1' };
    let statusCode: number | null = null;
    let error: string | null = null;
    let outcome: AttemptOutcome = 'network';
    try {
      await checkTarget(endpoint.url, options.allowPrivate);
      const res = await fetch(endpoint.url, {
        method: 'POST',
        body: d.payload,
        headers,
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), stopping.signal]),
      });
      statusCode = res.status;
      outcome = statusOutcome(statusCode);
      await res.body?.cancel().catch(() => undefined);
      if (statusCode >= 300 && statusCode < 400) error = 'redirect not followed';
      else if (statusCode === 410) error = 'endpoint gone (410): disabled';
      else if (statusCode < 200 || statusCode >= 300) error = `HTTP ${statusCode}`;
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      outcome = err instanceof TargetRefused ? 'refused' : stopping.signal.aborted ? 'aborted' : e.name === 'TimeoutError' ? 'timeout' : 'network';
      error = err instanceof TargetRefused ? `refused: ${e.message}` : stopping.signal.aborted ? 'aborted: the collector stopped' : e.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : (e.cause?.code ?? e.message);
    }
    const at = now();
    const number = d.attempts + 1;
    const record: AttemptRow = { messageId: d.messageId, endpointId: d.endpointId, type: d.type, attempt: number, statusCode, durationMs: at - started, error, at: new Date(at).toISOString() };
    let state: DeliveryState = 'delivered';
    let next = at;
    if (statusCode === 410) state = 'disabled';
    else if (error !== null) {
      const retry = nextAttemptAt(number, at, random);
      state = retry === null ? 'failed' : 'pending';
      next = retry ?? at;
    }
    await webhookOp(storage, {
      op: 'finish',
      attempt: record,
      state,
      nextAttemptAt: new Date(next).toISOString(),
      ...(statusCode === 410 && { disable: `the receiver answered 410 Gone at ${record.at}` }),
    });
    const result: DeliveryResult = state === 'pending' ? 'retrying' : state;
    observer?.attempted(d.type, outcome, result, (at - started) / 1000);
    if (error !== null) logger.warn({ webhook: d.messageId, endpoint: d.endpointId, attempt: number, status: statusCode, error, state }, 'webhook attempt failed');
  }

  async function drain(): Promise<number> {
    let made = 0;
    for (;;) {
      const at = now();
      const { deliveries, endpoints, summary } = await webhookOp(storage, {
        op: 'claim',
        now: new Date(at).toISOString(),
        leaseUntil: new Date(at + (options.leaseMs ?? 60_000)).toISOString(),
        limit,
      });
      observer?.outbox(summary, at);
      const byId = new Map(endpoints.map((e) => [e.id, e]));
      await Promise.all(deliveries.map((d) => (byId.has(d.endpointId) ? attempt(d, byId.get(d.endpointId)!) : undefined)));
      made += deliveries.length;
      // Until a claim finds nothing due: that last claim counts the outbox after these attempts.
      if (deliveries.length === 0 || stopped) return made;
    }
  }

  function run(): Promise<number> {
    if (running) {
      again = true;
      return running;
    }
    running = drain().finally(() => {
      running = undefined;
      if (again && !stopped) {
        again = false;
        tick();
      }
    });
    return running;
  }

  let loggedAt = -Infinity;
  function tick(): void {
    if (stopped) return;
    run().catch((err: unknown) => {
      // Storage being down is the storage watch's to report; this tries again each second.
      if (err instanceof StorageUnavailableError) return;
      // Anything else once a minute at most, not every second.
      if (now() - loggedAt < 60_000) return;
      loggedAt = now();
      logger.error(errorFields(err, true), 'webhook deliveries failed (tried again each second)');
    });
  }

  const timer = setInterval(tick, options.intervalMs ?? 1000);
  timer.unref();
  const prune = async () => {
    if (stopped) return;
    try {
      await webhookOp(storage, { op: 'prune', before: new Date(now() - WEBHOOK_LOG_DAYS * 86_400_000).toISOString() });
    } catch {
      // tried again in an hour
    }
  };
  const pruning = setInterval(prune, 3_600_000);
  pruning.unref();
  // Not in this turn of the loop: the collector is still being built (storage may be opening).
  const first = setTimeout(() => {
    tick();
    void prune();
  }, 0);
  first.unref();
  return {
    wake: tick,
    run,
    observe(o) {
      observer = o;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearInterval(pruning);
      clearTimeout(first);
      stopping.abort();
      await running?.catch(() => undefined);
    },
  };
}
