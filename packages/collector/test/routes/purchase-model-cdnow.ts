// The purchase model on the CDNOW sample, end to end, for a storage backend: every row of
// cdnowElog.csv is sent through the ordinary ingest of a real collector on loopback (POST
// /v1/batch, as a shop's backend would send its orders), then GET /v1/insights/purchase-model
// must give the figures Fader, Hardie & Lee (2005) published for this data (test/data/cdnow).
import { createCollector, createStore, startServer, type RunningServer, type Storage } from '../../src';
import { CALIBRATION_END, cdnowEvent, cdnowRows, HOLDOUT_END, PUBLISHED } from '../analytics/prediction/cdnow';

const KEY = 'wk_cdnow';
const TOKEN = 'cdnow-admin-token';
/** Rows per request: about 200 KB, within the 500 KB a request may hold. */
const BATCH = 1000;

const round = (v: number, decimals: number) => Math.round(v * 10 ** decimals) / 10 ** decimals;

/** Registers the tests on a collector over the storage `open` opens (fresh and empty). */
export function cdnowRouteTests(open: () => Promise<Storage>): void {
  let server: RunningServer;
  let accepted = 0;

  beforeAll(async () => {
    const storage = createStore(await open());
    // Limits off: 6,919 orders in a few seconds are more than a client's default allowance.
    const app = createCollector({ storage, writeKeys: { [KEY]: [] }, adminToken: TOKEN, rateLimit: 0, eventRateLimit: 0 });
    server = await startServer(app, { port: 0, host: '127.0.0.1', storage });
    const events = cdnowRows().map(cdnowEvent);
    for (let i = 0; i < events.length; i += BATCH) {
      const res = await fetch(`${server.url}/v1/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${KEY}:`).toString('base64')}` },
        body: JSON.stringify({ batch: events.slice(i, i + BATCH) }),
      });
      const body = (await res.json()) as { accepted: number; rejected: unknown[] };
      expect({ status: res.status, rejected: body.rejected }).toEqual({ status: 200, rejected: [] });
      accepted += body.accepted;
    }
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  const model = async (query: string) => {
    const res = await fetch(`${server.url}/v1/insights/purchase-model?${query}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  it('stores every order once', () => {
    expect(accepted).toBe(6919);
  });

  it('fits the published BG/NBD and Gamma-Gamma parameters on the calibration period', async () => {
    const { status, body } = await model(`calibrationEnd=${CALIBRATION_END}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ model: 'bg-nbd', calibrationEnd: CALIBRATION_END, customers: 2357, holdout: null });
    const { r, alpha, a, b } = body.params;
    expect([r, alpha, a, b].map((v: number) => round(v, 3))).toEqual([PUBLISHED.bgNbd.r, PUBLISHED.bgNbd.alpha, PUBLISHED.bgNbd.a, PUBLISHED.bgNbd.b]);
    expect(round(body.logLikelihood, 1)).toBe(PUBLISHED.bgNbd.logLikelihood);
    // Gamma-Gamma over the 946 repeat buyers, in the one currency the orders carry.
    expect(body.spend).toMatchObject({ model: 'gamma-gamma', currency: 'USD', customers: 946 });
    const { p, q, v } = body.spend.params;
    expect([p, q, v].map((x: number) => round(x, 2))).toEqual([PUBLISHED.gammaGamma.p, PUBLISHED.gammaGamma.q, PUBLISHED.gammaGamma.v]);
    expect(body.spendByCurrency).toEqual([body.spend]);
  });

  it('checks the fit on the holdout: the published bins, actual means and conditional expectations, week by week', async () => {
    const { status, body } = await model(`calibrationEnd=${CALIBRATION_END}&holdoutEnd=${HOLDOUT_END}`);
    expect(status).toBe(200);
    // The fit is the calibration period's, whatever the holdout.
    expect(round(body.params.r, 3)).toBe(PUBLISHED.bgNbd.r);
    const { holdoutEnd, weeks, byFrequency, cumulative } = body.holdout;
    expect({ holdoutEnd, weeks }).toEqual({ holdoutEnd: HOLDOUT_END, weeks: 39 });
    expect(byFrequency.map((row: { frequency: unknown }) => row.frequency)).toEqual([0, 1, 2, 3, 4, 5, 6, '7+']);
    expect(byFrequency.map((row: { customers: number }) => row.customers)).toEqual(PUBLISHED.holdout.customers);
    byFrequency.forEach((row: { actual: number; expected: number }, i: number) => {
      // the actual means exactly as published (to the 7 significant digits printed there)
      expect(row.actual).toBeCloseTo(PUBLISHED.holdout.actual[i], 6);
      expect(Math.abs(row.expected - PUBLISHED.holdout.expected[i])).toBeLessThan(0.01);
    });
    // Cumulative repeat purchases, weeks 1 to 78 counted from 1997-01-01.
    expect(cumulative.map((w: { week: number }) => w.week)).toEqual(PUBLISHED.cumulative.map((_, i) => i + 1));
    expect(cumulative.map((w: { actual: number }) => w.actual)).toEqual(PUBLISHED.cumulative);
    for (const [week, expected] of Object.entries(PUBLISHED.cumulativeExpected)) {
      expect(Math.abs(cumulative[Number(week) - 1].expected - expected)).toBeLessThan(0.01);
    }
  });
}
