// A real webhook receiver for the tests: node's HTTP server on 127.0.0.1 that checks every
// delivery with the Standard Webhooks library (the specification's own), answers with the
// statuses a test queues (200 once the queue is empty) and records what arrived.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Delivery {
  id: string;
  timestamp: number;
  signature: string;
  body: string;
  headers: IncomingHttpHeaders;
  /** The status answered. */
  status: number;
}

export interface Receiver {
  url: string;
  deliveries: Delivery[];
  /** Statuses to answer next, in order. */
  answer(...statuses: number[]): void;
  /** Resolves once `count` deliveries arrived (rejects after `ms`). */
  until(count: number, ms?: number): Promise<Delivery[]>;
  close(): Promise<void>;
}

/** Whether the delivery verifies with `secret` (the library checks the signature and the timestamp's age). */
export function verifies(secret: string, d: Pick<Delivery, 'body' | 'headers'>): boolean {
  try {
    new Webhook(secret).verify(d.body, d.headers as Record<string, string>);
    return true;
  } catch {
    return false;
  }
}

export async function startReceiver(path = '/hooks'): Promise<Receiver> {
  const deliveries: Delivery[] = [];
  const queue: number[] = [];
  const waiters: (() => void)[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const status = queue.shift() ?? 200;
      deliveries.push({
        id: String(req.headers['webhook-id']),
        timestamp: Number(req.headers['webhook-timestamp']),
        signature: String(req.headers['webhook-signature']),
        body,
        headers: req.headers,
        status,
      });
      res.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    deliveries,
    answer: (...statuses) => void queue.push(...statuses),
    until(count, ms = 30_000) {
      return new Promise((resolve, reject) => {
        const timeout = setTimeout(() => reject(new Error(`${deliveries.length} of ${count} deliveries arrived in ${ms} ms`)), ms);
        const check = () => {
          if (deliveries.length >= count) {
            clearTimeout(timeout);
            resolve(deliveries.slice());
          } else waiters.push(check);
        };
        check();
      });
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}
