// JSON values in localStorage with a memory fallback. localStorage throws a SecurityError when the
// browser blocks site data and a QuotaExceededError when full (or always, in old Safari private
// mode); after the first failure this page keeps the values in memory and never throws. While
// consent may be missing (client.ts), what this page saves stays in its memory (and is read from
// there); the rest is read from localStorage, as before.

const memory: Record<string, string | undefined> = {};
let broken = false;
let held = false;

export function load<T>(key: string): T | undefined {
  try {
    // (A localStorage that throws holds nothing this page saved: since the save that failed, memory does.)
    return JSON.parse((broken || (held && key in memory) ? memory[key] : localStorage.getItem(key))!);
  } catch {
    // Nothing stored, or someone else's garbage under our key: start afresh.
  }
}

/** Stores `value` as JSON; none (`undefined`) as null (load() gives null for it, and undefined for nothing). */
export function save(key: string, value?: unknown): void {
  try {
    memory[key] = JSON.stringify(value ?? null);
    broken || held || localStorage.setItem(key, memory[key]!);
  } catch {
    broken = true;
  }
}

/**
 * Consent: without it (`on` false), saving stays in memory; once granted, what was saved meanwhile
 * goes to localStorage; once withdrawn (`wipe`), every spur_* key goes, from localStorage and memory.
 */
export function keep(on: boolean, wipe?: boolean): void {
  held = !on;
  try {
    for (const key in memory) on ? localStorage.setItem(key, memory[key]!) : wipe && delete memory[key];
    if (wipe) for (const key in localStorage) key.startsWith('spur_') && localStorage.removeItem(key);
  } catch {
    broken = true;
  }
}
