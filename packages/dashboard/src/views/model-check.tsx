// Can the predictions be trusted for this shop? The purchase model fitted on the orders up to one
// day (calibrationEnd) and checked against what came after, up to another (holdoutEnd): the
// cohort's repeat purchases week by week against what the model expected (a chart), and the mean
// purchases per customer after calibrationEnd by how often they had bought before (a table).
// Everything is GET /v1/insights/purchase-model's answer for the two days.
import { getJson, type Session } from '../api';
import { DataTable, type Column } from '../components/data-table';
import { LineChart } from '../components/line-chart';
import { LoadStatus } from '../components/status';
import { useData } from '../components/use-data';
import { addDays, isDate, today } from '../dates';
import { formatCount } from '../format';
import { setParams } from '../route';

interface FrequencyRow {
  frequency: number | '7+';
  customers: number;
  actual: number | null;
  expected: number | null;
}
export interface PurchaseModel {
  calibrationEnd: string;
  customers: number;
  params: { r: number; alpha: number; a: number; b: number };
  holdout: null | { holdoutEnd: string; weeks: number; byFrequency: FrequencyRow[]; cumulative: { week: number; actual: number; expected: number }[] };
}

/** The two days of the check: from the address, else a holdout of the last 21 days up to yesterday. */
export function modelDays(params: URLSearchParams, zone: string): { calibrationEnd: string; holdoutEnd: string } {
  // Yesterday in the shop's zone is never after today in UTC, which the route checks against.
  const holdoutEnd = isDate(params.get('holdoutEnd')) ? params.get('holdoutEnd')! : addDays(today(zone), -1);
  const calibrationEnd = isDate(params.get('calibrationEnd')) ? params.get('calibrationEnd')! : addDays(holdoutEnd, -21);
  return { calibrationEnd, holdoutEnd };
}

const two = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const mean = (x: number | null) => (x === null ? '–' : two.format(x));

const COLUMNS: Column<FrequencyRow>[] = [
  { key: 'frequency', label: 'Repeat purchases before', value: (r) => (r.frequency === '7+' ? 7 : r.frequency), render: (r) => String(r.frequency) },
  { key: 'customers', label: 'Customers', value: (r) => r.customers, numeric: true, render: (r) => formatCount(r.customers) },
  { key: 'actual', label: 'Purchases after, each (actual)', value: (r) => r.actual, numeric: true, render: (r) => mean(r.actual) },
  { key: 'expected', label: 'Purchases after, each (expected)', value: (r) => r.expected, numeric: true, render: (r) => mean(r.expected) },
];

export function ModelCheck({ session, params }: { session: Session; params: URLSearchParams }) {
  const days = modelDays(params, session.timeZone);
  const path = `/v1/insights/purchase-model?calibrationEnd=${days.calibrationEnd}&holdoutEnd=${days.holdoutEnd}`;
  const loaded = useData(path, (signal) => getJson<PurchaseModel>(path, signal));
  const holdout = loaded.state === 'done' ? loaded.data.holdout : undefined;
  return (
    <section aria-labelledby="model-check" data-testid="model-check">
      <h2 id="model-check">How well the predictions held</h2>
      <p class="intro">
        The purchase model fitted on the orders up to the first day, and what it expected of the days after, up to the second, against what the
        customers did.
      </p>
      <form class="inline-form" onSubmit={(e) => e.preventDefault()}>
        <label>
          <span>Fitted up to</span>
          <input type="date" value={days.calibrationEnd} max={days.holdoutEnd} onChange={(e) => setParams({ calibrationEnd: (e.target as HTMLInputElement).value })} />
        </label>
        <label>
          <span>Checked up to</span>
          <input type="date" value={days.holdoutEnd} min={days.calibrationEnd} onChange={(e) => setParams({ holdoutEnd: (e.target as HTMLInputElement).value })} />
        </label>
      </form>
      <LoadStatus loaded={loaded} />
      {holdout && loaded.data && (
        <>
          <p data-testid="model-customers" data-value={loaded.data.customers}>
            Fitted on {formatCount(loaded.data.customers)} customers who ordered by {loaded.data.calibrationEnd}; checked over {two.format(holdout.weeks)} weeks
            up to {holdout.holdoutEnd}.
          </p>
          <LineChart
            title="Repeat purchases, cumulative, per week"
            labels={holdout.cumulative.map((w) => `week ${w.week}`)}
            series={[
              { name: 'actual', values: holdout.cumulative.map((w) => w.actual) },
              { name: 'expected', values: holdout.cumulative.map((w) => w.expected), dashed: true },
            ]}
            format={(v) => two.format(v)}
          />
          <DataTable caption="By repeat purchases before" columns={COLUMNS} rows={holdout.byFrequency} testId="model-frequency" />
        </>
      )}
    </section>
  );
}
