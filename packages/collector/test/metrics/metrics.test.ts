// GET /metrics on a real server on loopback, after real ingest: what is counted is exactly what
// the answers said, labels stay few whatever paths clients send, commits are timed, storage
// failures and 429s counted, and the analytics lag falls to 0 once the cache has caught up.
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { createCollector, createStore, openSqliteStorage, startServer, type CollectorConfig, type Store } from '../../src';
import { INGEST_PATHS } from '../../src/routes/ingest-paths';
import { ADMIN_TOKEN, NOW, SERVER_KEY, WRITE_KEYS, basic, bearer, track, useFixtures } from '../helpers';
import { samples, value } from './prometheus-text';

const fx = useFixtures();

interface Running {
  port: number;
  storage: Store;
}

/** A collector on a real server on 127.0.0.1, on a fresh database (or `storage`), closed after the test. */
async function serve(config: Partial<CollectorConfig> = {}, storage?: Store): Promise<Running> {
  const store = storage ?? (await fx.storage());
  const app = createCollector({ writeKeys: WRITE_KEYS, adminToken: ADMIN_TOKEN, now: () => NOW, ...config, storage: store });
  const running = await startServer(app, { port: 0, host: '127.0.0.1', storage: store, drainTimeoutMs: 1000 });
  fx.cleanup(() => running.close());
  return { port: running.port, storage: store };
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One request with `path` sent exactly as given (no URL normalisation), from `localAddress`. */
function send(port: number, method: string, path: string, options: { headers?: Record<string, string>; body?: string; from?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method, path, headers: options.headers, localAddress: options.from ?? '127.0.0.1', agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const post = (port: number, body: unknown, path = '/v1/batch') =>
  send(port, 'POST', path, { headers: { 'Content-Type': 'application/json', Authorization: basic(SERVER_KEY) }, body: JSON.stringify(body) });

/** The scrape's text (a 200 is expected), from an address of its own unless told. */
async function scrape(port: number, token = ADMIN_TOKEN, from = '127.0.0.9'): Promise<string> {
  const answer = await send(port, 'GET', '/metrics', { headers: { Authorization: bearer(token) }, from });
  expect(answer.status).toBe(200);
  return answer.text;
}

describe('GET /metrics', () => {
  it('answers 401 without the admin token or with a wrong one, and the text format with it', async () => {
    const { port } = await serve();
    expect((await send(port, 'GET', '/metrics')).status).toBe(401);
    expect((await send(port, 'GET', '/metrics', { headers: { Authorization: bearer('wrong') } })).status).toBe(401);
    const ok = await send(port, 'GET', '/metrics', { headers: { Authorization: bearer(ADMIN_TOKEN) } });
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4; charset=utf-8$/);
    expect(ok.headers['cache-control']).toBe('no-store');
    expect(ok.text).toMatch(/^# HELP spur_events_accepted_total /m);
    // The process's own metrics, prefixed.
    // A counter of CPU time used since the process metrics were made (at the first scrape): a
    // sample that exists, though it may still be 0 (getrusage moves in scheduler ticks).
    expect(value(ok.text, 'spur_process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(0);
    expect(value(ok.text, 'spur_nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  it('takes the metrics token, which reads nothing else', async () => {
    const { port } = await serve({ metricsToken: 'metrics-only-token-0123456789' });
    await scrape(port, 'metrics-only-token-0123456789');
    await scrape(port, ADMIN_TOKEN);
    const profile = await send(port, 'GET', '/v1/profiles/anon-1', { headers: { Authorization: bearer('metrics-only-token-0123456789') } });
    expect(profile.status).toBe(401);
  });

  it('is 401 when no token is configured at all', async () => {
    const { port } = await serve({ adminToken: undefined });
    expect((await send(port, 'GET', '/metrics', { headers: { Authorization: bearer(ADMIN_TOKEN) } })).status).toBe(401);
  });
});

describe('ingest metrics', () => {
  it('counts accepted, duplicate and rejected events exactly as the answers did, and times each commit', async () => {
    const { port } = await serve();
    const good = Array.from({ length: 5 }, () => track());
    const first = await post(port, { batch: [...good, track({ event: undefined }), track({ timestamp: 'yesterday' })] });
    expect(JSON.parse(first.text)).toMatchObject({ accepted: 5, duplicates: 0 });
    const again = await post(port, { batch: good.slice(0, 3) });
    expect(JSON.parse(again.text)).toMatchObject({ accepted: 0, duplicates: 3, rejected: [] });
    // A single-event route, and a whole request refused (400): no event counted for it.
    expect((await post(port, track(), '/v1/track')).status).toBe(200);
    expect((await post(port, { batch: 'nope' })).status).toBe(400);

    const text = await scrape(port);
    expect(value(text, 'spur_events_accepted_total')).toBe(6);
    expect(value(text, 'spur_events_duplicate_total')).toBe(3);
    expect(value(text, 'spur_events_rejected_total', { reason: 'missing_field' })).toBe(1);
    expect(value(text, 'spur_events_rejected_total', { reason: 'invalid_time' })).toBe(1);
    expect(samples(text, 'spur_events_rejected_total').reduce((sum, [, v]) => sum + v, 0)).toBe(2);
    expect(value(text, 'spur_http_requests_total', { route: '/v1/batch', method: 'POST', status: '200' })).toBe(2);
    expect(value(text, 'spur_http_requests_total', { route: '/v1/batch', method: 'POST', status: '400' })).toBe(1);
    expect(value(text, 'spur_http_requests_total', { route: '/v1/track', method: 'POST', status: '200' })).toBe(1);
    expect(value(text, 'spur_http_request_duration_seconds_count', { route: '/v1/batch' })).toBe(3);
    // Three appends, each committed: observed once each, in a plausible time.
    expect(value(text, 'spur_storage_commit_duration_seconds_count')).toBe(3);
    const sum = value(text, 'spur_storage_commit_duration_seconds_sum')!;
    expect(sum).toBeGreaterThan(0);
    expect(sum).toBeLessThan(30);
  });

  it('keeps a registry per collector: two collectors in one process count apart', async () => {
    const a = await serve();
    const b = await serve();
    await post(a.port, { batch: [track(), track()] });
    expect(value(await scrape(a.port), 'spur_events_accepted_total')).toBe(2);
    expect(value(await scrape(b.port), 'spur_events_accepted_total')).toBe(0);
  });
});

describe('label cardinality', () => {
  it('stays bounded under 1,000 odd spellings of paths', async () => {
    const { port } = await serve({ rateLimit: 0, eventRateLimit: 0 });
    const spellings: string[] = [];
    for (let i = 0; spellings.length < 1000; i++) {
      const ingest = INGEST_PATHS[i % INGEST_PATHS.length];
      const odd = [
        ingest.toUpperCase(),
        `${ingest}/`,
        `${ingest}?x=${i}`,
        `/no/such/path/${i}`,
        `/v1/profiles/customer-${i}`,
        `/V1/PROFILES/${i}/events`,
        `/v1/exports/kind-${i}`,
        `/spur.js?v=${i}`,
        `/${'%41'.repeat(i % 7)}x${i}`,
        `${ingest}//${i}`,
      ];
      spellings.push(odd[i % odd.length]);
    }
    const methods = ['POST', 'GET', 'DELETE', 'OPTIONS', 'PUT', 'PATCH', 'HEAD', 'PROPFIND'];
    for (let i = 0; i < spellings.length; i += 50) {
      await Promise.all(
        spellings.slice(i, i + 50).map((path, j) =>
          send(port, methods[(i + j) % methods.length], path, {
            headers: { 'Content-Type': 'application/json', Authorization: basic(SERVER_KEY) },
            body: JSON.stringify({ batch: [track()] }),
          }),
        ),
      );
    }
    const text = await scrape(port);
    const series = samples(text, 'spur_http_requests_total');
    // Every request counted (the scrape counts once it is answered, after this text was made).
    expect(series.reduce((sum, [, v]) => sum + v, 0)).toBe(1000);
    const routes = new Set(series.map(([l]) => l.route));
    expect(routes.size).toBeLessThanOrEqual(INGEST_PATHS.length + 6);
    for (const route of routes) expect(route).toMatch(/^(\/v1\/profiles\/\*|\/v1\/exports\/\*|\/v1\/exports\/:kind|\/v1\/profiles\/:id(\/events)?|\/spur\.js|unmatched|\/[a-z0-9/]+)$/);
    for (const route of routes) if (route.startsWith('/') && !route.includes('*') && !route.includes(':') && route !== '/spur.js') expect(INGEST_PATHS).toContain(route);
    expect(new Set(series.map(([l]) => l.method))).toEqual(new Set(['POST', 'GET', 'DELETE', 'OPTIONS', 'PUT', 'PATCH', 'HEAD', 'other']));
    // The duration histogram has one label, the route: its series are the routes' times its buckets.
    const buckets = samples(text, 'spur_http_request_duration_seconds_bucket');
    expect(new Set(buckets.map(([l]) => l.route))).toEqual(routes);
  }, 60_000);
});

describe('storage and limits', () => {
  it('counts requests refused because storage failed, by reason', async () => {
    const file = join(fx.tempDir(), 'spur.db');
    await (await openSqliteStorage(file)).close();
    // SQLite's read-only open mode: every append fails with SQLITE_READONLY (storage-failures.test.ts).
    const storage = createStore(await openSqliteStorage(file, { readonly: true }));
    fx.cleanup(() => storage.close());
    const { port } = await serve({}, storage);
    for (let i = 0; i < 3; i++) expect((await post(port, { batch: [track()] })).status).toBe(503);
    const text = await scrape(port);
    expect(value(text, 'spur_storage_errors_total', { reason: 'read_only' })).toBe(3);
    expect(value(text, 'spur_storage_errors_total', { reason: 'disk_full' })).toBe(0);
    expect(value(text, 'spur_events_accepted_total')).toBe(0);
    expect(value(text, 'spur_storage_commit_duration_seconds_count')).toBe(0);
    expect(value(text, 'spur_http_requests_total', { route: '/v1/batch', status: '503' })).toBe(3);
  });

  it('counts 429s by the limit that refused them: requests per address, failed admin logins', async () => {
    // 1 request a second per address, bursts of 2, on a clock that stands still: the third is refused.
    const { port } = await serve({ rateLimit: 1 });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await post(port, { batch: [track()] })).status);
    expect(statuses).toEqual([200, 200, 429, 429, 429]);
    // Ten failed logins are allowed from one address; the eleventh attempt is refused before its token is looked at.
    for (let i = 0; i < 11; i++) await send(port, 'GET', '/v1/profiles/x', { headers: { Authorization: bearer(`guess-${i}`) }, from: '127.0.0.3' });
    expect((await send(port, 'GET', '/metrics', { headers: { Authorization: bearer(ADMIN_TOKEN) }, from: '127.0.0.3' })).status).toBe(429);
    const text = await scrape(port);
    expect(value(text, 'spur_rate_limited_total', { scope: 'requests_ip' })).toBe(3);
    expect(value(text, 'spur_rate_limited_total', { scope: 'events_ip' })).toBe(0);
    expect(value(text, 'spur_rate_limited_total', { scope: 'admin_login' })).toBe(2);
    expect(value(text, 'spur_http_requests_total', { route: '/v1/profiles/*', status: '401' })).toBe(10);
  });

  it('counts 429s of the event limit per write key', async () => {
    const { port } = await serve({ rateLimit: 0, eventRateLimit: { perIp: 0, perWriteKey: 5 } });
    // 10 tokens (2 s of 5): a batch of 20 takes them all and goes into debt; the next is refused.
    expect((await post(port, { batch: Array.from({ length: 20 }, () => track()) })).status).toBe(200);
    expect((await post(port, { batch: [track()] })).status).toBe(429);
    expect(value(await scrape(port), 'spur_rate_limited_total', { scope: 'events_write_key' })).toBe(1);
  });
});

describe('analytics lag', () => {
  it('counts the events the cache has not read, and is 0 once it has caught up', async () => {
    const { port } = await serve();
    // The first catch-up runs at start; wait for it.
    for (let i = 0; i < 100 && (await send(port, 'GET', '/readyz/analytics')).status !== 200; i++) await new Promise((r) => setTimeout(r, 20));
    let text = await scrape(port);
    expect(value(text, 'spur_analytics_enabled')).toBe(1);
    expect(value(text, 'spur_analytics_lag_events')).toBe(0);
    expect(value(text, 'spur_analytics_lag_seconds')).toBe(0);

    await post(port, { batch: Array.from({ length: 12 }, () => track()) });
    await new Promise((r) => setTimeout(r, 20));
    text = await scrape(port);
    expect(value(text, 'spur_analytics_lag_events')).toBe(12);
    expect(value(text, 'spur_analytics_lag_seconds')).toBeGreaterThan(0);

    // An export refreshes the cache first.
    expect((await send(port, 'GET', '/v1/exports/products', { headers: { Authorization: bearer(ADMIN_TOKEN) } })).status).toBe(200);
    text = await scrape(port);
    expect(value(text, 'spur_analytics_lag_events')).toBe(0);
    expect(value(text, 'spur_analytics_lag_seconds')).toBe(0);
  });
});
