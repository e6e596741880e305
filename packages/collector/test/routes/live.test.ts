// GET /v1/live over real HTTP: Server-Sent Events with an id per message, filtered by event name,
// resumed exactly after Last-Event-ID, and starting from now (saying so) when that id is unusable.
import { get, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { ADMIN_TOKEN, bearer, useFixtures, ingestAsServer as ingest } from '../helpers';
import type { Collector } from '../../src';

const fx = useFixtures();

interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
  comments: string[];
}

/** An open stream: the messages so far, a wait for the next that matches, close. */
async function open(base: string, path: string, headers: Record<string, string> = {}) {
  const messages: SseMessage[] = [];
  const waiters: (() => void)[] = [];
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    get(`${base}${path}`, { headers: { authorization: bearer(ADMIN_TOKEN), ...headers } }, resolve).on('error', reject);
  });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
  let buffer = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const m: SseMessage = { comments: [] };
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) m.comments.push(line.slice(1).trim());
        else {
          const at = line.indexOf(': ');
          (m as unknown as Record<string, string>)[line.slice(0, at)] = line.slice(at + 2);
        }
      }
      messages.push(m);
      for (const w of waiters.splice(0)) w();
    }
  });
  return {
    messages,
    /** The first message from `from` on that matches. */
    next(match: (m: SseMessage) => boolean, from = 0): Promise<SseMessage> {
      return new Promise((resolve, reject) => {
        // Generous: the 1 s promise is measured by the bench, not asserted here.
        const timeout = setTimeout(() => reject(new Error(`no matching message; got ${JSON.stringify(messages)}`)), 10_000);
        const check = () => {
          const found = messages.slice(from).find(match);
          if (found) {
            clearTimeout(timeout);
            resolve(found);
          } else waiters.push(check);
        };
        check();
      });
    },
    close: () => res.destroy(),
  };
}

const names = (m: SseMessage) => (JSON.parse(m.data!) as { name: string; messageId: string }[]).map((e) => e.name);
let counter = 0;
// A Survey Answered carries what its rule asks for (ingest/event-rules.ts).
const SURVEY = { survey_id: 'exit', answer: 'too-expensive', cart_value: 40, items: 1 };
const event = (name: string) => ({
  type: 'track',
  event: name,
  messageId: `live-${process.pid}-${++counter}`,
  anonymousId: 'anon-live',
  timestamp: new Date().toISOString(),
  ...(name === 'Survey Answered' ? { properties: SURVEY } : {}),
});

async function serve(): Promise<{ app: Collector; base: string }> {
  const { app } = await fx.collector({ now: Date.now });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  fx.cleanup(async () => {
    app.endStreams();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  return { app, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('GET /v1/live', () => {
  it('streams committed events with an id, filtered by event name, and resumes exactly after Last-Event-ID', async () => {
    const { app, base } = await serve();
    await ingest(app, event('Before'));
    const stream = await open(base, '/v1/live?event=Order%20Completed&event=Survey%20Answered');
    await stream.next((m) => m.event === 'ready');
    await ingest(app, event('Product Viewed'), event('Order Completed'));
    const first = await stream.next((m) => m.event === 'events');
    expect(names(first)).toEqual(['Order Completed']);
    expect(first.id).toMatch(/^\d+:\d+$/);
    stream.close();

    // Missed while away: delivered on reconnect, after the id and nothing before it.
    await ingest(app, event('Survey Answered'), event('Page Left'), event('Order Completed'));
    const again = await open(base, '/v1/live?event=Order%20Completed&event=Survey%20Answered', { 'last-event-id': first.id! });
    const resumed = await again.next((m) => m.event === 'events');
    expect(names(resumed)).toEqual(['Survey Answered', 'Order Completed']);
    expect(again.messages.some((m) => m.comments.some((c) => c.includes('starting from now')))).toBe(false);
    again.close();
  });

  it('sends every event without a filter, and the ready id resumes a stream that saw none', async () => {
    const { app, base } = await serve();
    const stream = await open(base, '/v1/live');
    const ready = await stream.next((m) => m.event === 'ready');
    stream.close();
    await ingest(app, event('A'), event('B'));
    const again = await open(base, '/v1/live', { 'last-event-id': ready.id! });
    expect(names(await again.next((m) => m.event === 'events'))).toEqual(['A', 'B']);
    again.close();
  });

  it('starts from now and says so when Last-Event-ID is unusable', async () => {
    const { app, base } = await serve();
    await ingest(app, event('Old'));
    for (const [id, said] of [
      ['nonsense', 'not an id of this stream'],
      ['99:1', 'purged or erased since'],
      ['0:abc', 'not a position in this database'],
    ]) {
      const stream = await open(base, '/v1/live', { 'last-event-id': id });
      const note = await stream.next((m) => m.comments.some((c) => c.includes('starting from now')));
      expect(note.comments.join(' ')).toContain(said);
      await ingest(app, event(`New ${id}`));
      expect(names(await stream.next((m) => m.event === 'events'))).toEqual([`New ${id}`]);
      stream.close();
    }
  });

  it('refuses a filter of too many or empty names', async () => {
    const { app } = await serve();
    const many = Array.from({ length: 21 }, (_, i) => `event=E${i}`).join('&');
    await request(app).get(`/v1/live?${many}`).set('Authorization', bearer(ADMIN_TOKEN)).expect(400);
    await request(app).get('/v1/live?event=').set('Authorization', bearer(ADMIN_TOKEN)).expect(400);
  });
});
