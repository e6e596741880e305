// One customer: who they are (every customer id and anonymous id stitched together), their figures,
// RFM segment and purchase prediction, and their whole history across devices and channels, all
// from the history export (GET /v1/customers/:id/history). For admins, the data subject tools: the
// access document and erasure.
import { base, exportUrl, getJson, type Session } from '../api';
import { DataTable, type Column } from '../components/data-table';
import { ErasureForm } from '../components/erasure';
import { segmentClass } from '../components/segment-grid';
import { LoadStatus } from '../components/status';
import { useData } from '../components/use-data';
import { isDate, shopTime } from '../dates';
import { formatCount, formatMoney, formatRate } from '../format';
import { perCurrency, type Customer } from './customers';

interface Summary extends Customer {
  firstSeen: string;
  lastSeen: string;
  events: number;
  sessions: number;
  devices: number;
  firstOrderAt: string | null;
  channels: string[];
  deviceTypes: string[];
  recency: number | null;
  frequency: number | null;
  monetary: number | null;
  previousSegment: string | null;
  segmentSince: string | null;
  expectedOrders30d: number | null;
  expectedOrders90d: number | null;
  cartsAbandoned: number;
}
interface StoredEvent {
  messageId: string;
  type: string;
  event?: string;
  name?: string;
  timestamp: string;
  anonymousId?: string;
  userId?: string;
  properties?: Record<string, unknown>;
  context?: { page?: { path?: string }; device?: { type?: string }; channel?: string };
}
interface History {
  customerId: string;
  asOf: string;
  summary: Summary | null;
  customerIds: string[];
  anonymousIds: string[];
  eventCount: number;
  events: StoredEvent[];
}

const two = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const orDash = (x: number | null, f: (x: number) => string) => (x === null ? '–' : f(x));

function Fact({ id, label, value, shown, text }: { id: string; label: string; value: string | number | null; shown: string; text?: boolean }) {
  return (
    <div class="stat" data-testid={`customer-${id}`} data-value={value ?? ''}>
      <h3>{label}</h3>
      <p class={text ? 'value text' : 'value'}>{shown}</p>
    </div>
  );
}

function eventColumns(zone: string): Column<StoredEvent>[] {
  return [
    { key: 'timestamp', label: 'Time', value: (e) => e.timestamp, render: (e) => shopTime(e.timestamp, zone) },
    { key: 'event', label: 'Event', value: (e) => e.event ?? (e.type === 'page' ? `page ${e.name ?? ''}`.trim() : e.type) },
    { key: 'page', label: 'Page', value: (e) => e.context?.page?.path ?? null },
    { key: 'device', label: 'Device', value: (e) => e.context?.device?.type ?? null },
    { key: 'who', label: 'Id', value: (e) => e.userId ?? e.anonymousId ?? null },
  ];
}

export function CustomerView({ session, params }: { session: Session; params: URLSearchParams }) {
  const zone = session.timeZone;
  const id = params.get('id') ?? '';
  const asOf = isDate(params.get('asOf')) ? params.get('asOf')! : undefined;
  const path = `/v1/customers/${encodeURIComponent(id)}/history${asOf ? `?asOf=${asOf}` : ''}`;
  const loaded = useData(path, (signal) => (id ? getJson<History>(path, signal) : Promise.reject(new Error('no customer named: choose one in Customers'))));
  const h = loaded.data;
  const s = h?.summary;
  return (
    <>
      <h1>Customer {id}</h1>
      <LoadStatus loaded={loaded} />
      {h && (
        <>
          <section aria-label="Who" class="intro">
            <p>
              Customer ids: <span data-testid="customer-ids">{h.customerIds.join(', ') || '–'}</span>. Anonymous ids (browsers and devices):{' '}
              <span data-testid="anonymous-ids">{h.anonymousIds.join(', ') || '–'}</span>.
            </p>
            {s && (
              <p>
                Seen from {shopTime(s.firstSeen, zone, false)} to {shopTime(s.lastSeen, zone, false)}: {formatCount(s.events)} events in {formatCount(s.sessions)}{' '}
                sessions, on {s.deviceTypes.join(', ') || 'unknown devices'}, through {s.channels.join(', ') || 'no channel'}.
              </p>
            )}
          </section>
          {s && (
            <section class="stats" aria-label="Figures">
              <Fact id="orders" label="Orders" value={s.orders} shown={formatCount(s.orders)} />
              <Fact id="revenue" label="Revenue" value={s.currencies[0]?.revenue ?? 0} shown={perCurrency(s.currencies.map((c) => ({ currency: c.currency, amount: c.revenue })))} />
              <div class="stat" data-testid="customer-segment" data-value={s.segment ?? ''}>
                <h3>Segment</h3>
                <p class="value text">{s.segment ? <span class={`swatch ${segmentClass(s.segment)}`}>{s.segment}</span> : 'no order yet'}</p>
              </div>
              <Fact id="previous-segment" label="Before" value={s.previousSegment} shown={s.segmentSince ? `${s.previousSegment ?? 'none'}, until ${s.segmentSince}` : '–'} text />
              <Fact id="rfm" label="R, F, M" value={s.recency === null ? null : `${s.recency}${s.frequency}${s.monetary}`} shown={s.recency === null ? '–' : `${s.recency} · ${s.frequency} · ${s.monetary}`} />
              <Fact id="p-alive" label="P(alive)" value={s.pAlive} shown={formatRate(s.pAlive)} />
              <Fact id="expected-orders" label="Orders expected, 365 days" value={s.expectedOrders365d} shown={orDash(s.expectedOrders365d, (x) => two.format(x))} />
              <Fact id="expected-value" label="Value expected, 365 days" value={s.expectedValue365d} shown={orDash(s.expectedValue365d, (x) => formatMoney(x, s.expectedValueCurrency))} />
            </section>
          )}
          <DataTable
            caption={`History: ${formatCount(h.eventCount)} events`}
            columns={eventColumns(zone)}
            rows={h.events}
            csv={exportUrl('history', { customer: id, asOf, format: 'csv' })}
            csvName={`spur-history-${id}.csv`}
            empty="No events."
            testId="history-table"
          />
          {session.role === 'admin' && (
            <section aria-label="Data subject requests">
              <h2>Data subject requests</h2>
              <div class="actions">
                <a class="button" href={`${base}/v1/privacy/subjects/${encodeURIComponent(id)}`} download={`spur-access-${id}.json`}>
                  Download everything stored (JSON)
                </a>
              </div>
              <ErasureForm id={id} />
            </section>
          )}
        </>
      )}
    </>
  );
}
