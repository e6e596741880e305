// Shared fixtures: real SQLite files in fresh temp directories, removed after each test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createAnalyticsService, createCollector, createStore, openSqliteStorage, type Collector, type CollectorConfig, type Storage, type Store } from '../src';
import { startAbandonment } from '../src/jobs/abandonment';

export const WRITE_KEY = 'wk_shop';
export const SHOP = 'https://shop.example';
export const OTHER_KEY = 'wk_other';
export const OTHER_SHOP = 'https://other.example';
export const SERVER_KEY = 'wk_server';
export const ADMIN_TOKEN = 'admin-secret-token';
/** The collector's clock in tests. */
export const NOW = Date.parse('2024-05-01T12:00:00.000Z');

export const WRITE_KEYS = { [WRITE_KEY]: [SHOP], [OTHER_KEY]: [OTHER_SHOP], [SERVER_KEY]: [] };

export const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
export const bearer = (token: string) => `Bearer ${token}`;

/** POSTs `events` as one batch with the server key (as a shop's backend sends) and expects a 200. */
export const ingestAsServer = (app: Collector, ...events: unknown[]) =>
  request(app).post('/v1/batch').set('Authorization', basic(SERVER_KEY)).set('Content-Type', 'application/json').send({ batch: events }).expect(200);

/** A fresh temp directory, removed with everything in it after the current test. */
export function makeTempDir(cleanups: (() => unknown)[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'spur-collector-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Registers per-test cleanup and hands out databases and collectors that are cleaned up. `open`
 * opens the backend a test file runs on, from a file name (SQLite's own by default; the
 * PostgreSQL tests map each name to a database of its own).
 */
export function useFixtures(open: (file: string) => Promise<Storage> = (file) => openSqliteStorage(file)) {
  let cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    const pending = cleanups.reverse();
    cleanups = [];
    for (const fn of pending) await fn();
  });

  const tempDir = () => makeTempDir(cleanups);
  const dbFile = () => join(tempDir(), 'spur.db');
  /** A store (the rules over a real SQLite file), closed after the test. */
  async function storage(file: string = dbFile()): Promise<Store> {
    const opened = createStore(await open(file));
    cleanups.push(() => opened.close());
    return opened;
  }
  /**
   * A collector with test defaults, its jobs stopped after the test (before its storage closes);
   * pass `storage` to bring your own, or `file` to reuse a database.
   */
  async function collector(config: Partial<CollectorConfig> = {}, file?: string): Promise<{ app: Collector; storage: Store }> {
    const store = createStore(config.storage ?? (await storage(file)));
    const app = createCollector({
      writeKeys: WRITE_KEYS,
      adminToken: ADMIN_TOKEN,
      now: () => NOW,
      ...config,
      storage: store,
    });
    cleanups.push(() => app.close());
    return { app, storage: store };
  }
  const fixtures = { cleanup: (fn: () => unknown) => void cleanups.push(fn), tempDir, dbFile, storage, collector };
  return fixtures;
}

let counter = 0;
/** A valid track event with a unique messageId; override anything. */
export function track(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter += 1;
  return {
    type: 'track',
    event: 'Product Viewed',
    messageId: `msg-${process.pid}-${counter}-${Math.random().toString(36).slice(2)}`,
    anonymousId: 'anon-1',
    timestamp: '2024-05-01T11:59:00.000Z',
    properties: { product_id: 'p1' },
    ...overrides,
  };
}

/**
 * Runs the abandonment job once over `storage` by the test clock, as a collector's does on its
 * timer: records the Cart Abandoned events that are due. Resolves with how many it recorded.
 */
export async function recordAbandonedCarts(storage: Store, now: () => number = () => NOW): Promise<number> {
  const job = startAbandonment({ store: storage, analytics: createAnalyticsService(storage), now });
  try {
    return await job.run();
  } finally {
    await job.stop();
  }
}
