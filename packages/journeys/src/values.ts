// Per-run values: random values ({"pick": [...]}, {"email": "unique"}, {"unique": "prefix"}) and
// {{var}} templates, so that many runs of one spec are many different customers.
import { randomBytes, randomInt } from 'node:crypto';
import type { JourneySpec } from './spec';

/** What makes values random; tests inject fixed ones. */
export interface Randomness {
  /** An integer in [0, n). */
  int(n: number): number;
  /** A token no other run has: lower-case letters and digits. */
  token(): string;
}

export const randomness: Randomness = {
  int: (n) => randomInt(n),
  // 12 base-32 digits (60 bits): a collision between two runs is not going to happen.
  token: () => BigInt(`0x${randomBytes(8).toString('hex')}`).toString(32).slice(-12).padStart(12, '0'),
};

/** The variables of one run: the built-ins and the spec's vars, resolved once. */
export type Vars = Record<string, unknown>;

const ONLY_TEMPLATE = /^\{\{\s*([^}]*?)\s*\}\}$/;
const TEMPLATE = /\{\{\s*([^}]*?)\s*\}\}/g;

function isRandom(value: object): value is Record<string, unknown> {
  const keys = Object.keys(value);
  if (keys.length !== 1) return false;
  const [key] = keys;
  const v = (value as Record<string, unknown>)[key];
  return (key === 'pick' && Array.isArray(v) && v.length > 0) || (key === 'email' && v === 'unique') || (key === 'unique' && typeof v === 'string');
}

/**
 * Resolves random values and templates anywhere in `value`. A string that is one `{{var}}` and
 * nothing else becomes the variable's value as it is (a picked number stays a number); templates
 * inside longer text are replaced by the value as text.
 */
export function resolveValue(value: unknown, vars: Vars, random: Randomness = randomness): unknown {
  if (typeof value === 'string') {
    const whole = ONLY_TEMPLATE.exec(value);
    if (whole && whole[1] in vars) return vars[whole[1]];
    return value.replace(TEMPLATE, (all, name: string) => (name in vars ? String(vars[name]) : all));
  }
  if (Array.isArray(value)) return value.map((item) => resolveValue(item, vars, random));
  if (value && typeof value === 'object') {
    if (isRandom(value)) {
      if ('pick' in value) {
        const list = value.pick as unknown[];
        return resolveValue(list[random.int(list.length)], vars, random);
      }
      if ('email' in value) return `shopper.${random.token()}@example.test`;
      return `${value.unique}${random.token()}`;
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveValue(v, vars, random)]));
  }
  return value;
}

/** Resolves to text (selectors, URLs, field values). */
export function resolveText(value: unknown, vars: Vars, random: Randomness = randomness): string {
  const resolved = resolveValue(value, vars, random);
  return typeof resolved === 'string' ? resolved : JSON.stringify(resolved);
}

/** The variables of one run: runId, run (1-based), journey (its name), then the spec's vars in order. */
export function runVars(spec: JourneySpec, builtins: { runId: string; run: number }, random: Randomness = randomness): Vars {
  const vars: Vars = { runId: builtins.runId, run: builtins.run, journey: spec.name };
  for (const [name, value] of Object.entries(spec.vars ?? {})) vars[name] = resolveValue(value, {}, random);
  return vars;
}
