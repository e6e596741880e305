// Durations as people type them in a query string: `30m`, `2h`, `7d`.
import { badRequest } from '../errors';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60 * 1000,
  h: 60 * 60 * 1000,
  d: 24 * 60 * 60 * 1000,
  w: 7 * 24 * 60 * 60 * 1000,
};

/**
 * Milliseconds of a duration like `30m`, `2h`, `7d` (units ms, s, m, h, d, w; decimals allowed:
 * `1.5h`; units are lower case, so `1M` is refused rather than read as a minute or a month). Throws a 400 HttpError that says what is accepted.
 */
export function parseDuration(text: string, what = 'duration'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/.exec(text);
  if (!m) {
    throw badRequest(`${what} must be a number with a unit, like 30m, 2h or 7d (units: ms, s, m, h, d, w); got ${JSON.stringify(text)}`, 'invalid_duration');
  }
  const ms = Number(m[1]) * UNIT_MS[m[2]];
  if (!(ms > 0)) throw badRequest(`${what} must be longer than zero; got ${JSON.stringify(text)}`, 'invalid_duration');
  return ms;
}
