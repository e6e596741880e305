// Several pages (tabs) of one shop share one outbox. Each page sends only the events it owns;
// it adopts the rows of pages that are gone, which Web Locks tell (a fake lock manager here;
// the Chromium tests use the real one). Without Web Locks, a page gives its rows up on pagehide.
import { createOutbox } from '../src/outbox';
import { createQueue, type Queue } from '../src/queue';
import { send } from '../src/transport';
import { cleanPage, fakeLocks, recorder, settle, storedEvents, storedRows, until, type Answer } from './helpers';

let locks: ReturnType<typeof fakeLocks> | undefined;

/** One page: a queue of its own, sending through its own recorder. */
function page(answer?: () => Answer) {
  const r = recorder(answer);
  const q = createQueue(createOutbox(), (data, keepalive) => send(r.fetch, 'http://collector.test/v1/batch', data, keepalive), 'demo', 20, 2000);
  let n = 0;
  const track = (name: string) => q.enqueue(JSON.stringify({ type: 'track', event: name, messageId: `${name}-${n++}` }));
  return { q, r, track, sent: () => r.events().map((e) => e.event) };
}

const owners = async () => [...new Set((await storedRows()).map(([, row]) => row[0]))];
const down = () => new TypeError('Failed to fetch');

beforeEach(() => {
  cleanPage();
  jest.useFakeTimers();
  jest.spyOn(Math, 'random').mockReturnValue(1);
});

afterEach(() => {
  locks?.uninstall();
  locks = undefined;
  jest.clearAllTimers();
  jest.useRealTimers();
  jest.restoreAllMocks();
});

async function flushAll(...queues: Queue[]) {
  for (const q of queues) await q.drain(60000);
}

describe('with Web Locks', () => {
  beforeEach(() => {
    locks = fakeLocks();
  });

  it('holds a lock named after the page before it writes a row', async () => {
    const a = page();
    a.track('A');
    await settle();
    const [owner] = await owners();
    expect(locks!.held()).toContain(owner);
  });

  it('never adopts the rows of a page that is alive, however often others look', async () => {
    const a = page(down);
    a.track('A');
    await settle();
    jest.advanceTimersByTime(2000); // A's send fails: its event waits in the outbox
    await settle();
    const b = page();
    b.track('B');
    b.q.online(); // looks for rows to adopt
    await settle();
    await flushAll(b.q);
    expect(b.sent()).toEqual(['B']);
    expect((await storedEvents()).map((e) => e.messageId)).toEqual(['A-0']);
  });

  it('adopts them once that page is gone (pagehide released its lock), and sends each once', async () => {
    const a = page(down);
    a.track('A');
    await settle();
    jest.advanceTimersByTime(2000);
    await settle();
    const b = page();
    await settle();
    a.q.unload(true); // backing off: A sends nothing and gives its event up
    await settle();
    b.q.online();
    await settle();
    await flushAll(b.q);
    expect(b.sent()).toEqual(['A']);
    expect(a.r.calls).toHaveLength(1);
    expect(await storedRows()).toEqual([]);
  });

  it('adopts the rows of a page that crashed (no pagehide), once the browser dropped its lock', async () => {
    const a = page(down);
    a.track('A');
    await settle();
    const [owner] = await owners();
    locks!.crash(owner);
    const b = page();
    await settle();
    await flushAll(b.q);
    expect(b.sent()).toEqual(['A']);
  });

  it('adopts in one page only when two start at once', async () => {
    const a = page(down);
    a.track('A');
    await settle();
    a.q.unload(true);
    const b = page();
    const c = page();
    await settle();
    await flushAll(b.q, c.q);
    expect([...b.sent(), ...c.sent()]).toEqual(['A']);
  });

  it('takes its rows back after the back/forward cache (pageshow persisted)', async () => {
    const a = page(down);
    a.track('A');
    await settle();
    jest.advanceTimersByTime(2000);
    await settle();
    a.q.unload(true); // into the cache: lock released, rows given up
    await settle();
    expect(await owners()).toEqual(['']);
    a.q.online();
    await settle();
    const [owner] = await owners();
    expect(owner).not.toBe('');
    expect(locks!.held()).toContain(owner);
  });
});

describe('without Web Locks (plain http, old browsers)', () => {
  it('adopts what a page gave up on pagehide, but never the rows of a live page', async () => {
    const a = page(down);
    a.track('A');
    await settle();
    jest.advanceTimersByTime(2000);
    await settle();
    const b = page(down);
    b.track('B');
    await settle();
    jest.advanceTimersByTime(2000);
    await settle();
    b.q.unload(true); // B leaves, backing off: gives B up
    await settle();
    const c = page();
    await settle();
    await flushAll(c.q);
    expect(c.sent()).toEqual(['B']);
    expect((await storedEvents()).map((e) => e.messageId)).toEqual(['A-0']);
  });

  it('adopts the rows of a page that vanished without pagehide after an hour', async () => {
    const t0 = Date.now();
    const now = jest.spyOn(Date, 'now').mockReturnValue(t0);
    const a = page(down);
    a.track('A');
    await settle();
    now.mockReturnValue(t0 + 3599000);
    const b = page();
    await settle();
    await b.q.drain(100);
    expect(b.sent()).toEqual([]);
    now.mockReturnValue(t0 + 3601000);
    b.q.online();
    await until(() => b.sent().length === 1);
    expect(b.sent()).toEqual(['A']);
  });
});
