// Days and hours in the shop's time zone, around clock changes.
import { addDays, bucketStarts, isDate, localDate, localHour, startOfDay, zoneOffsetMs } from '../../src/analytics/time-zone';

const iso = (ms: number) => new Date(ms).toISOString();

describe('time zones', () => {
  it('starts a Berlin day at midnight there: 23:00 UTC in winter, 22:00 in summer', () => {
    expect(iso(startOfDay('2026-01-05', 'Europe/Berlin'))).toBe('2026-01-04T23:00:00.000Z');
    expect(iso(startOfDay('2026-07-06', 'Europe/Berlin'))).toBe('2026-07-05T22:00:00.000Z');
    expect(iso(startOfDay('2026-07-06', 'UTC'))).toBe('2026-07-06T00:00:00.000Z');
    expect(zoneOffsetMs(Date.parse('2026-01-05T12:00:00Z'), 'Europe/Berlin')).toBe(3_600_000);
  });

  it('makes the day of the spring change 23 hours long and of the autumn change 25', () => {
    const days = bucketStarts(startOfDay('2026-03-28', 'Europe/Berlin'), startOfDay('2026-03-31', 'Europe/Berlin'), 'Europe/Berlin', 'day').map(iso);
    expect(days).toEqual(['2026-03-27T23:00:00.000Z', '2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z']);
    const autumn = bucketStarts(startOfDay('2026-10-25', 'Europe/Berlin'), startOfDay('2026-10-27', 'Europe/Berlin'), 'Europe/Berlin', 'day');
    expect(autumn[1] - autumn[0]).toBe(25 * 3_600_000);
  });

  it('starts a day whose midnight the clocks skip at its first minute (Santiago, 8 September 2024)', () => {
    expect(localHour(startOfDay('2024-09-08', 'America/Santiago'), 'America/Santiago')).toBe('2024-09-08T01:00');
    expect(localDate(startOfDay('2024-09-08', 'America/Santiago') - 1, 'America/Santiago')).toBe('2024-09-07');
  });

  it('cuts hours on the zone’s wall clock, also where it is half an hour off UTC', () => {
    const from = Date.parse('2026-01-05T00:00:00Z');
    const hours = bucketStarts(from, from + 3 * 3_600_000, 'Asia/Kolkata', 'hour');
    expect(hours.map((t) => localHour(t, 'Asia/Kolkata'))).toEqual(['2026-01-05T05:00', '2026-01-05T06:00', '2026-01-05T07:00', '2026-01-05T08:00']);
    expect(iso(hours[1])).toBe('2026-01-05T00:30:00.000Z');
    // The spring change in Berlin: the hour 02:00 does not exist.
    const night = bucketStarts(Date.parse('2026-03-29T00:00:00Z'), Date.parse('2026-03-29T02:00:00Z'), 'Europe/Berlin', 'hour');
    expect(night.map((t) => localHour(t, 'Europe/Berlin'))).toEqual(['2026-03-29T01:00', '2026-03-29T03:00']);
  });

  it('adds days on the calendar and knows real dates', () => {
    expect(addDays('2026-02-27', 2)).toBe('2026-03-01');
    expect(addDays('2026-01-01', -1)).toBe('2025-12-31');
    expect(isDate('2026-02-29')).toBe(false);
    expect(isDate('2028-02-29')).toBe(true);
  });
});
