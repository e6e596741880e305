// JSON values in localStorage with a memory fallback. localStorage throws a SecurityError when the
// browser blocks site data and a QuotaExceededError when full (or always, in old Safari private
// mode); after the first failure this page keeps the values in memory and never throws. While
// consent may be missing (client.ts), what this page saves stays in its memory (and is read from
// there); the rest is read from localStorage, as before.

const memory: Record<string, string | undefined> = {};
let broken = false;
let held = false;

export function load<T>(key: string): T | undefined {
  let raw: string | null | undefined;
  try {
    raw = broken || (held && key in memory) ? memory[key] : localStorage.getItem(key);
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
    if (!broken && !held) localStorage.setItem(key, memory[key]!);
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
    if (wipe) for (const key of Object.keys(localStorage)) if (key.startsWith('spur_')) localStorage.removeItem(key);
  } catch {
    broken = true;
  }
}
