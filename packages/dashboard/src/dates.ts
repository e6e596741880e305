// Days of the shop's time zone. The browser never turns a day into an instant: the dashboard asks
// the export API for dates (from=2026-03-01), which the collector reads as midnight in the shop's
// time zone (SPUR_TIME_ZONE), so both agree on where a day begins. Here: which day it is now in
// that zone, calendar arithmetic on `YYYY-MM-DD` (in UTC, where every day has 24 hours), and
// showing instants as the shop's clock reads them.

const pad = (n: number) => String(n).padStart(2, '0');

function parts(date: string): [number, number, number] {
  const [y, m, d] = date.split('-').map(Number);
  return [y, m, d];
}

/** `date` plus `days` (negative: back). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = parts(date);
  const t = new Date(Date.UTC(y, m - 1, d + days));
  return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}

/** Days from `a` to `b` (b - a). */
export function daysBetween(a: string, b: string): number {
  const [y1, m1, d1] = parts(a);
  const [y2, m2, d2] = parts(b);
  return Math.round((Date.UTC(y2, m2 - 1, d2) - Date.UTC(y1, m1 - 1, d1)) / 86_400_000);
}

export const isDate = (text: string | null | undefined): text is string => !!text && /^\d{4}-\d{2}-\d{2}$/.test(text) && addDays(text, 0) === text;

/** Today in `zone`. */
export function today(zone: string, now = Date.now()): string {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-US', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(now).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}`;
}

/** A range of whole days, both ends included. */
export interface DayRange {
  from: string;
  to: string;
}

/** The export API's bounds for a range: `to` is exclusive there, the next day. */
export const apiRange = (r: DayRange) => ({ from: r.from, to: addDays(r.to, 1) });

/** The range of the same length just before. */
export function previousRange(r: DayRange): DayRange {
  const length = daysBetween(r.from, r.to) + 1;
  return { from: addDays(r.from, -length), to: addDays(r.from, -1) };
}

/** The default range: the last 30 days, today included. */
export const last30 = (zone: string): DayRange => ({ from: addDays(today(zone), -29), to: today(zone) });

export interface Preset {
  id: string;
  label: string;
  range(today: string): DayRange;
}

export const PRESETS: Preset[] = [
  { id: 'today', label: 'Today', range: (t) => ({ from: t, to: t }) },
  { id: '7d', label: 'Last 7 days', range: (t) => ({ from: addDays(t, -6), to: t }) },
  { id: '30d', label: 'Last 30 days', range: (t) => ({ from: addDays(t, -29), to: t }) },
  { id: '90d', label: 'Last 90 days', range: (t) => ({ from: addDays(t, -89), to: t }) },
  { id: 'month', label: 'This month', range: (t) => ({ from: `${t.slice(0, 8)}01`, to: t }) },
  {
    id: 'last-month',
    label: 'Last month',
    range: (t) => {
      const end = addDays(`${t.slice(0, 8)}01`, -1);
      return { from: `${end.slice(0, 8)}01`, to: end };
    },
  },
];

const timeFormats = new Map<string, Intl.DateTimeFormat>();

/** An instant as the shop's clock shows it: `2026-03-30 14:05:09`. */
export function shopTime(iso: string, zone: string, withSeconds = true): string {
  let f = timeFormats.get(zone + withSeconds);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', ...(withSeconds && { second: '2-digit' }) });
    timeFormats.set(zone + withSeconds, f);
  }
  const p = Object.fromEntries(f.formatToParts(Date.parse(iso)).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}${withSeconds ? `:${p.second}` : ''}`;
}
