// runExport (exports.ts) when several exports wait for the same refresh of the analytics cache (a
// refresh was under way when they came, and they share the one queued after it), as the
// dashboard's Overview asks for this period and the previous one at once: each is computed and
// written in its turn, so the first asked for is on its way before the next one is computed.
import { createAnalyticsService, runExport, type AnalyticsService } from '../src';
import type { Analytics } from '../src/analytics';
import { NOW, useFixtures } from './helpers';

const fx = useFixtures();
const DAY = 86_400_000;

describe('runExport, several at once', () => {
  it('writes the first of two overviews that waited for one refresh before it computes the second', async () => {
    const storage = await fx.storage();
    const events = Array.from({ length: 40 }, (_, i) => {
      const t = new Date(NOW - i * DAY).toISOString();
      return { type: 'page' as const, messageId: `m-${i}`, anonymousId: `a-${i % 7}`, timestamp: t, originalTimestamp: t, receivedAt: t, properties: { path: '/' } };
    });
    await storage.append({ writeKey: 'k', events, rejected: [] });
    const real = createAnalyticsService(storage);
    const log: string[] = [];
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    // The real engine, with its overview computations written down as they begin.
    const watched = (engine: Analytics): Analytics =>
      new Proxy(engine, {
        get(target, prop) {
          const value = Reflect.get(target, prop) as unknown;
          if (prop !== 'overview') return typeof value === 'function' ? value.bind(target) : value;
          return (o: Parameters<Analytics['overview']>[0]) => {
            log.push(`compute ${day(o.from)}`);
            return target.overview(o);
          };
        },
      });
    const service: AnalyticsService = { ...real, refresh: async () => watched(await real.refresh()) };
    await real.refresh();
    // As the route does: the export's answer, then its chunks written out.
    const serve = async (from: number, to: number) => {
      const out = await runExport(storage, 'overview', { from: day(from), to: day(to) }, { analytics: service, now: () => NOW });
      let body = '';
      for await (const chunk of out.chunks) body += chunk;
      log.push(`sent ${day(from)}`);
      return JSON.parse(body) as { totals: { visitors: number } };
    };
    // A refresh under way (the abandonment job's, another view's) when both arrive: they share
    // the one queued after it.
    const underWay = real.refresh();
    const [now, before] = await Promise.all([serve(NOW - 19 * DAY, NOW + DAY), serve(NOW - 39 * DAY, NOW - 19 * DAY)]);
    await underWay;
    expect(log).toEqual([`compute ${day(NOW - 19 * DAY)}`, `sent ${day(NOW - 19 * DAY)}`, `compute ${day(NOW - 39 * DAY)}`, `sent ${day(NOW - 39 * DAY)}`]);
    expect(now.totals.visitors).toBe(7);
    expect(before.totals.visitors).toBe(7);
    await real.stop();
  });
});
