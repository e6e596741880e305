// Every spelling of every ingest path either is that route, with all of its limits (the request
// rate, the body cap, the cookie re-issue), or is no ingest route at all (404). Spellings are
// generated from the table: letter case, slashes doubled, trailing and encoded, dot segments,
// each character percent-encoded, absolute-form targets, query strings. Each is sent to a real
// server from an address of its own, on a clock that stands still.
import { request as httpRequest } from 'node:http';
import { INGEST_PATHS, INGEST_ROUTES } from '../../src/routes/ingest-paths';
import { NOW, SERVER_KEY } from '../helpers';
import { closedWithin, head, openSocket, readAnswer, startLimited, type LimitedServer } from './raw';

const AID = '0b7c6a54-3f1e-4d2a-9c8b-5e6f7a8b9c0d';

const hex = (c: string) => c.charCodeAt(0).toString(16).padStart(2, '0');

/** Spellings of `path` a client could send; the path itself first. */
function spellings(path: string, port: number): string[] {
  const out = new Set<string>([path, path.toUpperCase(), `${path}/`, `${path}//`, `${path.toUpperCase()}/`, `/${path}`, `/.${path}`, `/x/..${path}`]);
  const chars = [...path];
  chars.forEach((c, i) => {
    const at = (replacement: string) => out.add(chars.slice(0, i).join('') + replacement + chars.slice(i + 1).join(''));
    if (/[a-z]/.test(c)) at(c.toUpperCase());
    // A target must begin with '/' (or be absolute): node refuses anything else before the app.
    if (c === '/' && i > 0) {
      at('//');
      at('/./');
      at('%2F');
      at('%2f');
    } else if (c !== '/') {
      at(`%${hex(c)}`);
      at(`%${hex(c).toUpperCase()}`);
    }
  });
  for (const tail of ['?x=1', '?', '#top', '/?x=1', '%20', '.', ';', '%00', '/.', '/..']) out.add(path + tail);
  out.add(`http://127.0.0.1:${port}${path}`);
  out.add(`HTTP://127.0.0.1:${port}${path.toUpperCase()}`);
  return [...out];
}

/** The body of a valid request to `path`. */
function bodyFor(path: string, i: number): string {
  const event = { type: 'track', event: 'Spelled', anonymousId: `spell-${i}`, messageId: `spell-${i}-${Math.random()}` };
  return JSON.stringify(INGEST_ROUTES.get(path) === 'batch' ? { batch: [event] } : event);
}

interface Reply {
  status: number;
  cookie: boolean;
}

function post(port: number, target: string, localAddress: string, body: string, withCookie: boolean): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'Content-Type': 'text/plain', 'X-Spur-Write-Key': SERVER_KEY };
    // Same-site and carrying the visitor's cookie: the router's path, where the cookie is re-issued.
    if (withCookie) Object.assign(headers, { Cookie: `spur_aid=${AID}`, 'Sec-Fetch-Site': 'same-origin' });
    const req = httpRequest({ host: '127.0.0.1', port, path: target, method: 'POST', localAddress, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, cookie: ([] as string[]).concat(res.headers['set-cookie'] ?? []).some((c) => c.startsWith(`spur_aid=${AID}`)) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A head announcing 1 TB, from its own address: 413 for ingest, or the 404 of anything else. */
async function announceTerabyte(port: number, target: string, localAddress: string): Promise<number> {
  const socket = await openSocket(port, localAddress);
  socket.write(head(target, { 'Content-Length': 1e12, 'X-Spur-Write-Key': SERVER_KEY }));
  const answer = await readAnswer(socket);
  // Either way the server closes: it will not read a terabyte to answer.
  const closed = await closedWithin(socket, 2000);
  socket.destroy();
  return closed ? (answer?.status ?? 0) : -1;
}

/** A loopback address of its own for the n-th request (127.1.0.0 and up). */
const address = (n: number) => `127.${1 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;

describe('every spelling of every ingest path', () => {
  let lb: LimitedServer;
  beforeAll(async () => {
    // One request per address and second (a burst of one), on a clock that stands still.
    lb = await startLimited({ rateLimit: { perIp: 0.5, perWriteKey: 0 }, now: () => NOW });
  });
  afterAll(() => lb.close());

  it('is the route with its rate limit, body cap and cookie, or answers 404', async () => {
    const cases = INGEST_PATHS.flatMap((path) => spellings(path, lb.port).map((spelling) => ({ path, spelling })));
    const outcomes = new Map<string, string>();
    let n = 0;
    const queue = [...cases];
    async function worker() {
      for (let c = queue.shift(); c; c = queue.shift()) {
        const i = n++;
        const from = address(2 * i);
        const first = await post(lb.port, c.spelling, from, bodyFor(c.path, i), true);
        const second = await post(lb.port, c.spelling, from, bodyFor(c.path, i), false);
        const big = await announceTerabyte(lb.port, c.spelling, address(2 * i + 1));
        outcomes.set(`${c.path} ${c.spelling}`, `${first.status}${first.cookie ? '+cookie' : ''} ${second.status} ${big}`);
      }
    }
    await Promise.all(Array.from({ length: 8 }, worker));

    const ingest = '200+cookie 429 413';
    const none = '404 404 404';
    const neither = [...outcomes].filter(([, outcome]) => outcome !== ingest && outcome !== none);
    expect(neither).toEqual([]);
    // Both kinds were met: the test is not passing on 404s alone.
    const routed = (spelling: string, path = '/v1/batch') => outcomes.get(`${path} ${spelling}`);
    for (const path of INGEST_PATHS) expect([path, routed(path, path)]).toEqual([path, ingest]);
    expect(routed('/V1/BATCH')).toBe(ingest);
    expect(routed('/v1/batch/')).toBe(ingest);
    expect(routed('/v1/batch?x=1')).toBe(ingest);
    expect(routed(`http://127.0.0.1:${lb.port}/v1/batch`)).toBe(ingest);
    for (const spelling of ['/v1//batch', '//v1/batch', '/./v1/batch', '/v1/%62atch', '/v1%2Fbatch', '/v1/batch//']) expect([spelling, routed(spelling)]).toEqual([spelling, none]);
    const counts = [...outcomes.values()].reduce<Record<string, number>>((acc, o) => ({ ...acc, [o]: (acc[o] ?? 0) + 1 }), {});
    if (process.env.SPUR_TEST_REPORT) process.stdout.write(`spellings: ${cases.length}, ${JSON.stringify(counts)}\n`);
    expect(cases.length).toBeGreaterThan(1000);
  }, 120_000);
});
