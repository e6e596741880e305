// `spur webhooks` on a real SQLite file while a collector runs on it (it picks the endpoint up at
// once), and through a running collector's admin API; deliveries to a real local receiver.
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCollector, openStorage, type Collector, type Storage } from '@spur/collector';
import { main } from '@spur/cli';
import { startReceiver, verifies, type Receiver } from '../../collector/test/webhooks/receiver';
import { captureIo } from './io';

jest.setTimeout(60_000);
const TOKEN = 'cli-webhooks-admin-token';
const KEY = 'wk';

let dir: string;
let db: string;
let receiver: Receiver;
const cleanups: (() => unknown)[] = [];
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spur-webhooks-'));
  db = join(dir, 'spur.db');
  receiver = await startReceiver();
});
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
  await receiver.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A collector on the file, listening on 127.0.0.1. */
async function running(): Promise<{ app: Collector; url: string; storage: Storage }> {
  const storage = await openStorage({ db });
  const app = createCollector({ storage, writeKeys: { [KEY]: [] }, adminToken: TOKEN, webhooksAllowPrivate: true, webhookIntervalMs: 100 });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  cleanups.push(async () => {
    await new Promise((r) => server.close(r));
    await app.close();
    await storage.close();
  });
  return { app, storage, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function order(url: string, id: string) {
  const event = { type: 'track', event: 'Order Completed', messageId: id, userId: 'c1', timestamp: new Date().toISOString(), properties: { order_id: id, total: 3, currency: 'EUR' } };
  const res = await fetch(`${url}/v1/batch`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${KEY}:`).toString('base64')}`, 'content-type': 'application/json' }, body: JSON.stringify({ batch: [event] }) });
  expect(res.status).toBe(200);
}

async function spur(args: string[], env: NodeJS.ProcessEnv = { SPUR_DB: db, SPUR_WEBHOOKS_ALLOW_PRIVATE: 'true' }) {
  const io = captureIo(env);
  const code = await main(['webhooks', ...args], io);
  return { code, out: io.stdout, err: io.stderr };
}

describe('spur webhooks', () => {
  it('adds an endpoint on the database that a running collector delivers to, and shows its log', async () => {
    const collector = await running();
    const added = await spur(['add', receiver.url, '--events', 'order.completed']);
    expect(added.code).toBe(0);
    const secret = added.out.trim();
    expect(secret).toMatch(/^whsec_/);
    const id = /added (ep_[0-9a-f]{24})/.exec(added.err)![1];
    await order(collector.url, 'cli-order-1');
    const [d] = await receiver.until(1);
    expect(verifies(secret, d)).toBe(true);

    const list = await spur(['list']);
    expect(list.out).toContain(id);
    expect(list.out).toContain('enabled');
    expect(list.out).not.toContain('whsec_');
    const log = await spur(['log', id]);
    expect(log.out).toMatch(new RegExp(`${d.id}\\s+order\\.completed\\s+1\\s+200`));

    const rotated = await spur(['rotate', id]);
    expect(rotated.code).toBe(0);
    expect(rotated.out.trim()).toMatch(/^whsec_/);
    expect(rotated.out.trim()).not.toBe(secret);
    await order(collector.url, 'cli-order-2');
    const [, second] = await receiver.until(2);
    expect(verifies(rotated.out.trim(), second) && verifies(secret, second)).toBe(true);

    expect((await spur(['remove', id])).code).toBe(0);
    const again = await spur(['remove', id]);
    expect(again.code).toBe(1);
    expect(again.err).toContain(`no webhook endpoint ${id}`);
  });

  it('works through a running collector with --collector and --token', async () => {
    const collector = await running();
    const added = await spur(['add', receiver.url, '--events', 'order.completed,cart.abandoned', '--collector', collector.url, '--token', TOKEN], {});
    expect(added.code).toBe(0);
    const id = /added (ep_[0-9a-f]{24})/.exec(added.err)![1];
    await order(collector.url, 'cli-remote-1');
    await receiver.until(1);
    const list = await spur(['list', '--collector', collector.url], { SPUR_ADMIN_TOKEN: TOKEN });
    expect(list.out).toContain(`${id}  ${receiver.url}  order.completed,cart.abandoned  enabled`);
    let log = '';
    for (let i = 0; i < 50 && !log.includes('200'); i++) log = (await spur(['log', id, '--collector', collector.url, '--token', TOKEN], {})).out;
    expect(log).toContain('200');
    const wrong = await spur(['list', '--collector', collector.url, '--token', 'wrong-token'], {});
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain('401');
  });

  it('refuses private targets without SPUR_WEBHOOKS_ALLOW_PRIVATE, and says what is missing', async () => {
    await running();
    const refused = await spur(['add', receiver.url, '--events', 'order.completed'], { SPUR_DB: db });
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('url refused');
    expect((await spur(['add', receiver.url])).code).toBe(2);
    expect((await spur(['add', receiver.url, '--events', 'order.shipped'])).code).toBe(2);
    expect((await spur(['list', '--db', join(dir, 'missing.db')], {})).code).toBe(2);
  });
});
