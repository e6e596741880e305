// What became of a webhook attempt, as a bounded label for the metrics: the class of the
// receiver's status, or why there was none. The error text of the delivery log names hosts,
// statuses and system codes, as many values as receivers can make; these are a fixed few.
import type { OutboxSummary } from '../storage/webhooks';

/** Every outcome, so that each counter exists (at 0) from the start. */
export const ATTEMPT_OUTCOMES = ['2xx', '3xx', '4xx', '5xx', 'timeout', 'network', 'refused', 'aborted'] as const;

export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

/** What a delivery is after an attempt: delivered, to be retried, given up, or its endpoint disabled. */
export const DELIVERY_RESULTS = ['delivered', 'retrying', 'failed', 'disabled'] as const;

export type DeliveryResult = (typeof DELIVERY_RESULTS)[number];

/** The outcome of an answered attempt by its status (fetch never resolves with 1xx). */
export function statusOutcome(status: number): AttemptOutcome {
  if (status < 300) return '2xx';
  if (status < 400) return '3xx';
  if (status < 500) return '4xx';
  return '5xx';
}

/** Told by the dispatcher what it did and found (metrics/collector-metrics.ts counts it). */
export interface DispatchObserver {
  /** One attempt made, of webhook type `type`, its outcome, the delivery's result and the time it took. */
  attempted(type: string, outcome: AttemptOutcome, result: DeliveryResult, seconds: number): void;
  /** The outbox as the dispatcher's latest claim found it, and when. */
  outbox(summary: OutboxSummary, at: number): void;
}
