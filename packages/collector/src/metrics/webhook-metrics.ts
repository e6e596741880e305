// The webhook dispatcher's metrics: attempts by type and outcome, what became of the deliveries,
// the time an attempt took, the outbox's depth and the age of its oldest pending delivery, and
// the endpoints disabled. Attempts are counted as the dispatcher makes them; the outbox and the
// endpoints are counted by the dispatcher's own claim (each second, and after each round of
// attempts), so that a scrape queries nothing. The age is the scrape's time minus the oldest
// pending delivery's, so it grows between claims as it does in the outbox.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { OutboxSummary } from '../storage/webhooks';
import { ATTEMPT_OUTCOMES, DELIVERY_RESULTS, type DispatchObserver } from '../webhooks/attempt-outcome';
import type { WebhookDispatcher } from '../webhooks/dispatcher';
import { WEBHOOK_TYPES } from '../webhooks/payload';
import { METRIC_PREFIX } from './process-metrics';

/** Seconds: a receiver on the same network answers in milliseconds, the timeout is 15 s. */
const ATTEMPT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15];

/** The metrics registered in `registers`, fed by `dispatcher`; beforeScrape() brings the age up to date. */
export function webhookMetrics(registers: Registry[], dispatcher: Pick<WebhookDispatcher, 'observe'>, now: () => number = Date.now): { beforeScrape(): void } {
  const name = (n: string) => METRIC_PREFIX + n;
  const attempts = new Counter({
    name: name('webhook_attempts_total'),
    help: 'Webhook delivery attempts made by this process, by webhook type and outcome (status class 2xx-5xx; timeout, network, refused target, aborted at shutdown)',
    labelNames: ['type', 'outcome'] as const,
    registers,
  });
  const results = new Counter({
    name: name('webhook_deliveries_total'),
    help: 'What became of a delivery after an attempt of this process, by webhook type: delivered, retrying, failed (retries over) or disabled (410)',
    labelNames: ['type', 'result'] as const,
    registers,
  });
  const durations = new Histogram({
    name: name('webhook_attempt_duration_seconds'),
    help: 'Time from an attempt starting to the receiver answer (or its failure), by webhook type',
    labelNames: ['type'] as const,
    buckets: ATTEMPT_BUCKETS,
    registers,
  });
  const disabledByGone = new Counter({
    name: name('webhook_endpoints_disabled_total'),
    help: 'Endpoints this process disabled because the receiver answered 410 Gone',
    registers,
  });
  const pending = new Gauge({ name: name('webhook_outbox_pending'), help: 'Webhook deliveries pending in the outbox (due or waiting for a retry), as of the last claim', registers });
  const oldest = new Gauge({
    name: name('webhook_outbox_oldest_pending_seconds'),
    help: 'Age of the oldest pending webhook delivery (0 when none is pending)',
    registers,
  });
  const endpoints = new Gauge({ name: name('webhook_endpoints'), help: 'Webhook endpoints by state (enabled, disabled)', labelNames: ['state'] as const, registers });
  for (const type of WEBHOOK_TYPES) {
    for (const outcome of ATTEMPT_OUTCOMES) attempts.inc({ type, outcome }, 0);
    for (const result of DELIVERY_RESULTS) results.inc({ type, result }, 0);
  }
  let last: OutboxSummary | undefined;

  const observer: DispatchObserver = {
    attempted(type, outcome, result, seconds) {
      attempts.inc({ type, outcome });
      results.inc({ type, result });
      durations.observe({ type }, seconds);
      if (result === 'disabled') disabledByGone.inc();
    },
    outbox(summary) {
      last = summary;
      pending.set(summary.pending);
      endpoints.set({ state: 'enabled' }, summary.endpointsEnabled);
      endpoints.set({ state: 'disabled' }, summary.endpointsDisabled);
    },
  };
  dispatcher.observe(observer);
  return {
    beforeScrape() {
      const at = last?.oldestPendingAt ? Date.parse(last.oldestPendingAt) : NaN;
      oldest.set(Number.isNaN(at) ? 0 : Math.max(0, (now() - at) / 1000));
    },
  };
}
