// Calendar days and hours in the shop's time zone (SPUR_TIME_ZONE), from the runtime's own time
// zone data (Intl): a German shop's Monday starts at midnight in Berlin, which is 23:00 UTC on
// Sunday in winter and 22:00 in summer, and its days around the clock changes are 23 and 25 hours
// long. Dates are `YYYY-MM-DD` strings; calendar arithmetic on them is done in UTC, where every day
// has 24 hours, and only turned into instants here.

const formats = new Map<string, Intl.DateTimeFormat>();

function format(zone: string): Intl.DateTimeFormat {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formats.set(zone, f);
  }
  return f;
}

/** The wall clock in `zone` at instant `ms`, as if it were a UTC time (ms). */
function wallClock(ms: number, zone: string): number {
  const parts: Record<string, number> = {};
  for (const p of format(zone).formatToParts(ms)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second) + (ms - Math.floor(ms / 1000) * 1000);
}

/** How far `zone` is ahead of UTC at instant `ms` (Berlin in winter: 3,600,000). */
export const zoneOffsetMs = (ms: number, zone: string) => wallClock(ms, zone) - ms;

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** The date in `zone` at instant `ms`, `YYYY-MM-DD`. */
export function localDate(ms: number, zone: string): string {
  const d = new Date(wallClock(ms, zone));
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** The hour in `zone` at instant `ms`, `YYYY-MM-DDTHH:00`. */
export function localHour(ms: number, zone: string): string {
  const d = new Date(wallClock(ms, zone));
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:00`;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `date` plus `days` (negative: back), `YYYY-MM-DD`. */
export function addDays(date: string, days: number): string {
  const m = DATE.exec(date);
  if (!m) throw new RangeError(`not a date: ${date}`);
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + days));
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** Whether `text` is a real calendar date `YYYY-MM-DD` (not 2026-02-30). */
export function isDate(text: string): boolean {
  return DATE.test(text) && addDays(text, 0) === text;
}

/**
 * The first instant of `date` in `zone`: its midnight, or, where the clocks skip midnight (a
 * change at 00:00), the first minute that exists that day.
 */
export function startOfDay(date: string, zone: string): number {
  const m = DATE.exec(date);
  if (!m) throw new RangeError(`not a date: ${date}`);
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  // The offset at a guess, then at the instant that guess gives: right unless midnight is skipped.
  let t = wall - zoneOffsetMs(wall, zone);
  t = wall - zoneOffsetMs(t, zone);
  // Past midnight already: an earlier instant of the same date would be the start.
  while (localDate(t - 30 * 60_000, zone) === date) t -= 30 * 60_000;
  // Still the day before (a skipped midnight): the first half hour of the date that exists.
  while (localDate(t, zone) < date) t += 30 * 60_000;
  return t;
}

/**
 * The starts of the days (or hours) in `zone` that meet [from, to): the first is the start of the
 * day (hour) holding `from`, each next one the start of the next day (hour), the last before `to`.
 */
export function bucketStarts(from: number, to: number, zone: string, interval: 'day' | 'hour'): number[] {
  const starts: number[] = [];
  if (interval === 'day') {
    for (let date = localDate(from, zone), t = startOfDay(date, zone); t < to; date = addDays(date, 1), t = startOfDay(date, zone)) starts.push(t);
    return starts;
  }
  // Hours: every zone's offset is a whole number of quarter hours, so an hour of wall clock starts
  // where the wall clock's minutes and seconds are zero.
  const first = from - (wallClock(from, zone) % 3_600_000);
  for (let t = first; t < to; ) {
    starts.push(t);
    const next = t + 3_600_000;
    t = next - (wallClock(next, zone) % 3_600_000);
    if (t <= starts[starts.length - 1]) t = next;
  }
  return starts;
}
