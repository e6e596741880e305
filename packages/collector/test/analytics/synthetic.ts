// A seeded generator of shop sessions whose funnel outcome is known by construction: every
// journey archetype below marks, by hand, which of its events are the funnel's step hits for
// Product Viewed -> Product Added -> Checkout Started -> Order Completed. The expected figures
// come from those marks and the generator's own bookkeeping, never from the engine's code.
import type { Fact } from '../../src/analytics';

export const STEPS = ['Product Viewed', 'Product Added', 'Checkout Started', 'Order Completed'];
const [PV, PA, CS, OC] = STEPS;

/** Mulberry32: small, seeded, good enough to vary test data. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MIN = 60 * 1000;
const HOUR = 60 * MIN;

// A planned event: name ('page' for a page view), minutes after the session start (or a fixed
// ms offset), whether it is a step hit, and whether it starts a new session of its own.
interface Planned {
  name: string;
  gapMs: number;
  hit?: boolean;
  /** Starts a new session: a 30-minute gap (no sessionId) or a new sessionId. */
  cut?: boolean;
}

const e = (name: string, gapSeconds: number, hit = false): Planned => ({ name, gapMs: gapSeconds * 1000, hit });

/** Archetypes: events with gaps from the previous event, hits marked; `level` = hits count. */
const ARCHETYPES: Record<string, Planned[]> = {
  bounce: [e('page', 0), e('page', 40)],
  view: [e('page', 0), e(PV, 20, true), e(PV, 50)],
  add: [e('page', 0), e(PV, 30, true), e(PA, 90, true), e('page', 10)],
  // Repeated steps: the first PV and the first PA after it are the hits.
  repeat: [e(PV, 0, true), e(PV, 15), e(PA, 45, true), e(PV, 30), e(PA, 20), e(CS, 120, true)],
  buy: [e('page', 0), e(PV, 25, true), e(PA, 60, true), e(CS, 200, true), e(OC, 180, true)],
  // Out of order: an add and a checkout before any view do not count; the late view is step 1.
  outOfOrder: [e('page', 0), e(PA, 30), e(CS, 30), e(OC, 60), e(PV, 45, true)],
  // Checkout before add: the add counts (it follows the view), the checkout does not.
  checkoutFirst: [e(PV, 0, true), e(CS, 30), e(PA, 30, true)],
  // Same millisecond, stored after: counts (gap 0).
  sameMs: [e(PV, 0, true), e(PA, 0, true), e(CS, 70, true)],
  // Same millisecond, stored before the view: it does not follow the view.
  sameMsBefore: [e('page', 0), e(PA, 60), e(PV, 0, true)],
  // A 29-minute pause stays in the session (no sessionId needed to show it).
  longPause: [e(PV, 0, true), e(PA, 29 * 60, true), e(CS, 59, true)],
  // Session boundary inside the journey: the checkout and order fall in a new session.
  split: [e(PV, 0, true), e(PA, 40, true), { ...e(CS, 30 * 60), cut: true }, e(OC, 60)],
};

interface Agent {
  userAgent?: string;
  families?: { device: string; browser: string; os: string };
  device: string;
  browser: string;
}

const AGENTS: Agent[] = [
  {
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
    device: 'desktop',
    browser: 'Chrome',
  },
  {
    userAgent:
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
    device: 'mobile',
    browser: 'Safari',
  },
  {
    userAgent: 'Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
    device: 'tablet',
    browser: 'Chrome',
  },
  // As the collector stores them: families only.
  { families: { device: 'desktop', browser: 'Firefox', os: 'macOS' }, device: 'desktop', browser: 'Firefox' },
];

interface Entry {
  referrer?: string;
  query?: string;
  campaign?: { source: string; medium: string; campaign?: string };
  channel: string;
  source: string;
}

const HOST = 'https://shop.example';
const ENTRIES: Entry[] = [
  { channel: 'direct', source: '(none)' },
  { referrer: 'https://www.google.de/', channel: 'organic_search', source: '(none)' },
  { query: '?utm_source=google&utm_medium=cpc&utm_campaign=summer', channel: 'paid_search', source: 'google' },
  { campaign: { source: 'newsletter', medium: 'email', campaign: 'june' }, channel: 'email', source: 'newsletter' },
  { referrer: 'https://l.facebook.com/', channel: 'social', source: '(none)' },
  { referrer: 'https://blog.example.org/post/1', channel: 'referral', source: '(none)' },
  { referrer: 'https://www.shop.example/cart', channel: 'internal', source: '(none)' },
  { query: '?gclid=Cj0KCQ', channel: 'paid_search', source: 'google' },
  { campaign: { source: 'criteo', medium: 'display' }, channel: 'paid_other', source: 'criteo' },
];

/** What the generator knows about each session it made. */
export interface TruthSession {
  archetype: string;
  visitor: string;
  device: string;
  browser: string;
  channel: string;
  source: string;
  returning: boolean;
  /** Times of the step hits, in step order; length = the furthest step reached. */
  hits: number[];
}

export interface Synthetic {
  facts: Fact[];
  sessions: TruthSession[];
  from: number;
  to: number;
}

export const BASE = Date.UTC(2024, 4, 1);

/**
 * `count` sessions, each in its own 2-hour slot (so the 30-minute rule never joins two), by
 * `visitors` visitors; [from, to) covers the middle slots. About one session in ten arrives late
 * (appended after all others, in reverse), as an offline outbox would deliver it.
 */
export function generate(seed: number, count = 400, visitors = 60): Synthetic {
  const rnd = random(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  const names = Object.keys(ARCHETYPES);
  const timed: { fact: Omit<Fact, 'seq'>; late: boolean; order: number }[] = [];
  const sessions: TruthSession[] = [];
  const seen = new Set<string>();
  const agentOf = new Map<string, Agent>();
  let order = 0;
  let sid = 0;
  for (let i = 0; i < count; i++) {
    const visitor = `v${Math.floor(rnd() * visitors)}`;
    if (!agentOf.has(visitor)) agentOf.set(visitor, pick(AGENTS));
    const agent = agentOf.get(visitor)!;
    const archetype = pick(names);
    const entry = pick(ENTRIES);
    const withSessionId = rnd() < 0.7;
    // Reversing a late batch would swap same-millisecond events, whose order is the point.
    const late = rnd() < 0.1 && !archetype.startsWith('sameMs');
    let t = BASE + i * 2 * HOUR + 10 * MIN + Math.floor(rnd() * 20 * MIN);
    let sessionId = withSessionId ? `s${sid++}` : undefined;
    const truth: TruthSession = {
      archetype,
      visitor,
      device: agent.device,
      browser: agent.browser,
      channel: entry.channel,
      source: entry.source,
      returning: seen.has(visitor),
      hits: [],
    };
    sessions.push(truth);
    seen.add(visitor);
    let first = true;
    let path = '/';
    for (const planned of ARCHETYPES[archetype]) {
      t += planned.gapMs;
      if (planned.cut) {
        // The rest is a new session of the same visitor: a returning one, with no funnel hits of
        // its own (it holds no Product Viewed), entered from the shop itself.
        if (sessionId) sessionId = `s${sid++}`;
        sessions.push({ ...truth, archetype: `${archetype}:rest`, returning: true, channel: 'internal', source: '(none)', hits: [] });
      }
      const previous = path;
      path = planned.name === 'page' ? '/' : `/p/${Math.floor(rnd() * 5)}`;
      const fact: Omit<Fact, 'seq'> = {
        ts: t,
        type: planned.name === 'page' ? 'page' : 'track',
        anonymousId: visitor,
        path,
        url: HOST + path + (first && entry.query ? entry.query : ''),
        referrer: first ? entry.referrer : HOST + previous,
      };
      if (planned.name !== 'page') fact.name = planned.name;
      if (sessionId) fact.sessionId = sessionId;
      if (agent.userAgent) fact.userAgent = agent.userAgent;
      else Object.assign(fact, agent.families);
      if (first && entry.campaign) Object.assign(fact, { source: entry.campaign.source, medium: entry.campaign.medium, campaign: entry.campaign.campaign });
      if (planned.hit) truth.hits.push(t);
      timed.push({ fact, late, order: order++ });
      first = false;
    }
  }
  // Range edges, each its own new visitor on a desktop Chrome, entered directly, with a sessionId.
  const from = BASE + 100 * 2 * HOUR;
  const to = BASE + 300 * 2 * HOUR;
  const edges: [string, [string, number][]][] = [
    // Step 1 a minute before `from`, step 2 after it: not counted (step 1 must be in range).
    ['straddle', [[PV, from - MIN], [PA, from + MIN]]],
    ['atFrom', [[PV, from], [PA, from + 5000]]],
    ['atTo', [[PV, to], [PA, to + 5000]]],
    // Step 1 just before `to`, step 2 after it: counted, with both steps.
    ['beforeTo', [[PV, to - 1], [PA, to + 10 * MIN]]],
  ];
  for (const [archetype, events] of edges) {
    const truth: TruthSession = { archetype, visitor: archetype, device: 'desktop', browser: 'Chrome', channel: 'direct', source: '(none)', returning: false, hits: [] };
    sessions.push(truth);
    for (const [name, ts] of events) {
      timed.push({
        fact: { ts, type: 'track', name, anonymousId: archetype, sessionId: archetype, userAgent: AGENTS[0].userAgent, url: HOST + '/p/1', path: '/p/1' },
        late: false,
        order: order++,
      });
      truth.hits.push(ts);
    }
  }
  // Storage order: on-time events as generated (the range-edge sessions last), then the late
  // ones, each late session reversed.
  const onTime = timed.filter((x) => !x.late);
  const late = timed.filter((x) => x.late).sort((a, b) => b.order - a.order);
  const facts = [...onTime, ...late].map((x, seq) => ({ ...x.fact, seq: seq + 1 }) as Fact);
  return { facts, sessions, from, to };
}
