// Overview: the period's figures next to the previous period's, a time series and its table. Every
// figure is the overview export's (GET /v1/exports/overview) for the same dates.
import { useState } from 'preact/hooks';
import { exportUrl, getExport, type Session } from '../api';
import { DataTable, type Column } from '../components/data-table';
import { LineChart } from '../components/line-chart';
import { rangeOf, RangePicker } from '../components/range-picker';
import { LoadStatus } from '../components/status';
import { useData } from '../components/use-data';
import { apiRange, daysBetween, previousRange, type DayRange } from '../dates';
import { formatChange, formatCount, formatMoney, formatRate } from '../format';

interface Revenue {
  currency: string | null;
  orders: number;
  revenue: number;
}
interface Point {
  start: string;
  label: string;
  visitors: number;
  sessions: number;
  orders: number;
  revenue: Record<string, number>;
}
export interface Overview {
  totals: { visitors: number; sessions: number; orders: number; revenue: Revenue[]; conversionRate: number | null; abandonedCarts: number; recoveredCarts: number };
  series: Point[];
  interval: 'day' | 'hour';
}

/** Hours for a range of one or two days, days otherwise. */
export const intervalOf = (range: DayRange) => (daysBetween(range.from, range.to) < 2 ? 'hour' : 'day');

function Change({ now, before }: { now: number | null; before: number | null | undefined }) {
  if (before === undefined) return <p class="change">comparing…</p>;
  const change = formatChange(now, before);
  if (!change) return <p class="change">no earlier figure</p>;
  return (
    <p class={`change ${change.direction}`}>
      {change.text} <span class="muted">vs previous period</span>
    </p>
  );
}

function Stat(props: { id: string; label: string; value: number | null; shown: string; before?: number | null; note?: string }) {
  return (
    <div class="stat" data-testid={`stat-${props.id}`} data-value={props.value ?? ''} data-before={props.before === undefined ? undefined : (props.before ?? '')}>
      <h3>{props.label}</h3>
      <p class="value">{props.shown}</p>
      {props.note && <p class="note">{props.note}</p>}
      <Change now={props.value} before={props.before} />
    </div>
  );
}

export function OverviewView({ session, params }: { session: Session; params: URLSearchParams }) {
  const zone = session.timeZone;
  const range = rangeOf(params, zone);
  const previous = previousRange(range);
  const interval = intervalOf(range);
  const query = { ...apiRange(range), interval };
  // The period's figures first, the previous period's after: asked for in that order, the collector
  // answers the first as soon as it is computed, and the view shows it without waiting for the second.
  const loaded = useData(JSON.stringify(query), (signal) => getExport<Overview>('overview', query, signal));
  const earlier = useData(JSON.stringify(previous) + interval, (signal) => getExport<Overview>('overview', { ...apiRange(previous), interval }, signal));
  const [metric, setMetric] = useState('visitors');
  const data = loaded.state === 'loading' ? undefined : loaded.data;
  const beforeData = earlier.state === 'loading' ? undefined : earlier.data;
  const t = data?.totals;
  const b = beforeData?.totals;
  const currencies = t ? t.revenue.map((r) => r.currency) : [];
  const metrics = [
    { id: 'visitors', label: 'Visitors', of: (p: Point) => p.visitors, format: formatCount },
    { id: 'sessions', label: 'Sessions', of: (p: Point) => p.sessions, format: formatCount },
    { id: 'orders', label: 'Orders', of: (p: Point) => p.orders, format: formatCount },
    ...currencies.map((c) => ({ id: `revenue-${c}`, label: `Revenue${c ? ` (${c})` : ''}`, of: (p: Point) => p.revenue[String(c)] ?? 0, format: (v: number) => formatMoney(v, c) })),
  ];
  const chosen = metrics.find((m) => m.id === metric) ?? metrics[0];
  const columns: Column<Point>[] = [
    { key: 'label', label: interval === 'day' ? 'Day' : 'Hour', value: (p) => p.label.replace('T', ' ') },
    { key: 'visitors', label: 'Visitors', value: (p) => p.visitors, numeric: true, render: (p) => formatCount(p.visitors) },
    { key: 'sessions', label: 'Sessions', value: (p) => p.sessions, numeric: true, render: (p) => formatCount(p.sessions) },
    { key: 'orders', label: 'Orders', value: (p) => p.orders, numeric: true, render: (p) => formatCount(p.orders) },
    ...currencies.map((c) => ({
      key: `revenue-${c}`,
      label: `Revenue${c ? ` ${c}` : ''}`,
      value: (p: Point) => p.revenue[String(c)] ?? 0,
      numeric: true,
      render: (p: Point) => formatMoney(p.revenue[String(c)] ?? 0, c),
    })),
  ];
  return (
    <>
      <h1>Overview</h1>
      <RangePicker range={range} zone={zone} compare />
      <LoadStatus loaded={loaded} />
      {t && data && (
        <>
          <section class="stats" aria-label="Figures of the period">
            <Stat id="visitors" label="Visitors" value={t.visitors} shown={formatCount(t.visitors)} before={b?.visitors} />
            <Stat id="sessions" label="Sessions" value={t.sessions} shown={formatCount(t.sessions)} before={b?.sessions} />
            <Stat id="orders" label="Orders" value={t.orders} shown={formatCount(t.orders)} before={b?.orders} />
            <Stat id="conversion" label="Conversion" value={t.conversionRate} shown={formatRate(t.conversionRate)} before={b?.conversionRate} note="sessions with an order" />
            <Stat id="abandoned" label="Abandoned carts" value={t.abandonedCarts} shown={formatCount(t.abandonedCarts)} before={b?.abandonedCarts} note={`${formatCount(t.recoveredCarts)} recovered`} />
            {t.revenue.length === 0 && <Stat id="revenue" label="Revenue" value={0} shown="–" before={null} />}
            {t.revenue.map((r) => (
              <Stat
                id={`revenue-${r.currency}`}
                label={`Revenue${r.currency ? ` (${r.currency})` : ''}`}
                value={r.revenue}
                shown={formatMoney(r.revenue, r.currency)}
                before={b && (b.revenue.find((x) => x.currency === r.currency)?.revenue ?? 0)}
                note={`${formatCount(r.orders)} orders`}
              />
            ))}
          </section>
          <section class="series" aria-label="Over time">
            <label class="inline">
              <span>Chart</span>
              <select value={chosen.id} onChange={(e) => setMetric((e.target as HTMLSelectElement).value)}>
                {metrics.map((m) => (
                  <option value={m.id}>{m.label}</option>
                ))}
              </select>
            </label>
            <LineChart
              title={`${chosen.label} per ${interval}`}
              labels={data.series.map((p) => p.label.replace('T', ' '))}
              series={[
                { name: 'this period', values: data.series.map(chosen.of) },
                ...(beforeData ? [{ name: 'previous period', values: beforeData.series.map(chosen.of), dashed: true }] : []),
              ]}
              format={chosen.format}
            />
          </section>
          <DataTable caption={`Per ${interval}`} columns={columns} rows={data.series} csv={exportUrl('overview', { ...query, format: 'csv' })} csvName="spur-overview.csv" testId="overview-table" />
        </>
      )}
    </>
  );
}
