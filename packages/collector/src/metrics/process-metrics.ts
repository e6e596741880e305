// The process's own metrics (CPU, memory, heap, event loop delay, garbage collection, handles),
// prom-client's defaults, prefixed `spur_`. They describe the process, not a collector, so there
// is one set per process, made at the first scrape and shared by every collector in it (a shop
// may mount several; tests make hundreds): each set starts an event loop delay monitor and a GC
// observer that are never stopped.
import { collectDefaultMetrics, Registry } from 'prom-client';

/** Prefix of every metric spur exports. */
export const METRIC_PREFIX = 'spur_';

let shared: Registry | undefined;

/** The registry of the process's metrics, started on first use. */
export function processMetrics(): Registry {
  if (!shared) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared, prefix: METRIC_PREFIX });
  }
  return shared;
}
