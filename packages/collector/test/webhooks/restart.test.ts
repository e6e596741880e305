// A delivery outlives its process: the real `spur serve` is SIGKILLed and later stopped between
// attempts, and the delivery still arrives, under the same webhook-id, verified by the Standard
// Webhooks library. Runs the built CLI (`npx tsc -b` first; `npm test` does).
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { makeTempDir } from '../helpers';
import { exited, freePort, startCollector } from '../spur-process';
import { startReceiver, verifies } from './receiver';

const KEY = 'hookkey';
const TOKEN = 'hook-admin-token-0123456789';
const ENV = { SPUR_WRITE_KEYS: KEY, SPUR_ADMIN_TOKEN: TOKEN, SPUR_WEBHOOKS_ALLOW_PRIVATE: 'true' };
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe('webhook deliveries across restarts (real collector process, SQLite)', () => {
  it('delivers after a SIGKILL and a restart between attempts, under one webhook-id', async () => {
    const receiver = await startReceiver();
    cleanups.push(() => receiver.close());
    const db = join(makeTempDir(cleanups), 'spur.db');
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const api = (path: string, init: RequestInit = {}) => fetch(base + path, { ...init, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...init.headers } });
    let child: ChildProcess = await startCollector(port, ['--db', db], ENV);
    cleanups.push(() => child.kill('SIGKILL'));

    const added = (await (await api('/v1/webhooks', { method: 'POST', body: JSON.stringify({ url: receiver.url, events: ['order.completed'] }) })).json()) as { endpoint: { id: string }; secret: string };
    const log = async () => ((await (await api(`/v1/webhooks/${added.endpoint.id}/attempts`)).json()) as { attempts: { attempt: number; statusCode: number }[] }).attempts;
    const untilLogged = async (count: number) => {
      for (let i = 0; i < 600 && (await log()).length < count; i++) await new Promise((r) => setTimeout(r, 50));
    };
    receiver.answer(500, 500);
    const order = { type: 'track', event: 'Order Completed', messageId: 'order-restart-1', userId: 'c1', timestamp: new Date().toISOString(), properties: { order_id: 'o1', total: 5, currency: 'EUR' } };
    const batch = await fetch(`${base}/v1/batch`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${KEY}:`).toString('base64')}`, 'content-type': 'application/json' }, body: JSON.stringify({ batch: [order] }) });
    expect(batch.status).toBe(200);

    // The first attempt failed and is logged: kill the process before the retry comes.
    await receiver.until(1);
    await untilLogged(1);
    child.kill('SIGKILL');
    await exited(child);
    child = await startCollector(port, ['--db', db], ENV);

    // The retry comes from the new process; then a graceful stop and start before the next.
    await receiver.until(2, 60_000);
    await untilLogged(2);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    child = await startCollector(port, ['--db', db], ENV);

    const deliveries = await receiver.until(3, 90_000);
    expect(deliveries.map((d) => d.status)).toEqual([500, 500, 200]);
    expect(new Set(deliveries.map((d) => d.id)).size).toBe(1);
    for (const d of deliveries) expect(verifies(added.secret, d)).toBe(true);
    await untilLogged(3);
    expect((await log()).map((a) => [a.attempt, a.statusCode])).toEqual([
      [3, 200],
      [2, 500],
      [1, 500],
    ]);
  }, 180_000);
});
