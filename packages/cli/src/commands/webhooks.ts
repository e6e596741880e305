import type { AttemptRow, EndpointInfo, Storage } from '@spur/collector';
import { parseFlags, UsageError, type Io } from '../io';

const options = {
  db: { type: 'string' },
  'database-url': { type: 'string' },
  events: { type: 'string' },
  limit: { type: 'string' },
  collector: { type: 'string' },
  token: { type: 'string' },
} as const;

/** What the command does, on the database or through a running collector's admin API. */
interface Backend {
  add(url: string, events: string[]): Promise<{ endpoint: EndpointInfo; secret: string }>;
  list(): Promise<EndpointInfo[]>;
  remove(id: string): Promise<void>;
  rotate(id: string): Promise<{ secret: string; previousValidUntil: string }>;
  log(id: string, limit: number): Promise<AttemptRow[]>;
  close(): Promise<void>;
  shown: string;
}

/** A refusal the command reports with exit code 1 (a refused URL, an unknown endpoint). */
class Refused extends Error {}

async function onDatabase(values: { db?: string; 'database-url'?: string }, io: Io): Promise<Backend> {
  const collector = await import('@spur/collector');
  const databaseUrl = values['database-url'] ?? (io.env.SPUR_DATABASE_URL || undefined);
  const db = values.db ?? (io.env.SPUR_DB || './data/spur.db');
  let storage: Storage;
  try {
    storage = await collector.openStorage({ db, ...(databaseUrl !== undefined && { databaseUrl }), mustExist: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`no database at ${db}: set SPUR_DB or --db to the collector's database file (or SPUR_DATABASE_URL)`);
    throw err;
  }
  const allowPrivate = io.env.SPUR_WEBHOOKS_ALLOW_PRIVATE === 'true';
  const refusing = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      if (err instanceof collector.WebhookError) throw err.kind === 'usage' && !err.message.startsWith('url refused') ? new UsageError(err.message) : new Refused(err.message);
      throw err;
    }
  };
  return {
    shown: databaseUrl === undefined ? db : collector.redactDatabaseUrl(databaseUrl),
    add: (url, events) => refusing(() => collector.addEndpoint(storage, { url, events, allowPrivate, now: Date.now() })),
    list: () => collector.listEndpoints(storage),
    remove: (id) => refusing(() => collector.removeEndpoint(storage, id)),
    rotate: (id) => refusing(() => collector.rotateSecret(storage, id, Date.now())),
    log: (id, limit) => refusing(() => collector.deliveryLog(storage, id, limit)),
    close: () => storage.close(),
  };
}

function overHttp(base: string, token: string): Backend {
  const url = base.replace(/\/+$/, '');
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(url + path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
    } catch (err) {
      throw new Refused(`cannot reach the collector at ${url}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`);
    }
    const answer = (await res.json().catch(() => ({}))) as T & { error?: { message?: string } };
    if (!res.ok) throw new Refused(`${res.status} ${answer.error?.message ?? res.statusText}`);
    return answer;
  }
  const path = (id: string) => `/v1/webhooks/${encodeURIComponent(id)}`;
  return {
    shown: url,
    add: (target, events) => call('POST', '/v1/webhooks', { url: target, events }),
    list: async () => (await call<{ endpoints: EndpointInfo[] }>('GET', '/v1/webhooks')).endpoints,
    remove: async (id) => void (await call('DELETE', path(id))),
    rotate: (id) => call('POST', `${path(id)}/rotate`),
    log: async (id, limit) => (await call<{ attempts: AttemptRow[] }>('GET', `${path(id)}/attempts?limit=${limit}`)).attempts,
    close: async () => undefined,
  };
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()).join('\n') + '\n';
}

const when = (iso: string) => iso.slice(0, 19).replace('T', ' ');

/**
 * `spur webhooks add|list|remove|rotate|log`: webhook endpoints in the collector's database
 * (SPUR_DB / --db, or SPUR_DATABASE_URL / --database-url; running collectors pick them up at
 * once), or through a running collector's admin API (--collector URL --token TOKEN).
 */
export async function webhooks(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags(args, options, true);
  const [action, target, ...rest] = positionals;
  const actions = ['add', 'list', 'remove', 'rotate', 'log'];
  if (!actions.includes(action)) throw new UsageError(`expected one of ${actions.join(', ')}`);
  if (action === 'list' ? target !== undefined : !target || rest.length > 0) throw new UsageError(action === 'list' ? 'list takes no argument' : action === 'add' ? 'expected the URL after add' : `expected one endpoint id after ${action}`);
  if ((values.events !== undefined) !== (action === 'add')) throw new UsageError(action === 'add' ? '--events is required: e.g. --events order.completed,cart.abandoned' : '--events is for add');
  if (values.limit !== undefined && action !== 'log') throw new UsageError('--limit is for log');
  const limit = values.limit === undefined ? 20 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError('--limit: a whole number from 1 to 1000');
  const remote = values.collector ?? undefined;
  if ((values.token !== undefined || remote !== undefined) && (values.db !== undefined || values['database-url'] !== undefined)) throw new UsageError('either --collector (with --token) or --db / --database-url');
  if (values.token !== undefined && remote === undefined) throw new UsageError('--token goes with --collector URL');
  let backend: Backend;
  if (remote !== undefined) {
    const token = values.token ?? io.env.SPUR_ADMIN_TOKEN;
    if (!token) throw new UsageError('--collector needs the admin token: --token TOKEN or SPUR_ADMIN_TOKEN');
    backend = overHttp(remote, token);
  } else backend = await onDatabase(values, io);
  try {
    switch (action) {
      case 'add': {
        const events = values.events!.split(',').map((e) => e.trim());
        const { endpoint, secret } = await backend.add(target!, events);
        io.err(`spur webhooks: added ${endpoint.id} (${endpoint.events.join(', ')}) -> ${endpoint.url} on ${backend.shown}\nIts signing secret, shown this once (keep it with the receiver):\n`);
        io.out(`${secret}\n`);
        break;
      }
      case 'list': {
        const endpoints = await backend.list();
        if (endpoints.length === 0) {
          io.out('no webhook endpoints yet: add one with spur webhooks add URL --events order.completed\n');
          break;
        }
        const rows = [['id', 'url', 'events', 'state', 'delivered', 'pending', 'failed', 'created']];
        for (const e of endpoints) {
          const d = e.deliveries;
          rows.push([e.id, e.url, e.events.join(','), e.enabled ? 'enabled' : `disabled: ${e.disabledReason}`, String(d.delivered ?? 0), String(d.pending ?? 0), String((d.failed ?? 0) + (d.disabled ?? 0)), when(e.createdAt)]);
        }
        io.out(table(rows));
        break;
      }
      case 'remove':
        await backend.remove(target!);
        io.err(`spur webhooks: removed ${target} with its deliveries and log\n`);
        break;
      case 'rotate': {
        const { secret, previousValidUntil } = await backend.rotate(target!);
        io.err(`spur webhooks: new secret for ${target}, shown this once; the old one signs too until ${previousValidUntil}:\n`);
        io.out(`${secret}\n`);
        break;
      }
      case 'log': {
        const attempts = await backend.log(target!, limit);
        if (attempts.length === 0) {
          io.out(`no delivery attempts for ${target} yet\n`);
          break;
        }
        const rows = [['time', 'webhook-id', 'type', 'attempt', 'status', 'ms', 'error']];
        for (const a of attempts) rows.push([when(a.at), a.messageId, a.type, String(a.attempt), a.statusCode === null ? '-' : String(a.statusCode), String(a.durationMs), a.error ?? '']);
        io.out(table(rows));
        break;
      }
    }
  } catch (err) {
    if (!(err instanceof Refused)) throw err;
    io.err(`spur webhooks: ${err.message}\n`);
    return 1;
  } finally {
    await backend.close();
  }
  return 0;
}
