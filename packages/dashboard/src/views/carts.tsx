// Abandoned carts of the period: value, items, who, where it was left (device, channel, last page,
// checkout step), recovered or not, the exit survey's answer (the abandoned-carts export); and why
// carts are left, the answers weighted by lost cart value (the cart-reasons export).
import { exportUrl, getExport, type Session } from '../api';
import { DataTable, type Column } from '../components/data-table';
import { rangeOf, RangePicker } from '../components/range-picker';
import { ReasonsChart, type ReasonRow } from '../components/reasons-chart';
import { LoadStatus } from '../components/status';
import { useData } from '../components/use-data';
import { apiRange, shopTime } from '../dates';
import { formatCount, formatMoney } from '../format';

interface Item {
  product_id: string;
  name: string | null;
  quantity: number;
  price: number | null;
}
interface Cart {
  profileId: string;
  customerId: string | null;
  anonymousId: string | null;
  items: Item[];
  value: number;
  currency: string | null;
  lastActivityAt: string;
  abandonedAt: string;
  recovered: boolean;
  recoveredOrderId: string | null;
  device: string;
  channel: string;
  utmSource: string;
  lastPage: string | null;
  checkoutStep: string;
  surveyAnswer: string | null;
  surveyText: string | null;
}

export function CartsView({ session, params }: { session: Session; params: URLSearchParams }) {
  const zone = session.timeZone;
  const range = rangeOf(params, zone);
  const query = apiRange(range);
  const loaded = useData(JSON.stringify(query), (signal) => getExport<Cart[]>('abandoned-carts', query, signal));
  const reasons = useData(`reasons ${JSON.stringify(query)}`, (signal) => getExport<ReasonRow[]>('cart-reasons', query, signal));
  const carts = loaded.data ?? [];
  const recovered = carts.filter((c) => c.recovered).length;
  const byCurrency = new Map<string | null, number>();
  for (const c of carts) byCurrency.set(c.currency, (byCurrency.get(c.currency) ?? 0) + c.value);
  const columns: Column<Cart>[] = [
    { key: 'abandonedAt', label: 'Abandoned', value: (c) => c.abandonedAt, render: (c) => shopTime(c.abandonedAt, zone, false) },
    { key: 'who', label: 'Customer', value: (c) => c.customerId ?? `guest ${c.profileId}`, render: (c) => (c.customerId ? c.customerId : <span class="muted">guest</span>) },
    {
      key: 'items',
      label: 'Items',
      value: (c) => c.items.reduce((n, i) => n + i.quantity, 0),
      render: (c) => c.items.map((i) => `${i.quantity} × ${i.name ?? i.product_id}`).join(', '),
    },
    { key: 'value', label: 'Value', value: (c) => c.value, numeric: true, render: (c) => formatMoney(c.value, c.currency) },
    { key: 'device', label: 'Device', value: (c) => c.device },
    { key: 'channel', label: 'Channel', value: (c) => c.channel },
    { key: 'lastPage', label: 'Last page', value: (c) => c.lastPage },
    { key: 'checkoutStep', label: 'Reached', value: (c) => c.checkoutStep, render: (c) => c.checkoutStep.replace(/_/g, ' ') },
    {
      key: 'surveyAnswer',
      label: 'Reason',
      value: (c) => c.surveyAnswer,
      render: (c) =>
        c.surveyAnswer === null ? (
          <span class="muted">–</span>
        ) : (
          <>
            {c.surveyAnswer.replace(/_/g, ' ')}
            {c.surveyText !== null && <q class="survey-text">{c.surveyText}</q>}
          </>
        ),
    },
    {
      key: 'recovered',
      label: 'Recovered',
      value: (c) => (c.recovered ? 1 : 0),
      render: (c) => (c.recovered ? `yes${c.recoveredOrderId ? `, order ${c.recoveredOrderId}` : ''}` : 'no'),
    },
  ];
  return (
    <>
      <h1>Abandoned carts</h1>
      <RangePicker range={range} zone={zone} />
      <LoadStatus loaded={loaded} />
      {loaded.data && (
        <>
          <section class="stats" aria-label="Carts of the period">
            <div class="stat" data-testid="stat-carts" data-value={carts.length}>
              <h3>Abandoned</h3>
              <p class="value">{formatCount(carts.length)}</p>
            </div>
            <div class="stat" data-testid="stat-recovered" data-value={recovered}>
              <h3>Recovered</h3>
              <p class="value">{formatCount(recovered)}</p>
            </div>
            {[...byCurrency].map(([currency, value]) => (
              <div class="stat" data-testid={`stat-cart-value-${currency}`} data-value={Math.round(value * 100) / 100}>
                <h3>Value left{currency ? ` (${currency})` : ''}</h3>
                <p class="value">{formatMoney(value, currency)}</p>
              </div>
            ))}
          </section>
          <section aria-labelledby="reasons-heading" data-testid="cart-reasons">
            <div class="table-head">
              <h2 id="reasons-heading">Why carts are left</h2>
              <a class="button" href={exportUrl('cart-reasons', { ...query, format: 'csv' })} download="spur-cart-reasons.csv">
                Download CSV<span class="visually-hidden"> of the reasons</span>
              </a>
            </div>
            <LoadStatus loaded={reasons} />
            {reasons.data &&
              (reasons.data.length === 0 ? (
                <p class="empty">No exit survey was shown in this period.</p>
              ) : (
                <ReasonsChart rows={reasons.data} />
              ))}
          </section>
          <DataTable
            caption="Carts"
            columns={columns}
            rows={carts}
            csv={exportUrl('abandoned-carts', { ...query, format: 'csv' })}
            csvName="spur-abandoned-carts.csv"
            sort={{ key: 'abandonedAt', descending: true }}
            testId="carts-table"
          />
        </>
      )}
    </>
  );
}
