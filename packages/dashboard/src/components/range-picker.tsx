// The date range of a view: a preset or two dates, days of the shop's time zone. It lives in the
// address (?from=&to=), so the range stays when switching views and a link carries it.
import { useRef } from 'preact/hooks';
import { daysBetween, isDate, last30, PRESETS, previousRange, today, type DayRange } from '../dates';
import { setParams } from '../route';

/** The range a view's parameters name, or the last 30 days. */
export function rangeOf(params: URLSearchParams, zone: string): DayRange {
  const from = params.get('from');
  const to = params.get('to');
  if (isDate(from) && isDate(to) && from <= to) return { from, to };
  return last30(zone);
}

export function RangePicker({ range, zone, compare = false }: { range: DayRange; zone: string; compare?: boolean }) {
  const now = today(zone);
  const preset = PRESETS.find((p) => {
    const r = p.range(now);
    return r.from === range.from && r.to === range.to;
  });
  const fromInput = useRef<HTMLInputElement>(null);
  const set = (r: DayRange) => setParams({ from: r.from, to: r.to });
  const previous = previousRange(range);
  return (
    <fieldset class="range">
      <legend>Dates ({zone})</legend>
      <label>
        <span>Period</span>
        <select
          value={preset?.id ?? 'custom'}
          onChange={(e) => {
            const p = PRESETS.find((x) => x.id === (e.target as HTMLSelectElement).value);
            if (p) set(p.range(now));
            else fromInput.current?.focus();
          }}
        >
          {PRESETS.map((p) => (
            <option value={p.id}>{p.label}</option>
          ))}
          <option value="custom">Custom</option>
        </select>
      </label>
      <label>
        <span>From</span>
        <input
          ref={fromInput}
          type="date"
          value={range.from}
          max={range.to}
          onChange={(e) => {
            const from = (e.target as HTMLInputElement).value;
            if (isDate(from)) set({ from, to: from > range.to ? from : range.to });
          }}
        />
      </label>
      <label>
        <span>To</span>
        <input
          type="date"
          value={range.to}
          min={range.from}
          onChange={(e) => {
            const to = (e.target as HTMLInputElement).value;
            if (isDate(to)) set({ from: to < range.from ? to : range.from, to });
          }}
        />
      </label>
      {compare && (
        <p class="compare">
          {daysBetween(range.from, range.to) + 1} days, compared with {previous.from} to {previous.to}
        </p>
      )}
    </fieldset>
  );
}

