// The dashboard's calendar: days of the shop's time zone, ranges and their previous periods.
import { addDays, apiRange, daysBetween, isDate, PRESETS, previousRange, shopTime, today } from '../src/dates';
import { formatChange } from '../src/format';

describe('dates', () => {
  it('knows which day it is in the shop’s time zone, not the browser’s', () => {
    // 23:30 UTC on Sunday 29 March 2026: already Monday in Berlin (UTC+2), still Sunday in New York.
    const t = Date.parse('2026-03-29T23:30:00Z');
    expect(today('Europe/Berlin', t)).toBe('2026-03-30');
    expect(today('America/New_York', t)).toBe('2026-03-29');
    expect(shopTime('2026-03-29T23:30:00.000Z', 'Europe/Berlin')).toBe('2026-03-30 01:30:00');
    expect(shopTime('2026-03-29T23:30:00.000Z', 'UTC', false)).toBe('2026-03-29 23:30');
  });

  it('compares a range with the one of the same length just before', () => {
    expect(previousRange({ from: '2026-03-01', to: '2026-03-30' })).toEqual({ from: '2026-01-30', to: '2026-02-28' });
    expect(previousRange({ from: '2026-03-30', to: '2026-03-30' })).toEqual({ from: '2026-03-29', to: '2026-03-29' });
    expect(daysBetween('2026-02-27', '2026-03-01')).toBe(2);
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    // The export API's `to` is exclusive: the day after the last one shown.
    expect(apiRange({ from: '2026-03-01', to: '2026-03-31' })).toEqual({ from: '2026-03-01', to: '2026-04-01' });
  });

  it('has presets ending today, and last month as a whole month', () => {
    const ranges = Object.fromEntries(PRESETS.map((p) => [p.id, p.range('2026-03-05')]));
    expect(ranges['30d']).toEqual({ from: '2026-02-04', to: '2026-03-05' });
    expect(ranges.month).toEqual({ from: '2026-03-01', to: '2026-03-05' });
    expect(ranges['last-month']).toEqual({ from: '2026-02-01', to: '2026-02-28' });
    expect(isDate('2026-02-30')).toBe(false);
  });

  it('writes a change against the previous period, and nothing where there is nothing to compare', () => {
    expect(formatChange(120, 100)?.direction).toBe('up');
    expect(formatChange(80, 100)?.text).toMatch(/^−20/);
    expect(formatChange(5, 0)).toBeUndefined();
    expect(formatChange(0, 0)?.direction).toBe('same');
    expect(formatChange(null, 3)).toBeUndefined();
  });
});
