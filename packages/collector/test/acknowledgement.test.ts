// "A 2xx is a promise": ingest answers only after its events are committed, and requests that
// arrive together share one commit. The storage half (group commit, WAL) is proven in
// test/storage; this is the HTTP half, over real sockets.
import { connect, type Socket } from 'node:net';
import Database from 'better-sqlite3';
import request from 'supertest';
import { startServer, type Store } from '../src';
import { WRITE_KEY, track, useFixtures } from './helpers';
import { walCommitCount } from './storage/sqlite/wal';

const fx = useFixtures();

/** A raw keep-alive HTTP connection that sends requests and reads whole responses. */
async function openConnection(port: number): Promise<{ socket: Socket; next: () => Promise<{ status: number; body: string }> }> {
  const socket = connect(port, '127.0.0.1');
  fx.cleanup(() => socket.destroy());
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let buffer = '';
  const waiting: ((r: { status: number; body: string }) => void)[] = [];
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    for (;;) {
      const head = buffer.indexOf('\r\n\r\n');
      if (head === -1) return;
      const length = Number(/content-length: (\d+)/i.exec(buffer.slice(0, head))?.[1] ?? 0);
      if (buffer.length < head + 4 + length) return;
      const status = Number(buffer.slice(9, 12));
      const body = buffer.slice(head + 4, head + 4 + length);
      buffer = buffer.slice(head + 4 + length);
      waiting.shift()?.({ status, body });
    }
  });
  return { socket, next: () => new Promise((resolve) => waiting.push(resolve)) };
}

function post(path: string, body: unknown): string {
  const json = JSON.stringify(body);
  return `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`;
}

describe('acknowledgement', () => {
  it('answers an ingest request only once storage has resolved its append', async () => {
    const real = await fx.storage();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let committed = false;
    const gated: Store = {
      ...real,
      append: async (input) => {
        await gate;
        const result = await real.append(input);
        committed = true;
        return result;
      },
    };
    const { app } = await fx.collector({ storage: gated });
    let answered = false;
    const response = request(app)
      .post('/v1/batch')
      .send({ writeKey: WRITE_KEY, batch: [track()] })
      .then((res) => {
        answered = true;
        expect(committed).toBe(true);
        return res;
      });
    await new Promise((r) => setTimeout(r, 100));
    expect(answered).toBe(false);
    release();
    expect((await response).status).toBe(200);
  });

  it('commits requests that arrive together in one transaction, and answers each after it', async () => {
    const file = fx.dbFile();
    const { app, storage } = await fx.collector({}, file);
    const server = await startServer(app, { port: 0, host: '127.0.0.1', storage });
    fx.cleanup(() => server.close());
    const connections = await Promise.all(Array.from({ length: 12 }, () => openConnection(server.port)));
    // Warm up: every connection accepted and idle on the server, pages of the tables created.
    for (const c of connections) c.socket.write(post('/v1/batch', { writeKey: WRITE_KEY, batch: [track()] }));
    await Promise.all(connections.map((c) => c.next()));
    const observer = new Database(file);
    fx.cleanup(() => observer.close());
    observer.pragma('wal_checkpoint(TRUNCATE)');

    const batches = connections.map(() => [track(), track()]);
    // All requests are on the wire before the server's next turn of its event loop.
    connections.forEach((c, i) => c.socket.write(post('/v1/batch', { writeKey: WRITE_KEY, batch: batches[i] })));
    const visible = observer.prepare('SELECT count(*) FROM events WHERE message_id IN (?, ?)').pluck();
    const answers = await Promise.all(
      connections.map((c, i) =>
        c.next().then((res) => ({ ...res, committedWhenAnswered: visible.get(...batches[i].map((e) => e.messageId)) })),
      ),
    );
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(JSON.parse(a.body)).toMatchObject({ accepted: 2 });
      expect(a.committedWhenAnswered).toBe(2);
    }
    expect(walCommitCount(file)).toBe(1);
  });
});
