// Bodies are refused before they are read: an announced Content-Length over the cap is a 413 at
// once, for every ingest path and encoding, and the connection closes; a body that grows past
// the cap is cut where it crosses it; a slow body meets a deadline. Raw sockets against a real
// server, counting the bytes the server read.
import type { Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { INGEST_PATHS } from '../../src/routes/ingest-paths';
import { MAX_BODY_BYTES, MAX_ENCODED_BYTES } from '../../src/routes/request-body';
import { SERVER_KEY, track } from '../helpers';
import { closedWithin, head, openSocket, readAnswer, sleep, startLimited, type LimitedServer } from './raw';

const ENCODINGS = [undefined, 'gzip', 'deflate', 'br'];
const TB = 1_000_000_000_000;
const MB = 1024 * 1024;

/** The server's side of every connection it accepts, to count what it read. */
function serverSockets(lb: LimitedServer): Socket[] {
  const sockets: Socket[] = [];
  lb.server.on('connection', (socket: Socket) => sockets.push(socket));
  return sockets;
}

/** Resolves once the server's side of `socket` has closed, with the bytes it read. */
const bytesReadAtClose = (socket: Socket) =>
  new Promise<number>((resolve) => (socket.destroyed ? resolve(socket.bytesRead) : socket.once('close', () => resolve(socket.bytesRead))));

/** Writes `total` bytes of `fill` as fast as the socket takes them, until it fails or is done. */
async function stream(socket: Socket, total: number, piece: Buffer): Promise<number> {
  let written = 0;
  while (written < total && !socket.destroyed && socket.writable) {
    const ok = socket.write(piece);
    written += piece.length;
    if (!ok) await new Promise((resolve) => (socket.once('drain', resolve), socket.once('close', resolve)));
  }
  return written;
}

describe('the announced length', () => {
  let lb: LimitedServer;
  let sockets: Socket[];
  beforeAll(async () => {
    lb = await startLimited({ rateLimit: 0, eventRateLimit: 0 });
    sockets = serverSockets(lb);
  });
  afterAll(() => lb.close());

  it.each(INGEST_PATHS)('%s answers a Content-Length of 1 TB with 413 at once, in every encoding, and closes', async (path) => {
    for (const encoding of ENCODINGS) {
      const socket = await openSocket(lb.port);
      const request = head(path, {
        'Content-Length': TB,
        'X-Spur-Write-Key': SERVER_KEY,
        ...(encoding && { 'Content-Encoding': encoding }),
      });
      socket.write(request); // the head only: not a byte of the body
      const answer = await readAnswer(socket);
      expect(answer).toMatchObject({ status: 413, headers: { connection: 'close' } });
      expect(JSON.parse(answer!.body)).toEqual({ error: { code: 'payload_too_large', message: expect.any(String) } });
      expect(await closedWithin(socket, 2000)).toBe(true);
      expect(await bytesReadAtClose(sockets[sockets.length - 1])).toBe(Buffer.byteLength(request));
      socket.destroy();
    }
  });

  it('refuses a compressed body announced over its own cap, however little it would inflate to', async () => {
    const socket = await openSocket(lb.port);
    socket.write(head('/v1/batch', { 'Content-Length': MAX_ENCODED_BYTES + 1, 'Content-Encoding': 'gzip', 'X-Spur-Write-Key': SERVER_KEY }));
    expect(await readAnswer(socket)).toMatchObject({ status: 413 });
    socket.destroy();
  });
});

describe('a body past the cap', () => {
  let lb: LimitedServer;
  let sockets: Socket[];
  beforeAll(async () => {
    lb = await startLimited({ rateLimit: 0, eventRateLimit: 0 });
    sockets = serverSockets(lb);
  });
  afterAll(() => lb.close());

  it.each([
    ['announced (Content-Length: 50 MB)', { 'Content-Length': 50 * MB }],
    ['chunked, of no announced length', { 'Transfer-Encoding': 'chunked' }],
  ])('refuses a 50 MB body %s after reading far less of it', async (_how, framing) => {
    const socket = await openSocket(lb.port);
    socket.write(head('/v1/batch', { ...framing, 'X-Spur-Write-Key': SERVER_KEY }));
    const answered = readAnswer(socket, 10_000);
    const chunked = 'Transfer-Encoding' in framing;
    // 64 KiB of spaces per write: JSON whitespace, so only the size can refuse it.
    const spaces = Buffer.alloc(64 * 1024, 0x20);
    const piece = chunked ? Buffer.concat([Buffer.from(`${spaces.length.toString(16)}\r\n`), spaces, Buffer.from('\r\n')]) : spaces;
    void stream(socket, 50 * MB, piece);
    const answer = await answered;
    expect(answer).toMatchObject({ status: 413, headers: { connection: 'close' } });
    expect(await closedWithin(socket, 5000)).toBe(true);
    const read = await bytesReadAtClose(sockets[sockets.length - 1]);
    if (process.env.SPUR_TEST_REPORT) process.stdout.write(`50 MB body ${_how}: the server read ${read} bytes\n`);
    expect(read).toBeLessThan(MAX_BODY_BYTES + 512 * 1024);
    socket.destroy();
  });

  it('refuses a compressed stream past its cap that inflates to nothing (empty deflate blocks)', async () => {
    const socket = await openSocket(lb.port);
    socket.write(head('/v1/batch', { 'Transfer-Encoding': 'chunked', 'Content-Encoding': 'deflate', 'X-Spur-Write-Key': SERVER_KEY }));
    const answered = readAnswer(socket, 10_000);
    // A zlib header, then empty stored blocks (not final) of 5 bytes each, forever.
    const blocks = Buffer.concat([Buffer.from([0x78, 0x01]), Buffer.alloc(0), ...Array.from({ length: 13_107 }, () => Buffer.from([0, 0, 0, 0xff, 0xff]))]);
    const first = Buffer.concat([Buffer.from(`${blocks.length.toString(16)}\r\n`), blocks, Buffer.from('\r\n')]);
    const more = blocks.subarray(2);
    const piece = Buffer.concat([Buffer.from(`${more.length.toString(16)}\r\n`), more, Buffer.from('\r\n')]);
    socket.write(first);
    void stream(socket, 20 * MB, piece);
    expect(await answered).toMatchObject({ status: 413 });
    socket.destroy();
  });

  it.each(['compress', 'constructor', '__proto__', 'toString', 'gzip, gzip'])('answers Content-Encoding %s with 415 and closes', async (encoding) => {
    const socket = await openSocket(lb.port);
    const body = JSON.stringify({ batch: [track()] });
    socket.write(head('/v1/batch', { 'Content-Length': body.length, 'Content-Encoding': encoding, 'X-Spur-Write-Key': SERVER_KEY }) + body);
    const answer = await readAnswer(socket);
    expect(answer).toMatchObject({ status: 415, headers: { connection: 'close' } });
    expect(JSON.parse(answer!.body)).toEqual({ error: { code: 'unsupported_encoding', message: expect.any(String) } });
    socket.destroy();
  });

  it('still takes a gzip body within the caps', async () => {
    const socket = await openSocket(lb.port);
    const body = gzipSync(JSON.stringify({ batch: [track()] }));
    socket.write(head('/v1/batch', { 'Content-Length': body.length, 'Content-Encoding': 'gzip', 'X-Spur-Write-Key': SERVER_KEY }));
    socket.write(body);
    const answer = await readAnswer(socket);
    expect(answer?.status).toBe(200);
    expect(JSON.parse(answer!.body)).toMatchObject({ ok: true, accepted: 1 });
    socket.destroy();
  });
});

describe('deadlines', () => {
  it('cuts a body that is not in by the body deadline with 408, and closes the connection', async () => {
    const lb = await startLimited({ bodyTimeoutMs: 300 });
    try {
      const socket = await openSocket(lb.port);
      const started = Date.now();
      socket.write(head('/v1/batch', { 'Content-Length': 100, 'X-Spur-Write-Key': SERVER_KEY }));
      socket.write('{"batch":[');
      const answer = await readAnswer(socket);
      expect(answer).toMatchObject({ status: 408, headers: { connection: 'close' } });
      expect(JSON.parse(answer!.body)).toEqual({ error: { code: 'request_timeout', message: expect.stringContaining('0.3 s') } });
      expect(Date.now() - started).toBeGreaterThanOrEqual(280);
      expect(await closedWithin(socket, 1000)).toBe(true);
      socket.destroy();

      // A body that keeps coming in time is read as usual.
      const steady = await openSocket(lb.port);
      const body = Buffer.from(JSON.stringify({ batch: [track()] }));
      steady.write(head('/v1/batch', { 'Content-Length': body.length, 'X-Spur-Write-Key': SERVER_KEY }));
      steady.write(body.subarray(0, 10));
      await sleep(100);
      steady.write(body.subarray(10));
      expect((await readAnswer(steady))?.status).toBe(200);
      steady.destroy();
    } finally {
      await lb.close();
    }
  });

  it('cuts a request whose headers do not arrive within the headers timeout (node answers 408)', async () => {
    const lb = await startLimited({}, { headersTimeoutMs: 300, requestTimeoutMs: 5000 });
    try {
      const socket = await openSocket(lb.port);
      const started = Date.now();
      socket.write('POST /v1/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le');
      const answer = await readAnswer(socket);
      expect(answer?.status).toBe(408);
      expect(await closedWithin(socket, 1000)).toBe(true);
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(280);
      expect(took).toBeLessThan(2000);
    } finally {
      await lb.close();
    }
  });

  it('cuts a whole request at the request timeout when no body deadline comes first (node answers 408)', async () => {
    const lb = await startLimited({ bodyTimeoutMs: 0 }, { headersTimeoutMs: 200, requestTimeoutMs: 500 });
    try {
      const socket = await openSocket(lb.port);
      const started = Date.now();
      socket.write(head('/v1/batch', { 'Content-Length': 100, 'X-Spur-Write-Key': SERVER_KEY }));
      socket.write('{"batch":[');
      const answer = await readAnswer(socket);
      expect(answer?.status).toBe(408);
      expect(await closedWithin(socket, 1000)).toBe(true);
      expect(Date.now() - started).toBeGreaterThanOrEqual(480);
    } finally {
      await lb.close();
    }
  });
});
