// The exit survey's events (the SDK's contract): Survey Shown, Survey Answered and Survey Dismissed,
// each with the survey's id, the cart it was about (cart_id, cart_value, currency) and, when
// answered, the chosen option's value and optional free text. What the engine keeps of them.
import type { JsonObject } from '@spur/sdk';
import type { SurveyFields } from './fact-types';

export const SURVEY_SHOWN = 'Survey Shown';
export const SURVEY_ANSWERED = 'Survey Answered';
export const SURVEY_DISMISSED = 'Survey Dismissed';
/** The survey events, in the order their kind codes number them (0, 1, 2). */
export const SURVEY_EVENTS = [SURVEY_SHOWN, SURVEY_ANSWERED, SURVEY_DISMISSED] as const;

/** Whether `name` is one of the survey events. */
export function isSurveyEvent(name: string | undefined): boolean {
  return name === SURVEY_SHOWN || name === SURVEY_ANSWERED || name === SURVEY_DISMISSED;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * The survey fields of a survey event's properties. Validation (ingest/event-rules.ts) already
 * refused an Answered without survey_id or answer, or with text over 500 characters; events stored
 * before those rules are read as they are (a field of the wrong type counts as absent).
 */
export function readSurveyFields(props: JsonObject | undefined): SurveyFields {
  const out: SurveyFields = {};
  if (!props) return out;
  const surveyId = text(props.survey_id);
  const answer = text(props.answer);
  const freeText = text(props.text);
  const cartId = text(props.cart_id);
  const currency = text(props.currency);
  const value = props.cart_value;
  if (surveyId !== undefined) out.surveyId = surveyId;
  if (answer !== undefined) out.answer = answer;
  if (freeText !== undefined) out.text = freeText;
  if (cartId !== undefined) out.cartId = cartId;
  if (typeof value === 'number' && Number.isFinite(value)) out.cartValue = value;
  if (currency !== undefined) out.currency = currency.toUpperCase();
  return out;
}
