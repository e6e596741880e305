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
    return JSON.parse(raw!) ?? undefined; // null when missing
  } catch {
    return undefined; // Someone else's garbage under our key: start afresh.
  }
}

/** Stores `value` as JSON; `undefined` as null, which load() reads as undefined. */
export function save(key: string, value: unknown): void {
  try {
    memory[key] = JSON.stringify(value ?? null);
    if (!broken) localStorage.setItem(key, memory[key]!);
  } catch {
    broken = true;
  }
}
