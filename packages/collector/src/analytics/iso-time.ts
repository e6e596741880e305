// Epoch milliseconds as ISO 8601 text (YYYY-MM-DDTHH:mm:ss.sssZ), the same text as
// Date#toISOString for the years 0000-9999, two to three times faster (no Date per call): the
// customers export writes four per customer, 400,000 for 100,000 customers, which took 0.3-0.4 s
// of toISOString on this machine. The calendar date comes from the day number by the civil-from-days
// arithmetic (proleptic Gregorian, as Date uses).

const DAY = 86_400_000;
const pad2 = (n: number) => (n < 10 ? '0' : '') + n;
const pad3 = (n: number) => (n < 10 ? '00' : n < 100 ? '0' : '') + n;

/** `ms` as Date#toISOString writes it. */
export function isoTime(ms: number): string {
  // Outside 0000-9999, or not a whole millisecond: Date's own (its sign and six-digit years).
  if (!(ms >= -62167219200000 && ms < 253402300800000) || ms !== Math.floor(ms)) return new Date(ms).toISOString();
  const days = Math.floor(ms / DAY);
  let rest = ms - days * DAY;
  // Days since 1970-01-01 to year, month, day (era of 400 years = 146,097 days).
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const h = Math.floor(rest / 3600000);
  rest -= h * 3600000;
  const min = Math.floor(rest / 60000);
  rest -= min * 60000;
  const s = Math.floor(rest / 1000);
  const year = y < 10 ? '000' + y : y < 100 ? '00' + y : y < 1000 ? '0' + y : String(y);
  return `${year}-${pad2(m)}-${pad2(d)}T${pad2(h)}:${pad2(min)}:${pad2(s)}.${pad3(rest - s * 1000)}Z`;
}
