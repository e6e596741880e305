// Customers: the RFM segments as of a day (the segments export: the R x FM grid and the figures per
// segment), the customers of the segment chosen with their predicted value and P(alive) (the
// customers export with that segment), and how well the purchase model's predictions held
// (model-check.tsx). The segment and the day live in the address, like a view's range.
import { exportUrl, getExport, type Session } from '../api';
import { DataTable, type Column } from '../components/data-table';
import { SegmentGrid, segmentClass, type SegmentCell } from '../components/segment-grid';
import { LoadStatus } from '../components/status';
import { useData } from '../components/use-data';
import { isDate, shopTime } from '../dates';
import { formatCount, formatMoney, formatRate } from '../format';
import { href, navigate, setParams } from '../route';
import { ModelCheck } from './model-check';

interface SegmentFigures {
  segment: string;
  customers: number;
  share: number;
  orders: number;
  revenue: { currency: string | null; amount: number }[];
}
interface Segments {
  asOf: string;
  customers: number;
  segments: SegmentFigures[];
  grid: SegmentCell[];
}
/** The fields of the customers export the list shows. */
export interface Customer {
  customerId: string;
  identified: boolean;
  orders: number;
  currencies: { currency: string | null; orders: number; revenue: number }[];
  lastOrderAt: string | null;
  segment: string | null;
  pAlive: number | null;
  expectedOrders365d: number | null;
  expectedValue365d: number | null;
  expectedValueCurrency: string | null;
}

const two = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const money = (amount: number | null, currency: string | null) => (amount === null ? '–' : formatMoney(amount, currency));

/** Revenue per currency, side by side (never added across currencies). */
export const perCurrency = (list: { currency: string | null; amount: number }[]) => (list.length === 0 ? '–' : list.map((r) => formatMoney(r.amount, r.currency)).join(' + '));

function segmentColumns(): Column<SegmentFigures>[] {
  return [
    { key: 'segment', label: 'Segment', value: (s) => s.segment, render: (s) => <span class={`swatch ${segmentClass(s.segment)}`}>{s.segment}</span> },
    { key: 'customers', label: 'Customers', value: (s) => s.customers, numeric: true, render: (s) => formatCount(s.customers) },
    { key: 'share', label: 'Share', value: (s) => s.share, numeric: true, render: (s) => formatRate(s.share) },
    { key: 'orders', label: 'Orders', value: (s) => s.orders, numeric: true, render: (s) => formatCount(s.orders) },
    { key: 'revenue', label: 'Revenue', value: (s) => s.revenue[0]?.amount ?? 0, numeric: true, render: (s) => perCurrency(s.revenue) },
  ];
}

function customerColumns(zone: string, asOf: string | undefined): Column<Customer>[] {
  const to = (c: Customer) => href('customer', { id: c.customerId, asOf });
  return [
    {
      key: 'customerId',
      label: 'Customer',
      value: (c) => c.customerId,
      render: (c) => (
        <a
          href={to(c)}
          onClick={(e) => {
            if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
            e.preventDefault();
            navigate(to(c));
          }}
        >
          {c.customerId}
          {!c.identified && <span class="muted"> (guest)</span>}
        </a>
      ),
    },
    { key: 'orders', label: 'Orders', value: (c) => c.orders, numeric: true, render: (c) => formatCount(c.orders) },
    {
      key: 'revenue',
      label: 'Revenue',
      value: (c) => c.currencies[0]?.revenue ?? 0,
      numeric: true,
      render: (c) => perCurrency(c.currencies.map((x) => ({ currency: x.currency, amount: x.revenue }))),
    },
    { key: 'lastOrderAt', label: 'Last order', value: (c) => c.lastOrderAt, render: (c) => (c.lastOrderAt ? shopTime(c.lastOrderAt, zone, false) : '–') },
    { key: 'pAlive', label: 'P(alive)', value: (c) => c.pAlive, numeric: true, render: (c) => formatRate(c.pAlive) },
    { key: 'expectedOrders365d', label: 'Orders expected, 365 days', value: (c) => c.expectedOrders365d, numeric: true, render: (c) => (c.expectedOrders365d === null ? '–' : two.format(c.expectedOrders365d)) },
    { key: 'expectedValue365d', label: 'Value expected, 365 days', value: (c) => c.expectedValue365d, numeric: true, render: (c) => money(c.expectedValue365d, c.expectedValueCurrency) },
  ];
}

export function CustomersView({ session, params }: { session: Session; params: URLSearchParams }) {
  const zone = session.timeZone;
  const asOf = isDate(params.get('asOf')) ? params.get('asOf')! : undefined;
  const query = { asOf };
  const loaded = useData(JSON.stringify(query), (signal) => getExport<Segments>('segments', query, signal));
  const chosen = params.get('segment') ?? undefined;
  const listQuery = { asOf, segment: chosen };
  const list = useData(JSON.stringify(listQuery), (signal) => (chosen ? getExport<Customer[]>('customers', listQuery, signal) : Promise.resolve([])));
  const data = loaded.data;
  return (
    <>
      <h1>Customers</h1>
      <fieldset class="range">
        <legend>As of ({zone})</legend>
        <label>
          <span>Day</span>
          <input type="date" value={asOf ?? ''} onChange={(e) => setParams({ asOf: (e.target as HTMLInputElement).value })} />
        </label>
        <p class="compare">{asOf ? `At the end of ${asOf}.` : 'Now. Choose a day to see the segments as they were then.'}</p>
      </fieldset>
      <LoadStatus loaded={loaded} />
      {data && (
        <>
          <p data-testid="segment-customers" data-value={data.customers}>
            {formatCount(data.customers)} customers who ordered, in ten segments by the recency, frequency and monetary value of their orders. Choose a
            segment to see its customers.
          </p>
          <SegmentGrid grid={data.grid} chosen={chosen} choose={(segment) => setParams({ segment })} />
          <DataTable
            caption="Segments"
            columns={segmentColumns()}
            rows={data.segments}
            csv={exportUrl('segments', { ...query, format: 'csv' })}
            csvName="spur-segments.csv"
            testId="segments-table"
          />
        </>
      )}
      {chosen && (
        <>
          <LoadStatus loaded={list} />
          {/* Not the list of the segment chosen before while this one loads: its rows would pass for this one's. */}
          {list.data && list.state === 'done' && (
            <DataTable
              caption={`${chosen}: customers`}
              columns={customerColumns(zone, asOf)}
              rows={list.data}
              csv={exportUrl('customers', { ...listQuery, format: 'csv' })}
              csvName="spur-customers.csv"
              sort={{ key: 'expectedValue365d', descending: true }}
              empty="No customer is in this segment."
              testId="segment-list"
            />
          )}
        </>
      )}
      <ModelCheck session={session} params={params} />
    </>
  );
}
