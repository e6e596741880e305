// `spur insights purchase-model` against a database file and against a running collector over
// loopback HTTP: the route's answer, mistakes named as flags, too few customers explained.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCollector, createStore, openSqliteStorage, startServer } from '@spur/collector';
import type { StoredEvent } from '@spur/sdk';
import { main } from '@spur/cli';
import { captureIo } from './io';

const TOKEN = 'insights-test-token';
const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 1, 12);

let n = 0;
function order(userId: string, day: number, revenue: number): StoredEvent {
  const iso = new Date(T0 + day * DAY).toISOString();
  n += 1;
  return {
    type: 'track',
    event: 'Order Completed',
    messageId: `o-${n}`,
    userId,
    properties: { order_id: `o-${n}`, revenue, currency: 'EUR' },
    timestamp: iso,
    originalTimestamp: iso,
    receivedAt: iso,
  };
}

// 40 customers over 200 days, most of them back a few times.
const ORDERS: StoredEvent[] = [];
for (let c = 0; c < 40; c++) {
  const first = (c * 13) % 90;
  ORDERS.push(order(`c${c}`, first, 20 + (c % 7) * 3));
  for (let k = 1; k <= c % 4; k++) ORDERS.push(order(`c${c}`, first + k * (9 + (c % 11)), 10 + ((c + k) % 5) * 6));
}

let dir: string;
let file: string;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spur-insights-'));
  file = join(dir, 'spur.db');
  const storage = createStore(await openSqliteStorage(file));
  await storage.append({ writeKey: 'k', rejected: [], events: ORDERS });
  await storage.close();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('spur insights purchase-model', () => {
  it('prints the fitted model as JSON, from the database file', async () => {
    const io = captureIo();
    expect(await main(['insights', 'purchase-model', '--db', file, '--calibration-end', '2024-03-31', '--holdout-end', '2024-06-30'], io)).toBe(0);
    const answer = JSON.parse(io.stdout);
    expect(answer).toMatchObject({ model: 'bg-nbd', calibrationEnd: '2024-03-31', customers: 40, spend: { model: 'gamma-gamma', currency: 'EUR' } });
    expect(answer.holdout.byFrequency).toHaveLength(8);
    expect(answer.holdout.cumulative.at(-1).actual).toBe(ORDERS.length - 40);
  });

  it('answers as the running collector does (--url, --token), and writes --out', async () => {
    const storage = createStore(await openSqliteStorage(file));
    const app = createCollector({ storage, writeKeys: {}, adminToken: TOKEN });
    const server = await startServer(app, { port: 0, host: '127.0.0.1', storage });
    try {
      const out = join(dir, 'model.json');
      const remote = captureIo();
      expect(await main(['insights', 'purchase-model', '--url', server.url, '--token', TOKEN, '--calibration-end', '2024-03-31', '--out', out], remote)).toBe(0);
      expect(remote.stderr).toBe(`spur insights: wrote purchase-model to ${out}\n`);
      const local = captureIo();
      expect(await main(['insights', 'purchase-model', '--db', file, '--calibration-end', '2024-03-31'], local)).toBe(0);
      expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(JSON.parse(local.stdout));
      const denied = captureIo();
      expect(await main(['insights', 'purchase-model', '--url', server.url, '--token', 'wrong-token', '--calibration-end', '2024-03-31'], denied)).toBe(1);
      expect(denied.stderr).toContain('answered 401');
    } finally {
      await server.close();
    }
  });

  it.each([
    [['--calibration-end', '2024-13-01'], '--calibration-end must be a date YYYY-MM-DD (got "2024-13-01")'],
    [[], '--calibration-end is required'],
    [['--calibration-end', '2024-03-31', '--holdout-end', '2024-03-01'], '--holdout-end 2024-03-01 must be after --calibration-end 2024-03-31'],
    [['--calibration-end', '2024-03-31', '--from', '2024-01-01'], "Unknown option '--from'"],
  ])('exits 2 naming the flag: %j', async (flags, message) => {
    const io = captureIo();
    expect(await main(['insights', 'purchase-model', '--db', file, ...flags], io)).toBe(2);
    expect(io.stderr).toContain(message);
  });

  it('exits 1 with the reason when there are too few customers', async () => {
    const io = captureIo();
    expect(await main(['insights', 'purchase-model', '--db', file, '--calibration-end', '2024-01-05'], io)).toBe(1);
    expect(io.stderr).toBe('spur insights: cannot fit the purchase model on the orders up to 2024-01-05: 5 customers with an order: the BG/NBD model needs at least 10\n');
  });

  it('exits 2 for an unknown insight or a missing database', async () => {
    const io = captureIo();
    expect(await main(['insights', 'churn', '--db', file], io)).toBe(2);
    expect(io.stderr).toContain('expected one of purchase-model');
    const missing = captureIo();
    expect(await main(['insights', 'purchase-model', '--db', join(dir, 'none.db'), '--calibration-end', '2024-03-31'], missing)).toBe(2);
    expect(missing.stderr).toContain('no database at');
  });
});
