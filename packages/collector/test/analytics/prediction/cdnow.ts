// The CDNOW sample (test/data/cdnow, its README has the source, licence and published figures) as
// the tests feed it: one Order Completed per row of cdnowElog.csv, by customer `cdnow-<sampleid>`,
// at noon UTC of the row's date, for `sales` US dollars, with an order id and a messageId made
// from the row's number (so a re-run sends the same events).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const CDNOW_DIR = join(__dirname, '../../data/cdnow');

export interface CdnowRow {
  row: number;
  customer: string;
  /** YYYY-MM-DD */
  date: string;
  sales: number;
}

/** The rows of cdnowElog.csv (masterid,sampleid,date,cds,sales), in file order. */
export function cdnowRows(): CdnowRow[] {
  const lines = readFileSync(join(CDNOW_DIR, 'cdnowElog.csv'), 'utf8').trim().split('\n');
  expect(lines[0]).toBe('masterid,sampleid,date,cds,sales');
  return lines.slice(1).map((line, i) => {
    const [, sampleId, date, , sales] = line.split(',');
    return { row: i + 1, customer: `cdnow-${sampleId}`, date: `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}`, sales: Number(sales) };
  });
}

/** The row as the Order Completed event a shop's backend would send. */
export function cdnowEvent(r: CdnowRow): Record<string, unknown> {
  return {
    type: 'track',
    event: 'Order Completed',
    messageId: `cdnow-order-${r.row}`,
    userId: r.customer,
    timestamp: `${r.date}T12:00:00.000Z`,
    properties: { order_id: `cdnow-${r.row}`, revenue: r.sales, currency: 'USD' },
  };
}

/** A CSV of the data folder as rows of named numbers (ID,x,t_x,T[,zbar] or ID,frequency,recency,T). */
export function cdnowSummary(file: string): Record<string, number>[] {
  const [header, ...lines] = readFileSync(join(CDNOW_DIR, file), 'utf8').trim().split('\n');
  const names = header.split(',').map((name) => name.trim());
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [names[i], Number(v)])));
}

/** The published figures (the data folder's README, "Published figures usable as checks"). */
export const PUBLISHED = {
  bgNbd: { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426, logLikelihood: -9582.4 },
  gammaGamma: { p: 6.25, q: 3.74, v: 15.44 },
  holdout: {
    customers: [1411, 439, 214, 100, 62, 38, 29, 64],
    actual: [0.2367116, 0.6970387, 1.392523, 1.56, 2.532258, 2.947368, 3.862069, 6.359375],
    expected: [0.2250893, 0.5231364, 1.044126, 1.520256, 2.163824, 2.653789, 3.503957, 6.157036],
  },
  cumulative: [
    0, 19, 42, 81, 119, 192, 261, 351, 428, 504, 610, 733, 828, 914, 1005, 1078, 1149, 1222, 1286, 1359, 1414, 1484, 1517, 1573, 1672, 1746, 1800,
    1840, 1885, 1973, 2032, 2069, 2132, 2192, 2239, 2290, 2342, 2395, 2457, 2507, 2563, 2612, 2671, 2718, 2803, 2864, 2923, 2968, 3038, 3104, 3153,
    3183, 3234, 3276, 3329, 3357, 3404, 3444, 3490, 3533, 3598, 3677, 3727, 3786, 3844, 3879, 3915, 3962, 3991, 4035, 4077, 4112, 4141, 4183, 4231,
    4279, 4311, 4339,
  ],
  /** Expected cumulative repeat purchases at weeks 20 to 25 (BG/NBD). */
  cumulativeExpected: { 20: 1312.458, 21: 1387.346, 22: 1460.392, 23: 1531.713, 24: 1601.418, 25: 1669.6 },
  firstTenSpends: [24.65, 18.91, 35.17, 35.17, 35.17, 71.46, 18.91, 35.17, 27.28, 35.17],
};

export const CALIBRATION_END = '1997-09-30';
export const HOLDOUT_END = '1998-06-30';
