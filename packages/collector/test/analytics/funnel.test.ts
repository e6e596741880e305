import {
  buildSessions,
  FactTable,
  parseDuration,
  resolveProfiles,
  runFunnel,
  type Fact,
  type FunnelStepRow,
  type SessionAttribute,
} from '../../src/analytics';
import { HttpError } from '../../src/errors';
import { generate, STEPS, type TruthSession } from './synthetic';

const MIN = 60 * 1000;
const HOUR = 60 * MIN;
const T0 = Date.UTC(2024, 0, 10, 12);

// Expected rows from the generator's ground truth (hit times per session), written out plainly.
function expectedRows(units: TruthSession[], names: string[]): FunnelStepRow[] {
  const reached = names.map((_, k) => units.filter((s) => s.hits.length > k));
  const median = (xs: number[]) => {
    if (!xs.length) return null;
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    return Math.round(m) / 1000;
  };
  const r4 = (x: number, of: number) => (of ? Math.round((x / of) * 10000) / 10000 : null);
  return names.map((name, k) => ({
    step: k + 1,
    name,
    units: reached[k].length,
    dropOff: k + 1 < names.length ? reached[k].length - reached[k + 1].length : null,
    conversionFromPrevious: k === 0 ? null : r4(reached[k].length, reached[k - 1].length),
    conversionFromStart: r4(reached[k].length, reached[0].length),
    medianSecondsFromPrevious: k === 0 ? null : median(reached[k].map((s) => s.hits[k] - s.hits[k - 1])),
  }));
}

const truthValue = (s: TruthSession, by: SessionAttribute): string =>
  by === 'device' ? s.device : by === 'browser' ? s.browser : by === 'channel' ? s.channel : by === 'utm_source' ? s.source : s.returning ? 'returning' : 'new';

let seq = 0;
const f = (fact: Omit<Fact, 'seq'>): Fact => ({ ...fact, seq: ++seq });
const track = (name: string, ts: number, more: Partial<Fact> = {}): Fact => f({ type: 'track', name, ts, anonymousId: 'A', ...more });
const page = (path: string, ts: number, more: Partial<Fact> = {}): Fact => f({ type: 'page', path, ts, anonymousId: 'A', ...more });
const funnelOf = (facts: Fact[], query: Parameters<typeof runFunnel>[1]) => {
  const view = FactTable.from(facts).view();
  return runFunnel({ facts: view, sessions: buildSessions(view), profiles: resolveProfiles(view, { links: [], aliases: [] }) }, query);
};
const units = (facts: Fact[], query: Parameters<typeof runFunnel>[1]) => funnelOf(facts, query).steps.map((r) => r.units);

describe('session funnel over synthetic journeys with known outcomes', () => {
  for (const seed of [1, 2, 3]) {
    const data = generate(seed);
    const view = FactTable.from(data.facts).view();
    const sessions = buildSessions(view);
    const inRange = data.sessions.filter((s) => s.hits.length > 0 && s.hits[0] >= data.from && s.hits[0] < data.to);

    it(`seed ${seed}: counts each session once at its furthest step, only from step 1 in [from, to)`, () => {
      const result = runFunnel({ facts: view, sessions }, { steps: STEPS, from: data.from, to: data.to });
      expect(result.steps).toEqual(expectedRows(inRange, STEPS));
      // The data exercise every step and every edge: guard against a generator that drifted.
      expect(result.steps.map((r) => r.units).every((u) => u > 0)).toBe(true);
      expect(sessions.count).toBe(data.sessions.length);
    });

    it(`seed ${seed}: without a range, counts every session that did step 1`, () => {
      const all = data.sessions.filter((s) => s.hits.length > 0);
      expect(runFunnel({ facts: view, sessions }, { steps: STEPS }).steps).toEqual(expectedRows(all, STEPS));
    });

    for (const by of ['device', 'browser', 'channel', 'utm_source', 'returning'] as SessionAttribute[]) {
      it(`seed ${seed}: breaks down by ${by} with each segment's own rows`, () => {
        const result = runFunnel({ facts: view, sessions }, { steps: STEPS, from: data.from, to: data.to, by });
        const values = [...new Set(inRange.map((s) => truthValue(s, by)))];
        const expected = values
          .map((value) => ({ key: by, value, steps: expectedRows(inRange.filter((s) => truthValue(s, by) === value), STEPS) }))
          .sort((a, b) => b.steps[0].units - a.steps[0].units || (a.value < b.value ? -1 : 1));
        expect(result.segments).toEqual(expected);
        expect(result.steps).toEqual(expectedRows(inRange, STEPS));
      });
    }
  }

  it('covers the archetypes and edges it claims to (seed 1)', () => {
    const data = generate(1);
    const names = new Set(data.sessions.map((s) => s.archetype));
    for (const a of ['repeat', 'outOfOrder', 'checkoutFirst', 'sameMs', 'sameMsBefore', 'longPause', 'split', 'straddle', 'atFrom', 'atTo', 'beforeTo']) {
      expect(names).toContain(a);
    }
    expect(data.sessions.some((s) => s.returning)).toBe(true);
  });
});

describe('steps', () => {
  it('needs a second page view for page -> page (one event never fills two steps)', () => {
    expect(units([page('/', T0)], { steps: ['page', 'page'], unit: 'visitor' })).toEqual([1, 0]);
    expect(units([page('/', T0), page('/a', T0 + 1000)], { steps: ['page', 'page'], unit: 'visitor' })).toEqual([1, 1]);
  });

  it('matches page:/path as a path prefix, and event names only on track events', () => {
    const facts = [page('/products/1', T0), page('/checkout/pay', T0 + 1000), track('page', T0 + 2000)];
    expect(units(facts, { steps: ['page:/products', 'page:/checkout'], unit: 'visitor' })).toEqual([1, 1]);
    expect(units(facts, { steps: ['page:/checkout', 'page:/products'], unit: 'visitor' })).toEqual([1, 0]);
    expect(units(facts, { steps: ['page:/cart'], unit: 'visitor' })).toEqual([0]);
    // A track event named "page" is not a page view, and the step `page` is not a track event.
    expect(units([track('page', T0)], { steps: ['page'], unit: 'visitor' })).toEqual([0]);
  });

  it('counts a step at the same millisecond only when it was stored after the previous step', () => {
    expect(units([track('Product Viewed', T0), track('Product Added', T0)], { steps: STEPS.slice(0, 2) })).toEqual([1, 1]);
    expect(units([track('Product Added', T0), track('Product Viewed', T0)], { steps: STEPS.slice(0, 2) })).toEqual([1, 0]);
  });
});

describe('window', () => {
  const pair = (gap: number) => [track('Product Viewed', T0), track('Product Added', T0 + gap)];

  it('is half-open: a step 1 ms before the window end counts, one exactly at the end does not', () => {
    const steps = STEPS.slice(0, 2);
    expect(units(pair(HOUR - 1), { steps, unit: 'visitor', window: '1h' })).toEqual([1, 1]);
    expect(units(pair(HOUR), { steps, unit: 'visitor', window: '1h' })).toEqual([1, 0]);
    expect(units(pair(HOUR), { steps, unit: 'customer', window: '1h' })).toEqual([1, 0]);
  });

  it('defaults to 7 days for visitors and customers, and to the whole session for sessions', () => {
    const steps = STEPS.slice(0, 2);
    const day = 24 * HOUR;
    expect(units(pair(7 * day - 1), { steps, unit: 'visitor' })).toEqual([1, 1]);
    expect(units(pair(7 * day), { steps, unit: 'visitor' })).toEqual([1, 0]);
    expect(units(pair(7 * day), { steps, unit: 'customer' })).toEqual([1, 0]);
    // One sessionId for 9 days: the session is the window.
    const long = [track('Product Viewed', T0, { sessionId: 's' }), track('Product Added', T0 + 9 * day, { sessionId: 's' })];
    expect(units(long, { steps })).toEqual([1, 1]);
    expect(units(long, { steps, window: '7d' })).toEqual([1, 0]);
  });

  it('takes the step-1 event that gets furthest when a unit has several, and its times', () => {
    // First view at T0: the add at T0 + 2h is outside 1h. Second view at T0 + 90m: the add is 30m later.
    const facts = [track('Product Viewed', T0), track('Product Viewed', T0 + 90 * MIN), track('Product Added', T0 + 2 * HOUR)];
    const result = funnelOf(facts, { steps: STEPS.slice(0, 2), unit: 'visitor', window: '1h' });
    expect(result.steps.map((r) => r.units)).toEqual([1, 1]);
    expect(result.steps[1].medianSecondsFromPrevious).toBe(1800);
  });

  it('takes the earliest of equally good step-1 events', () => {
    // Both views reach the add and neither reaches a checkout: the first view counts (gap 20m).
    const facts = [track('Product Viewed', T0), track('Product Viewed', T0 + 10 * MIN), track('Product Added', T0 + 20 * MIN)];
    const result = funnelOf(facts, { steps: STEPS.slice(0, 3), unit: 'visitor', window: '1h' });
    expect(result.steps.map((r) => r.units)).toEqual([1, 1, 0]);
    expect(result.steps[1].medianSecondsFromPrevious).toBe(1200);
  });

  it('breaks a visitor down by the session of the step-1 event that counted', () => {
    // Day 1, direct: a view that goes nowhere. Day 2, from the newsletter: view and add.
    const facts = [
      track('Product Viewed', T0, { sessionId: 'd1', url: 'https://shop.example/p/1' }),
      track('Product Viewed', T0 + 24 * HOUR, { sessionId: 'd2', url: 'https://shop.example/p/1?utm_source=nl&utm_medium=email' }),
      track('Product Added', T0 + 24 * HOUR + MIN, { sessionId: 'd2', url: 'https://shop.example/p/1' }),
    ];
    const channel = funnelOf(facts, { steps: STEPS.slice(0, 2), unit: 'visitor', window: '1h', by: 'channel' });
    expect(channel.segments!.map((s) => [s.value, s.steps.map((r) => r.units)])).toEqual([['email', [1, 1]]]);
    const returning = funnelOf(facts, { steps: STEPS.slice(0, 2), unit: 'visitor', window: '1h', by: 'returning' });
    expect(returning.segments!.map((s) => [s.value, s.steps.map((r) => r.units)])).toEqual([['returning', [1, 1]]]);
  });

  it('gives the same answer for a unit of hundreds of events (table-driven matcher) as the plain scan', () => {
    // 300 views a minute apart, then one add: with a 1h window only views in the last hour reach it.
    const facts: Fact[] = [];
    for (let i = 0; i < 300; i++) facts.push(track('Product Viewed', T0 + i * MIN));
    facts.push(track('Product Added', T0 + 300 * MIN));
    facts.push(track('Checkout Started', T0 + 301 * MIN));
    const result = funnelOf(facts, { steps: STEPS.slice(0, 3), unit: 'visitor', window: '1h' });
    expect(result.steps.map((r) => r.units)).toEqual([1, 1, 1]);
    // The earliest view that still reaches the checkout within 1h is at minute 242 (242 + 60 > 301).
    expect(result.steps[1].medianSecondsFromPrevious).toBe(58 * 60);
    expect(result.steps[2].medianSecondsFromPrevious).toBe(60);
  });
});

describe('units', () => {
  // Phone P and laptop L of one customer U; the phone's steps happen before identify.
  const journey = () => [
    track('Product Viewed', T0, { anonymousId: 'P', sessionId: 'p1' }),
    track('Product Added', T0 + MIN, { anonymousId: 'P', sessionId: 'p1' }),
    track('Checkout Started', T0 + 2 * MIN, { anonymousId: 'P', sessionId: 'p1' }),
    f({ type: 'identify', ts: T0 + 3 * MIN, anonymousId: 'P', userId: 'U', sessionId: 'p1' }),
    track('Product Viewed', T0 + 2 * HOUR, { anonymousId: 'L', sessionId: 'l1' }),
    track('Order Completed', T0 + 2 * HOUR + 5 * MIN, { anonymousId: 'L', userId: 'U', sessionId: 'l1' }),
  ];
  const links = [
    { anonymousId: 'P', userId: 'U', firstSeen: new Date(T0 + 3 * MIN).toISOString() },
    { anonymousId: 'L', userId: 'U', firstSeen: new Date(T0 + 2 * HOUR + 5 * MIN).toISOString() },
  ];

  it('customer: steps on two devices and before identify make one journey', () => {
    const view = FactTable.from(journey()).view();
    const profiles = resolveProfiles(view, { links, aliases: [] });
    const result = runFunnel({ facts: view, profiles }, { steps: STEPS, unit: 'customer' });
    expect(result.steps.map((r) => r.units)).toEqual([1, 1, 1, 1]);
    expect(result.steps[3].medianSecondsFromPrevious).toBe((2 * HOUR + 3 * MIN) / 1000);
  });

  it('visitor and session: each device on its own', () => {
    expect(units(journey(), { steps: STEPS, unit: 'visitor' })).toEqual([2, 1, 1, 0]);
    expect(units(journey(), { steps: STEPS })).toEqual([2, 1, 1, 0]);
  });

  it('customer: a shared computer gives later anonymous events to the second customer', () => {
    const facts = [
      track('Product Viewed', T0, { anonymousId: 'S' }),
      track('Product Viewed', T0 + 2 * HOUR, { anonymousId: 'S' }),
      track('Product Added', T0 + 3 * HOUR, { anonymousId: 'S' }),
    ];
    const view = FactTable.from(facts).view();
    const shared = [
      { anonymousId: 'S', userId: 'U1', firstSeen: new Date(T0 - HOUR).toISOString() },
      { anonymousId: 'S', userId: 'U2', firstSeen: new Date(T0 + HOUR).toISOString() },
    ];
    const profiles = resolveProfiles(view, { links: shared, aliases: [] });
    const result = runFunnel({ facts: view, profiles }, { steps: STEPS.slice(0, 2), unit: 'customer' });
    // U1 viewed (T0) and never added; U2 viewed (T0+2h) and added.
    expect(result.steps.map((r) => r.units)).toEqual([2, 1]);
    expect(result.steps[1].medianSecondsFromPrevious).toBe(3600);
  });
});

describe('rows', () => {
  it('gives drop-off, conversions and medians, with null where undefined', () => {
    const facts = [
      track('Product Viewed', T0, { anonymousId: 'a', sessionId: '1' }),
      track('Product Added', T0 + 10_000, { anonymousId: 'a', sessionId: '1' }),
      track('Product Viewed', T0, { anonymousId: 'b', sessionId: '2' }),
      track('Product Added', T0 + 20_001, { anonymousId: 'b', sessionId: '2' }),
      track('Product Viewed', T0, { anonymousId: 'c', sessionId: '3' }),
    ];
    expect(funnelOf(facts, { steps: STEPS.slice(0, 3) }).steps).toEqual([
      { step: 1, name: 'Product Viewed', units: 3, dropOff: 1, conversionFromPrevious: null, conversionFromStart: 1, medianSecondsFromPrevious: null },
      { step: 2, name: 'Product Added', units: 2, dropOff: 2, conversionFromPrevious: 0.6667, conversionFromStart: 0.6667, medianSecondsFromPrevious: 15.001 },
      { step: 3, name: 'Checkout Started', units: 0, dropOff: null, conversionFromPrevious: 0, conversionFromStart: 0, medianSecondsFromPrevious: null },
    ]);
  });

  it('answers an empty funnel with zero units and null rates', () => {
    expect(funnelOf([], { steps: ['Product Viewed', 'Product Added'] }).steps[1]).toEqual({
      step: 2,
      name: 'Product Added',
      units: 0,
      dropOff: null,
      conversionFromPrevious: null,
      conversionFromStart: null,
      medianSecondsFromPrevious: null,
    });
  });
});

describe('queries', () => {
  const bad = (query: Parameters<typeof runFunnel>[1]) => {
    try {
      funnelOf([], query);
    } catch (err) {
      expect(err).toBeInstanceOf(HttpError);
      expect((err as HttpError).status).toBe(400);
      return (err as HttpError).message;
    }
    throw new Error('expected a 400');
  };

  it('refuses malformed queries with a 400 that says what is wrong', () => {
    expect(bad({ steps: [] })).toMatch(/at least one step/);
    expect(bad({ steps: ['a', ' '] })).toMatch(/non-empty/);
    expect(bad({ steps: ['page:checkout'] })).toMatch(/starts with \//);
    expect(bad({ steps: ['a'], unit: 'person' as never })).toMatch(/unit must be one of session, visitor, customer/);
    expect(bad({ steps: ['a'], by: 'country' as never })).toMatch(/by must be one of/);
    expect(bad({ steps: ['a'], window: '3 fortnights' })).toMatch(/like 30m, 2h or 7d/);
    expect(bad({ steps: ['a'], from: 10, to: 10 })).toMatch(/from must be before to/);
    expect(bad({ steps: Array.from({ length: 21 }, (_, i) => `s${i}`) })).toMatch(/at most 20 steps/);
  });
});

describe('sources', () => {
  it('refuses sessions built from another view (rows would not line up)', () => {
    const table = FactTable.from([track('Product Viewed', T0)]);
    const sessions = buildSessions(table.view());
    table.append(track('Product Viewed', T0 + 1));
    expect(() => runFunnel({ facts: table.view(), sessions }, { steps: ['Product Viewed'] })).toThrow(/sessions cover 1 facts, the view 2/);
  });

  it('needs profiles for a customer funnel', () => {
    const view = FactTable.from([track('Product Viewed', T0)]).view();
    expect(() => runFunnel({ facts: view }, { steps: ['Product Viewed'], unit: 'customer' })).toThrow(/needs profiles/);
  });
});

describe('parseDuration', () => {
  it('reads 30m, 2h, 7d, 1.5h, 90s, 250ms and 2w', () => {
    expect(parseDuration('30m')).toBe(30 * MIN);
    expect(parseDuration('2h')).toBe(2 * HOUR);
    expect(parseDuration('7d')).toBe(7 * 24 * HOUR);
    expect(parseDuration('1.5h')).toBe(90 * MIN);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('2w')).toBe(14 * 24 * HOUR);
  });

  it('refuses what it cannot read, zero, and an upper-case M (month or minute?)', () => {
    for (const text of ['', '30', 'm', '1M', '-5m', '2 days', '0m', '1e3s']) {
      expect(() => parseDuration(text, 'window')).toThrow(/window must/);
    }
  });
});
