// The real OTTO excerpt (test/data/otto-sample, see its README): 20 sessions, 862 events.
// clicks -> Product Viewed, carts -> Product Added, orders -> Order Completed, OTTO's session id
// as the sessionId. The engine's session funnel must give the README's published figures and
// agree with a plain re-count over the raw file.
import fs from 'node:fs';
import path from 'node:path';
import { buildSessions, FactTable, runFunnel, type Fact, type FunnelStepRow } from '../../src/analytics';

const FILE = path.resolve(__dirname, '../data/otto-sample/train.jsonl');

interface OttoEvent {
  aid: number;
  ts: number;
  type: 'clicks' | 'carts' | 'orders';
}
interface OttoSession {
  session: number;
  events: OttoEvent[];
}

const sessions: OttoSession[] = fs
  .readFileSync(FILE, 'utf8')
  .split('\n')
  .filter((line) => line.trim())
  .map((line) => JSON.parse(line) as OttoSession);

const NAME = { clicks: 'Product Viewed', carts: 'Product Added', orders: 'Order Completed' } as const;
const STEPS = ['Product Viewed', 'Product Added', 'Order Completed'];

function facts(): Fact[] {
  let seq = 0;
  const out: Fact[] = [];
  for (const s of sessions) {
    for (const e of s.events) {
      const productId = String(e.aid);
      const fact: Fact = { seq: ++seq, ts: e.ts, type: 'track', name: NAME[e.type], anonymousId: `otto-${s.session}`, sessionId: String(s.session) };
      if (e.type !== 'orders') fact.productId = productId;
      if (e.type === 'carts') fact.cart = { productId, quantity: 1 };
      if (e.type === 'orders') fact.cart = { products: [{ productId, quantity: 1 }] };
      out.push(fact);
    }
  }
  return out;
}

// The plain re-count: walk each session's events in file order, moving to the next step when
// the event is of the type that step wants; remember when each step was reached.
function recount(types: OttoEvent['type'][]) {
  const units = types.map(() => 0);
  const gaps: number[][] = types.map(() => []);
  for (const s of sessions) {
    let level = 0;
    const at: number[] = [];
    for (const e of s.events) {
      if (level < types.length && e.type === types[level]) {
        at.push(e.ts);
        level++;
      }
    }
    for (let k = 0; k < level; k++) {
      units[k]++;
      if (k > 0) gaps[k].push(at[k] - at[k - 1]);
    }
  }
  const medians = gaps.map((g) => {
    const x = [...g].sort((a, b) => a - b);
    if (!x.length) return null;
    return Math.round(x.length % 2 ? x[(x.length - 1) / 2] : (x[x.length / 2 - 1] + x[x.length / 2]) / 2) / 1000;
  });
  return { units, medians };
}

describe('OTTO excerpt', () => {
  const view = FactTable.from(facts()).view();
  const index = buildSessions(view);
  const funnel = (steps: string[]) => runFunnel({ facts: view, sessions: index }, { steps }).steps;

  it('holds the file as the README describes it: 20 sessions, 862 events (800 clicks, 52 carts, 10 orders)', () => {
    expect(sessions).toHaveLength(20);
    expect(view.length).toBe(862);
    expect(index.count).toBe(20);
    const count = (name: string) => view.name.filter((id) => id === view.names.id(name)).length;
    expect([count('Product Viewed'), count('Product Added'), count('Order Completed')]).toEqual([800, 52, 10]);
  });

  it('gives the README\'s ordered session funnel: 20 -> 7 -> 2 (13 stop at click, 5 at cart, 2 order)', () => {
    const rows = funnel(STEPS);
    expect(rows.map((r: FunnelStepRow) => r.units)).toEqual([20, 7, 2]);
    expect(rows.map((r) => r.dropOff)).toEqual([13, 5, null]);
    expect(rows.map((r) => r.conversionFromStart)).toEqual([1, 0.35, 0.1]);
    expect(rows[2].conversionFromPrevious).toBe(0.2857);
  });

  it('equals a plain re-count over the raw file, medians included', () => {
    const { units, medians } = recount(['clicks', 'carts', 'orders']);
    const rows = funnel(STEPS);
    expect(rows.map((r) => r.units)).toEqual(units);
    expect(rows.map((r) => r.medianSecondsFromPrevious)).toEqual(medians);
  });

  it('gives the README\'s "sessions with at least one" counts: 7 with a cart, 3 with an order', () => {
    expect(funnel(['Product Added'])[0].units).toBe(7);
    expect(funnel(['Order Completed'])[0].units).toBe(3);
    expect(recount(['orders']).units).toEqual([3]);
  });

  it('agrees with the re-count for other orders of the steps too', () => {
    for (const types of [['carts', 'orders'], ['clicks', 'orders'], ['clicks', 'clicks', 'carts'], ['orders', 'clicks']] as OttoEvent['type'][][]) {
      expect(funnel(types.map((t) => NAME[t])).map((r) => r.units)).toEqual(recount(types).units);
    }
  });
});
