// Rules of particular track events, on top of the shape every event passes (validate.ts): a table
// from event name to what its properties must hold, checked after the event is read. An event that
// breaks one is rejected with the reason, like any bad event; nothing is cut or changed to fit.
// The exit survey's events (issue 17) are its first rows: their free text is personal data, so it
// is bounded at the edge rather than stored whole and trimmed later.
import type { JsonObject } from '@spur/sdk';
import { Invalid } from './input-limits';

/** The longest free text a Survey Answered may carry (characters, as JavaScript counts them). */
export const MAX_SURVEY_TEXT = 500;

/** What one property must be: a string (non-empty when required, at most `max` characters) or a finite number. */
export interface PropertyRule {
  property: string;
  kind: 'string' | 'number';
  required?: boolean;
  max?: number;
}

const SURVEY_COMMON: readonly PropertyRule[] = [
  { property: 'survey_id', kind: 'string', required: true },
  { property: 'question', kind: 'string' },
  { property: 'cart_id', kind: 'string' },
  { property: 'cart_value', kind: 'number' },
  { property: 'currency', kind: 'string' },
  { property: 'items', kind: 'number' },
];

/** The rules per track event name. */
export const EVENT_RULES: Readonly<Record<string, readonly PropertyRule[]>> = {
  'Survey Shown': SURVEY_COMMON,
  'Survey Dismissed': SURVEY_COMMON,
  'Survey Answered': [
    ...SURVEY_COMMON,
    { property: 'answer', kind: 'string', required: true },
    { property: 'text', kind: 'string', max: MAX_SURVEY_TEXT },
  ],
};

/** Throws Invalid with the reason when a track event named in EVENT_RULES breaks one of its rules. */
export function checkEventRules(name: string | undefined, properties: JsonObject | undefined): void {
  const rules = name === undefined ? undefined : Object.hasOwn(EVENT_RULES, name) ? EVENT_RULES[name] : undefined;
  if (!rules) return;
  for (const rule of rules) {
    const where = `properties.${rule.property} of ${name}`;
    const value = properties?.[rule.property];
    if (value === undefined || value === null) {
      if (rule.required) throw new Invalid(`${where} is required`);
      continue;
    }
    if (rule.kind === 'number') {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new Invalid(`${where} must be a number`);
      continue;
    }
    // An optional string may be empty (a free-text box left blank is no reason to lose the answer).
    if (typeof value !== 'string') throw new Invalid(`${where} must be ${rule.required ? 'a non-empty string' : 'a string'}`);
    if (rule.required && value === '') throw new Invalid(`${where} must be a non-empty string`);
    // Refused whole, never cut: a cut text could change what the visitor said.
    if (rule.max !== undefined && value.length > rule.max) throw new Invalid(`${where} is longer than ${rule.max} characters`);
  }
}
