// The row mask: bots decided once per agent, rows left out get no session, visitor or profile,
// and indexes of another mask are refused rather than silently mixed.
import { botMask, buildSessions, createAnalytics, FactTable, resolveProfiles, runFunnel, visitorsOf, withRows, type Fact } from '../../src/analytics';

const T0 = Date.UTC(2024, 0, 10, 12);
let seq = 0;
const fact = (anonymousId: string, device: string, name = 'Product Viewed', minutes = 0): Fact => ({
  seq: ++seq,
  ts: T0 + minutes * 60_000,
  type: 'track',
  name,
  anonymousId,
  sessionId: `s-${anonymousId}`,
  device,
  browser: 'Chrome',
  os: 'Linux',
});

describe('botMask', () => {
  it('is null when no row is a bot, so that the usual table pays nothing per row', () => {
    expect(botMask(FactTable.from([fact('a', 'desktop'), fact('b', 'mobile')]).view())).toBeNull();
  });

  it('leaves out the rows of bot agents, also a bot announced by its raw user agent', () => {
    const table = FactTable.from([
      fact('a', 'desktop'),
      fact('b', 'bot'),
      { seq: ++seq, ts: T0, type: 'track', name: 'Product Viewed', anonymousId: 'c', userAgent: 'curl/8.5.0' },
      fact('a', 'desktop', 'Product Added', 1),
    ]);
    expect([...botMask(table.view())!]).toEqual([1, 0, 0, 1]);
  });
});

describe('a masked view', () => {
  const table = FactTable.from([fact('a', 'desktop'), fact('b', 'bot'), fact('b', 'bot', 'Product Added', 1), fact('a', 'desktop', 'Product Added', 2)]);
  const view = withRows(table.view(), botMask(table.view()));

  it('gives rows left out no session, visitor or profile', () => {
    const sessions = buildSessions(view);
    expect(sessions.count).toBe(1);
    expect([...sessions.ofRow]).toEqual([0, -1, -1, 0]);
    expect([...visitorsOf(view).ofRow].map((v) => v >= 0)).toEqual([true, false, false, true]);
    expect([...resolveProfiles(view, { links: [], aliases: [] }).ofRow].map((p) => p >= 0)).toEqual([true, false, false, true]);
  });

  it('refuses sessions or profiles made with another mask', () => {
    const unmasked = table.view();
    expect(() => runFunnel({ facts: view, sessions: buildSessions(unmasked) }, { steps: ['Product Viewed'] })).toThrow(/another row mask/);
    expect(() =>
      runFunnel({ facts: unmasked, profiles: resolveProfiles(view, { links: [], aliases: [] }) }, { steps: ['Product Viewed'], unit: 'customer' }),
    ).toThrow(/another row mask/);
  });
});

describe('the engine', () => {
  it('answers every figure without bots by default and with them on request; one scope when there are none', () => {
    const a = createAnalytics();
    a.append(fact('a', 'desktop'));
    expect(a.scope()).toBe(a.scope({ includeBots: true }));
    a.append(fact('b', 'bot', 'Product Viewed', 1));
    expect(a.scope()).not.toBe(a.scope({ includeBots: true }));
    expect(a.scope()).toBe(a.scope());
    expect(a.funnel({ steps: ['Product Viewed'] }).steps[0].units).toBe(1);
    expect(a.funnel({ steps: ['Product Viewed'], includeBots: true }).steps[0].units).toBe(2);
    expect(a.sessions().count).toBe(1);
    expect(a.scope({ includeBots: true }).sessions().count).toBe(2);
  });
});
