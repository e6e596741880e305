// JSON values in localStorage with a memory fallback. localStorage throws a SecurityError when the
// browser blocks site data and a QuotaExceededError when full (or always, in old Safari private
// mode); after the first failure this page keeps the values in memory and never throws.

const memory: Record<string, string | undefined> = {};
let broken = false;

export function load<T>(key: string): T | undefined {
  let raw: string | null | undefined;
  try {
    raw = broken ? memory[key] : localStorage.getItem(key);
  } catch {
    broken = true;
    raw = memory[key];
  }
  try {
    return raw ? JSON.parse(raw) : undefined;
  } catch {
    return undefined; // Someone else's garbage under our key: start afresh.
  }
}

/** Stores `value` as JSON; `undefined` removes the key. */
export function save(key: string, value: unknown): void {
  let raw: string | undefined;
  try {
    raw = value === undefined ? undefined : JSON.stringify(value);
    memory[key] = raw;
    if (broken) return;
    if (raw === undefined) localStorage.removeItem(key);
    else localStorage.setItem(key, raw);
  } catch {
    broken = true;
  }
}
