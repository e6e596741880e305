// `spur export` against a database file and against a running collector over loopback HTTP.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCollector, createStore, openSqliteStorage, startServer, type Store } from '@spur/collector';
import type { StoredEvent } from '@spur/sdk';
import { main } from '@spur/cli';
import { captureIo } from './io';

const TOKEN = 'export-test-token';
const T0 = Date.parse('2026-11-01T10:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();


let n = 0;
function stored(anonymousId: string, minutes: number, event: string, sessionId: string, properties = {}): StoredEvent {
  const iso = at(minutes);
  n += 1;
  return {
    type: 'track',
    event,
    messageId: `e-${n}`,
    anonymousId,
    properties,
    context: { sessionId } as StoredEvent['context'],
    timestamp: iso,
    originalTimestamp: iso,
    receivedAt: iso,
  };
}

let dir: string;
let file: string;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spur-export-'));
  file = join(dir, 'spur.db');
  const storage = createStore(await openSqliteStorage(file));
  const mug = { product_id: 'mug', price: 10, currency: 'EUR' };
  await storage.append({
    writeKey: 'k',
    rejected: [],
    events: [
      stored('a', 0, 'Product Viewed', 's1', mug),
      stored('a', 1, 'Product Added', 's1', { ...mug, quantity: 1 }),
      stored('b', 2, 'Product Viewed', 's2', mug),
      stored('c', 3, 'Product Viewed', 's3', mug),
    ],
  });
  await storage.close();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('spur export (database file)', () => {
  it('writes a funnel as CSV to --out, and says how much it wrote', async () => {
    const out = join(dir, 'funnel.csv');
    const io = captureIo();
    expect(await main(['export', 'funnel', '--db', file, '--steps', 'Product Viewed,Product Added', '--format', 'csv', '--out', out], io)).toBe(0);
    expect(readFileSync(out, 'utf8').split('\r\n').slice(0, 3)).toEqual([
      'step,name,units,dropOff,conversionFromPrevious,conversionFromStart,medianSecondsFromPrevious',
      '1,Product Viewed,3,2,,1,',
      '2,Product Added,1,,0.3333,0.3333,60',
    ]);
    expect(io.stdout).toBe('');
    expect(io.stderr).toContain(`wrote 3 lines`);
    // No partial file is left next to the result.
    expect(readdirSync(dir).filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('reads SPUR_DB, writes to stdout, and writes nothing to the database (recording the cart is a running collector\'s job)', async () => {
    const io = captureIo({ SPUR_DB: file });
    expect(await main(['export', 'carts', '--format', 'ndjson'], io)).toBe(0);
    const carts = io.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(carts).toEqual([expect.objectContaining({ profileId: 'a', abandonedAt: at(31), value: 10, recovered: false })]);
    const storage: Store = createStore(await openSqliteStorage(file));
    try {
      expect((await storage.getProfileEvents('a'))!.map((e) => e.event)).toEqual(['Product Viewed', 'Product Added']);
    } finally {
      await storage.close();
    }
  });

  it('writes the cart-reasons export (also as `reasons`): an answer joined to the cart left after it', async () => {
    const storage = createStore(await openSqliteStorage(file));
    const survey = { survey_id: 'exit', cart_id: 'c-a', cart_value: 10, currency: 'EUR' };
    await storage.append({ writeKey: 'k', rejected: [], events: [stored('a', 1.5, 'Survey Shown', 's1', survey), stored('a', 2, 'Survey Answered', 's1', { ...survey, answer: 'price', text: 'too dear' })] });
    await storage.close();
    const io = captureIo({ SPUR_DB: file });
    expect(await main(['export', 'reasons', '--format', 'csv'], io)).toBe(0);
    expect(io.stdout.split('\r\n').slice(0, 2)).toEqual([
      'surveyId,answer,answers,abandonedCarts,recoveredCarts,lostCurrency1,lostValue1,lostShare1,surveyShown,surveyAnswered,surveyDismissed,surveyAnswerRate',
      'exit,price,1,1,0,EUR,10,1,1,1,0,1',
    ]);
    const carts = captureIo({ SPUR_DB: file });
    expect(await main(['export', 'carts', '--format', 'ndjson'], carts)).toBe(0);
    expect(JSON.parse(carts.stdout.trim())).toMatchObject({ profileId: 'a', surveyId: 'exit', surveyAnswer: 'price', surveyText: 'too dear' });
    const other = captureIo({ SPUR_DB: file });
    expect(await main(['export', 'cart-reasons', '--by', 'device'], other)).toBe(2);
  });

  it('takes the filters, includeBots and bom as the API does', async () => {
    const storage = createStore(await openSqliteStorage(file));
    const on = (device: string) => ({ device: { type: device } });
    const mug = { product_id: 'mug', price: 10, currency: 'EUR' };
    await storage.append({
      writeKey: 'k',
      rejected: [],
      events: [
        { ...stored('m', 5, 'Product Viewed', 's4', mug), context: { sessionId: 's4', ...on('mobile') } as StoredEvent['context'] },
        { ...stored('h', 6, 'Product Viewed', 's5', mug), context: { sessionId: 's5', ...on('bot') } as StoredEvent['context'] },
      ],
    });
    await storage.close();
    const views = async (...flags: string[]) => {
      const io = captureIo();
      expect(await main(['export', 'products', '--db', file, ...flags], io)).toBe(0);
      return (JSON.parse(io.stdout) as { views: number }[])[0].views;
    };
    // a, b, c carry no device (unknown); m is on a phone; h is a bot.
    expect(await views()).toBe(4);
    expect(await views('--device', 'mobile')).toBe(1);
    expect(await views('--device', 'mobile,unknown')).toBe(4);
    expect(await views('--includeBots', 'true')).toBe(5);
    const csv = captureIo();
    expect(await main(['export', 'products', '--db', file, '--format', 'csv', '--bom', 'true'], csv)).toBe(0);
    expect(csv.stdout.startsWith('\uFEFFproductId,name,views,')).toBe(true);
  });

  it('draws a progress line only when stderr is a terminal', async () => {
    const tty = captureIo({}, true);
    expect(await main(['export', 'events', '--db', file], tty)).toBe(0);
    expect(tty.stdout.trim().split('\n')).toHaveLength(4);
    expect(tty.stderr).toMatch(/\r\[#+\.*\] 100% exporting: 4 lines/);
    expect(tty.stderr.endsWith('\r\x1b[K')).toBe(true);
    const pipe = captureIo();
    expect(await main(['export', 'events', '--db', file], pipe)).toBe(0);
    expect(pipe.stderr).toBe('');
  });

  it('exits 2 with the reason for a bad command line', async () => {
    for (const [argv, message] of [
      [['export'], 'expected one of funnel, carts'],
      [['export', 'everything', '--db', file], "unknown export 'everything'"],
      [['export', 'funnel', '--db', file, '--from', 'last tuesday'], 'from must be an ISO 8601 date'],
      [['export', 'events', '--db', file, '--format', 'csv'], 'format of the events export'],
      [['export', 'funnel', '--db', file, '--unit', 'household'], 'unit must be one of'],
      [['export', 'funnel', '--url', 'http://127.0.0.1:9'], '--url needs the admin token'],
      [['export', 'products', '--db', file, '--by', 'device'], 'the products export does not take --by (only funnel does); it takes --from, --to, --device, --channel, --utmSource, --segment, --includeBots, --format, --bom'],
      [['export', 'events', '--db', file, '--steps', 'page'], 'the events export does not take --steps'],
      [['export', 'events', '--db', file, '--device', 'mobile'], 'the events export does not take --device'],
      [['export', 'profiles', '--db', file, '--colour', 'red'], "Unknown option '--colour'"],
      [['export', 'products', '--db', file, '--device', 'phone'], 'device must be one or more of desktop, mobile'],
      [['export', 'products', '--db', file, '--bom', 'true'], 'bom applies to CSV only'],
      [['export', 'funnel', '--db', file, '--by', 'shoe_size'], 'by must be one of device, browser'],
      [['export', 'events', '--url', 'http://127.0.0.1:9', '--token', TOKEN, '--session-minutes', '5'], '--session-minutes applies to --db'],
    ] as [string[], string][]) {
      const io = captureIo();
      expect(await main(argv, io)).toBe(2);
      expect(io.stderr).toContain(message);
    }
  });
});

describe('spur export customers, segments and history (database file)', () => {
  it('writes customers with RFM as of a day, the segments, and a history; an unknown customer exits 1', async () => {
    const storage = createStore(await openSqliteStorage(file));
    const order = (minutes: number, userId: string, orderId: string, total: number) => ({
      ...stored('x', minutes, 'Order Completed', 'o', { order_id: orderId, total, currency: 'EUR' }),
      anonymousId: undefined,
      userId,
    });
    await storage.append({ writeKey: 'k', rejected: [], events: [order(10, 'U', 'o1', 20), order(60 * 24 * 3, 'U', 'o2', 30), order(20, 'W', 'o3', 5)] });
    await storage.close();
    const io = captureIo();
    expect(await main(['export', 'customers', '--db', file, '--asOf', '2026-11-02', '--format', 'ndjson'], io)).toBe(0);
    const rows = io.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((r) => [r.customerId, r.orders, r.frequency])).toEqual([
      ['U', 1, 1],
      ['W', 1, 1],
    ]);
    const segments = captureIo();
    expect(await main(['export', 'segments', '--db', file, '--asOf', '2026-11-05'], segments)).toBe(0);
    expect(JSON.parse(segments.stdout)).toMatchObject({ asOf: '2026-11-05T23:59:59.999Z', customers: 2 });
    const history = captureIo();
    expect(await main(['export', 'history', '--db', file, '--customer', 'U', '--format', 'csv'], history)).toBe(0);
    const [summary, events] = history.stdout.split('\r\n\r\n');
    expect(summary.split('\r\n')[1]).toMatch(/^U,true,/);
    expect(events.trim().split('\r\n')).toHaveLength(3);
    const missing = captureIo();
    expect(await main(['export', 'history', '--db', file, '--customer', 'nobody'], missing)).toBe(1);
    expect(missing.stderr).toContain('no customer "nobody"');
    const usage = captureIo();
    expect(await main(['export', 'history', '--db', file], usage)).toBe(2);
    expect(usage.stderr).toContain('the history export needs customer');
  });
});

describe('spur export: what is not there', () => {
  it('exits 2 for a database file that does not exist, naming it and the setting, and creates nothing', async () => {
    const missing = join(dir, 'typo', 'spur.db');
    for (const [argv, env] of [
      [['export', 'events', '--db', missing], {}],
      [['export', 'funnel'], { SPUR_DB: missing }],
    ] as [string[], NodeJS.ProcessEnv][]) {
      const io = captureIo(env);
      expect(await main(argv, io)).toBe(2);
      expect(io.stderr).toContain(`spur export: no database at ${missing}: set SPUR_DB or --db to the collector's database file`);
      expect(io.stdout).toBe('');
    }
    expect(existsSync(join(dir, 'typo'))).toBe(false);
  });

  it('prints funnel warnings on stderr after the export, which still runs', async () => {
    const io = captureIo();
    expect(await main(['export', 'funnel', '--db', file, '--steps', 'Product Viewed,Prodcut Added,page:/nowhere', '--format', 'csv'], io)).toBe(0);
    expect(io.stdout.split('\r\n')[1]).toBe('1,Product Viewed,3,3,,1,');
    expect(io.stderr).toBe(
      'spur export: warning: step 2 "Prodcut Added": no stored event has this name\n' +
        'spur export: warning: step 3 "page:/nowhere": no page view has a path starting with /nowhere\n',
    );
    const clean = captureIo();
    expect(await main(['export', 'funnel', '--db', file, '--steps', 'Product Viewed,Product Added'], clean)).toBe(0);
    expect(clean.stderr).toBe('');
  });
});

describe('spur export --url (a running collector)', () => {
  it('streams the export over HTTP with the admin token, and fails clearly without the right one', async () => {
    const storage = createStore(await openSqliteStorage(file));
    const server = await startServer(createCollector({ storage, writeKeys: {}, adminToken: TOKEN }), {
      port: 0,
      host: '127.0.0.1',
      storage,
    });
    try {
      // A collector catches up as it starts, and records the cart visitor a left as abandoned.
      while ((await fetch(`${server.url}/readyz/analytics`)).status !== 200) await new Promise((r) => setTimeout(r, 10));
      const io = captureIo();
      expect(await main(['export', 'events', '--url', server.url, '--token', TOKEN], io)).toBe(0);
      const events = io.stdout.trim().split('\n').map((l) => JSON.parse(l) as StoredEvent);
      expect(events.map((e) => e.event)).toEqual(['Product Viewed', 'Product Added', 'Product Viewed', 'Product Viewed', 'Cart Abandoned']);

      const io2 = captureIo({ SPUR_ADMIN_TOKEN: TOKEN, SPUR_URL: server.url });
      expect(await main(['export', 'profiles', '--format', 'csv'], io2)).toBe(0);
      expect(io2.stdout.split('\r\n')[0]).toMatch(/^customerId,identified,firstSeen,lastSeen,events,sessions,devices,orders,.*,segment,previousSegment,segmentSince,pAlive,.*,currency_1,orders_1,revenue_1,averageOrderValue_1$/);

      // One visitor's history, from the collector.
      const history = captureIo();
      expect(await main(['export', 'history', '--customer', 'a', '--format', 'ndjson', '--url', server.url, '--token', TOKEN], history)).toBe(0);
      const lines = history.stdout.trim().split('\n').map((l) => JSON.parse(l));
      expect(lines[0]).toMatchObject({ customerId: 'a', eventCount: 3 });
      expect(lines.slice(1).map((e) => e.event)).toEqual(['Product Viewed', 'Product Added', 'Cart Abandoned']);
      const unknown = captureIo();
      expect(await main(['export', 'history', '--customer', 'nobody', '--url', server.url, '--token', TOKEN], unknown)).toBe(1);
      expect(unknown.stderr).toContain('answered 404');

      // Filters travel in the query string.
      const filtered = captureIo();
      expect(await main(['export', 'products', '--url', server.url, '--token', TOKEN, '--device', 'mobile'], filtered)).toBe(0);
      expect(JSON.parse(filtered.stdout)).toEqual([]);

      const out = join(dir, 'events.ndjson');
      const denied = captureIo();
      expect(await main(['export', 'events', '--url', server.url, '--token', 'wrong', '--out', out], denied)).toBe(1);
      expect(denied.stderr).toContain('answered 401');
      expect(existsSync(out)).toBe(false);

      const bad = captureIo();
      expect(await main(['export', 'funnel', '--url', server.url, '--token', TOKEN, '--window', 'soon'], bad)).toBe(1);
      expect(bad.stderr).toMatch(/answered 400: .*window/);

      // The collector's warnings arrive in X-Spur-Warnings and are printed as they are locally.
      const warned = captureIo();
      const steps = 'Product Viewed,Produkt hinzugefügt';
      expect(await main(['export', 'funnel', '--url', server.url, '--token', TOKEN, '--steps', steps, '--format', 'csv'], warned)).toBe(0);
      expect(warned.stderr).toBe('spur export: warning: step 2 "Produkt hinzugefügt": no stored event has this name\n');
    } finally {
      await server.close();
    }
  });

  it('says when the collector cannot be reached', async () => {
    const io = captureIo();
    expect(await main(['export', 'events', '--url', 'http://127.0.0.1:9', '--token', TOKEN], io)).toBe(1);
    expect(io.stderr).toContain('cannot reach http://127.0.0.1:9');
  });
});
