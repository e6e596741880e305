// Durations in specs and flags: `45m`, `2d`, `1h30m`, `10s`, `500ms` (parts largest first).

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** The pattern the JSON Schema uses too: one or more `<digits><unit>` parts, no spaces. */
export const DURATION_PATTERN = '^(\\d+(ms|s|m|h|d|w))+$';

const PART = /(\d+)(ms|s|m|h|d|w)/g;

/** Milliseconds of a duration such as `2d` or `1h30m`; undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  if (!new RegExp(DURATION_PATTERN).test(text)) return undefined;
  let ms = 0;
  for (const [, digits, unit] of text.matchAll(PART)) ms += Number(digits) * UNITS[unit];
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** A duration for people: `2d 3h`, `45m`, `1.2 s`, `350 ms`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, seconds] of [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]] as const) {
    if (rest >= seconds) {
      parts.push(`${Math.floor(rest / seconds)}${unit}`);
      rest %= seconds;
    }
  }
  return parts.slice(0, 2).join(' ');
}
