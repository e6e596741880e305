// The webhook operations as one write program (storage/types.ts WriteProgram), so that every
// backend runs them in transactions of its own where it runs writes: SQLite on its writer thread
// (which thereby owns the outbox), PostgreSQL in the calling process. Reads go the same way (the
// endpoint list, the log): they are rare, and SQLite's writer connection is the one that has
// the webhook primitives.
import type { Program, Storage, WriteProgram } from '../storage/types';
import type { AttemptRow, ClaimedDelivery, DeliveryState, EndpointRow, OutboxSummary } from '../storage/webhooks';

/** One operation and its arguments. */
export type WebhookOp =
  | { op: 'endpoints' }
  | { op: 'add'; row: EndpointRow }
  | { op: 'rotate'; id: string; secret: string; graceUntil: string; now: string }
  | { op: 'disable'; id: string; reason: string; at: string }
  | { op: 'remove'; id: string }
  | { op: 'claim'; now: string; leaseUntil: string; limit: number }
  | { op: 'finish'; attempt: AttemptRow; state: DeliveryState; nextAttemptAt: string; disable?: string }
  | { op: 'attempts'; endpointId: string; limit: number }
  | { op: 'counts' }
  | { op: 'prune'; before: string };

/** What each operation answers. */
export interface WebhookAnswers {
  endpoints: EndpointRow[];
  add: null;
  rotate: EndpointRow | null;
  disable: null;
  remove: boolean;
  /** The outbox as it is after the claim (the dispatcher's metrics). */
  claim: { deliveries: ClaimedDelivery[]; endpoints: EndpointRow[]; summary: OutboxSummary };
  finish: null;
  attempts: AttemptRow[];
  counts: { endpointId: string; state: DeliveryState; count: number }[];
  prune: number;
}

export const WEBHOOK_PROGRAM: WriteProgram<WebhookOp, unknown> = { module: __filename, factory: 'createWebhookProgram', grouped: false };

/** Runs one webhook operation in a transaction of its own; resolves after its commit. */
export function webhookOp<K extends WebhookOp['op']>(storage: Pick<Storage, 'write'>, input: Extract<WebhookOp, { op: K }>): Promise<WebhookAnswers[K]> {
  return storage.write(WEBHOOK_PROGRAM, input) as Promise<WebhookAnswers[K]>;
}

export function createWebhookProgram(): Program<WebhookOp, unknown> {
  return async (tx, inputs) => {
    const out: unknown[] = [];
    const w = tx.webhooks;
    for (const input of inputs) {
      switch (input.op) {
        case 'endpoints':
          out.push(await w.endpoints());
          break;
        case 'add':
          await w.insertEndpoint(input.row);
          out.push(null);
          break;
        case 'rotate': {
          const endpoint = (await w.endpoints()).find((e) => e.id === input.id);
          if (!endpoint) {
            out.push(null);
            break;
          }
          await w.setSecret(input.id, input.secret, endpoint.secret, input.graceUntil);
          out.push({ ...endpoint, secret: input.secret, previousSecret: endpoint.secret, previousUntil: input.graceUntil });
          break;
        }
        case 'disable':
          await w.disableEndpoint(input.id, input.reason, input.at);
          out.push(null);
          break;
        case 'remove':
          out.push(await w.deleteEndpoint(input.id));
          break;
        case 'claim': {
          const deliveries = await w.claimDue(input.now, input.leaseUntil, input.limit);
          // Counted here, where the dispatcher comes each second anyway, rather than per scrape.
          out.push({ deliveries, endpoints: deliveries.length ? await w.endpoints() : [], summary: await w.outboxSummary() });
          break;
        }
        case 'finish':
          await w.finishAttempt(input.attempt, input.state, input.nextAttemptAt);
          if (input.disable !== undefined) await w.disableEndpoint(input.attempt.endpointId, input.disable, input.attempt.at);
          out.push(null);
          break;
        case 'attempts':
          out.push(await w.attempts(input.endpointId, input.limit));
          break;
        case 'counts':
          out.push(await w.outboxCounts());
          break;
        case 'prune':
          out.push(await w.prune(input.before));
          break;
      }
    }
    return out;
  };
}
