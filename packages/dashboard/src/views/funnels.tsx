// Funnels: steps chosen from the event names and page paths the shop has stored (the steps
// export), a unit, a window and a breakdown; the drop-off chart with the counts written on it;
// funnels saved by name. The figures are the funnel export's for the same query.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, exportUrl, getExport, getJson, send, type Session } from '../api';
import { DataTable, type Column } from '../components/data-table';
import { FunnelChart, type FunnelStep } from '../components/funnel-chart';
import { rangeOf, RangePicker } from '../components/range-picker';
import { LoadStatus } from '../components/status';
import { useData } from '../components/use-data';
import { apiRange } from '../dates';
import { formatCount, formatRate } from '../format';
import { setParams } from '../route';

export const SHOP_FUNNEL = ['Product Viewed', 'Product Added', 'Checkout Started', 'Order Completed'];
const UNITS = ['session', 'visitor', 'customer'];
const BREAKDOWNS: [string, string][] = [
  ['', 'No breakdown'],
  ['device', 'Device'],
  ['channel', 'Channel'],
  ['utm_source', 'UTM source'],
  ['returning', 'New or returning'],
  ['browser', 'Browser'],
  ['segment', 'RFM segment'],
];

interface Segment {
  key: string;
  value: string;
  steps: FunnelStep[];
}
interface FunnelResult {
  steps: FunnelStep[];
  segments?: Segment[];
  warnings: string[];
}
interface StepOption {
  step: string;
  kind: 'event' | 'page';
  events: number;
}
interface Saved {
  id: number;
  name: string;
  steps: string[];
  unit?: string;
  window?: string;
  by?: string;
}

/** The funnel a view's parameters describe. */
function funnelOf(params: URLSearchParams) {
  const steps = (params.get('steps') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return { steps: steps.length > 0 ? steps : SHOP_FUNNEL, unit: params.get('unit') ?? 'session', window: params.get('window') ?? '', by: params.get('by') ?? '' };
}

export function FunnelsView({ session, params }: { session: Session; params: URLSearchParams }) {
  const range = rangeOf(params, session.timeZone);
  const funnel = funnelOf(params);
  const query = { ...apiRange(range), steps: funnel.steps.join(','), unit: funnel.unit, window: funnel.window || undefined, by: funnel.by || undefined };
  const loaded = useData(JSON.stringify(query), (signal) => getExport<FunnelResult>('funnel', query, signal));
  const options = useData(`${range.from}`, (signal) => getExport<StepOption[]>('steps', {}, signal));
  const [draft, setDraft] = useState(funnel.steps);
  useEffect(() => setDraft(funnel.steps), [funnel.steps.join(',')]);
  const [saved, setSaved] = useState<Saved[]>([]);
  const [message, setMessage] = useState('');
  const [name, setName] = useState('');
  const reloadSaved = () => getJson<{ funnels: Saved[] }>('/v1/funnels').then((r) => setSaved(r.funnels), () => undefined);
  useEffect(() => void reloadSaved(), []);

  const apply = (changes: Record<string, string | undefined>) => setParams(changes);
  const move = (i: number, by: number) => {
    const next = [...draft];
    [next[i], next[i + by]] = [next[i + by], next[i]];
    setDraft(next);
  };
  const result = loaded.data;
  const segmentColumns: Column<Segment>[] = [
    { key: 'value', label: BREAKDOWNS.find(([k]) => k === funnel.by)?.[1] ?? 'Segment', value: (s) => s.value },
    ...funnel.steps.map((step, i) => ({ key: `step-${i}`, label: `${i + 1}. ${step}`, value: (s: Segment) => s.steps[i]?.units ?? 0, numeric: true, render: (s: Segment) => formatCount(s.steps[i]?.units ?? 0) })),
    {
      key: 'conversion',
      label: 'Conversion',
      value: (s) => s.steps[s.steps.length - 1]?.conversionFromStart ?? null,
      numeric: true,
      render: (s) => formatRate(s.steps[s.steps.length - 1]?.conversionFromStart ?? null),
    },
  ];

  return (
    <>
      <h1>Funnels</h1>
      <RangePicker range={range} zone={session.timeZone} />
      <form
        class="funnel-form"
        onSubmit={(e) => {
          e.preventDefault();
          const steps = draft.map((s) => s.trim()).filter(Boolean);
          apply({ steps: steps.join(',') });
        }}
      >
        <fieldset>
          <legend>Steps</legend>
          <datalist id="step-options">
            {options.data?.map((o) => (
              <option value={o.step}>{`${o.kind === 'page' ? 'page view' : 'event'}, ${o.events} in all`}</option>
            ))}
          </datalist>
          <ol class="steps">
            {draft.map((step, i) => (
              <li>
                <label>
                  <span class="visually-hidden">Step {i + 1}</span>
                  <input list="step-options" value={step} required onInput={(e) => setDraft(draft.map((s, j) => (j === i ? (e.target as HTMLInputElement).value : s)))} />
                </label>
                <button type="button" class="icon" disabled={i === 0} onClick={() => move(i, -1)} aria-label={`Move step ${i + 1} up`}>
                  ↑
                </button>
                <button type="button" class="icon" disabled={i === draft.length - 1} onClick={() => move(i, 1)} aria-label={`Move step ${i + 1} down`}>
                  ↓
                </button>
                <button type="button" class="icon" disabled={draft.length === 1} onClick={() => setDraft(draft.filter((_, j) => j !== i))} aria-label={`Remove step ${i + 1}`}>
                  ×
                </button>
              </li>
            ))}
          </ol>
          <p class="hint">An event name, or page:/path for page views whose path starts so. Suggestions: what the shop has stored.</p>
          <div class="actions">
            <button type="button" onClick={() => setDraft([...draft, ''])} disabled={draft.length >= 20}>
              Add a step
            </button>
            <button type="submit" class="primary">
              Show funnel
            </button>
          </div>
        </fieldset>
        <fieldset class="options">
          <legend>Counting</legend>
          <label>
            <span>Unit</span>
            <select value={funnel.unit} onChange={(e) => apply({ unit: (e.target as HTMLSelectElement).value })}>
              {UNITS.map((u) => (
                <option value={u}>{u}</option>
              ))}
            </select>
          </label>
          <label>
            <span>Window</span>
            <input
              value={funnel.window}
              placeholder={funnel.unit === 'session' ? 'the session' : '7d'}
              pattern="[0-9]+(ms|s|m|h|d)"
              size={8}
              onChange={(e) => apply({ window: (e.target as HTMLInputElement).value.trim() })}
            />
          </label>
          <label>
            <span>Breakdown</span>
            <select value={funnel.by} onChange={(e) => apply({ by: (e.target as HTMLSelectElement).value })}>
              {BREAKDOWNS.map(([k, label]) => (
                <option value={k}>{label}</option>
              ))}
            </select>
          </label>
        </fieldset>
      </form>
      <LoadStatus loaded={loaded} />
      {result && (
        <section class="funnel-result" aria-label="Drop-off">
          <div class="table-head">
            <h2>Drop-off</h2>
            <a class="button" href={exportUrl('funnel', { ...query, format: 'csv' })} download="spur-funnel.csv">
              Download CSV<span class="visually-hidden"> of the funnel</span>
            </a>
          </div>
          {result.warnings.map((w) => (
            <p class="warning">{w}</p>
          ))}
          <FunnelChart steps={result.steps} unit={funnel.unit} />
          {result.segments && <DataTable caption="By segment" columns={segmentColumns} rows={result.segments} testId="funnel-segments" />}
        </section>
      )}
      <section class="saved" aria-label="Saved funnels">
        <h2>Saved funnels</h2>
        {saved.length > 0 ? (
          <ul class="saved-list">
            {saved.map((f) => (
              <li>
                <button type="button" class="link" onClick={() => apply({ steps: f.steps.join(','), unit: f.unit, window: f.window, by: f.by })}>
                  {f.name}
                </button>
                <span class="muted"> {f.steps.length} steps</span>
                <button
                  type="button"
                  class="icon"
                  aria-label={`Delete the saved funnel ${f.name}`}
                  onClick={() => send('DELETE', `/v1/funnels/${f.id}`).then(reloadSaved, (err: Error) => setMessage(err.message))}
                >
                  ×
                </button>
              </li>
            ))}
          </ul>
        ) : (
          <p class="empty">None yet.</p>
        )}
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            send('POST', '/v1/funnels', { name, steps: funnel.steps, unit: funnel.unit, window: funnel.window || undefined, by: funnel.by || undefined }).then(
              () => {
                setMessage(`Saved “${name}”.`);
                setName('');
                void reloadSaved();
              },
              (err: ApiError) => setMessage(`Not saved: ${err.message}`),
            );
          }}
        >
          <label>
            <span>Save this funnel as</span>
            <input value={name} required maxLength={100} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
          </label>
          <button type="submit">Save</button>
        </form>
        <p role="status" class="status">
          {message}
        </p>
      </section>
    </>
  );
}
