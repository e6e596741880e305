// Numbers as the views show them, in the browser's language; raw values travel in data-value.
const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });
const moneyFormats = new Map<string, Intl.NumberFormat>();

export const formatCount = (n: number) => integer.format(n);

export const formatRate = (x: number | null) => (x === null ? '–' : percent.format(x));

/** An amount in a currency; one without a currency as a plain number. */
export function formatMoney(amount: number, currency: string | null): string {
  const key = currency ?? '';
  let f = moneyFormats.get(key);
  if (!f) {
    try {
      f = currency && /^[A-Z]{3}$/.test(currency) ? new Intl.NumberFormat(undefined, { style: 'currency', currency }) : new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    } catch {
      f = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    }
    moneyFormats.set(key, f);
  }
  return f.format(amount);
}

/** A change against the previous period, as `+12.5%`; undefined where there is nothing to compare. */
export function formatChange(now: number | null, before: number | null): { text: string; direction: 'up' | 'down' | 'same' } | undefined {
  if (now === null || before === null) return undefined;
  if (before === 0) return now === 0 ? { text: '±0%', direction: 'same' } : undefined;
  const change = (now - before) / before;
  const text = `${change > 0 ? '+' : change < 0 ? '−' : '±'}${percent.format(Math.abs(change))}`;
  return { text, direction: change > 0 ? 'up' : change < 0 ? 'down' : 'same' };
}
