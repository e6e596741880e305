// The exit survey's configuration: what the shop writes (data-survey, or spur('survey', {...}))
// and its check. Shared by spur-survey.js (when to ask) and spur-survey-dialog.js (the dialog).

/** One answer the visitor can choose. */
export interface SurveyOption {
  /** What `Survey Answered` carries as `answer`. */
  value: string;
  /** What the visitor reads. */
  label: string;
}

/** The exit survey: one question, the shop's options, an optional free text. */
export interface SurveyConfig {
  /** The shop's id for the survey: `survey_id` of its events. */
  id: string;
  question: string;
  options: SurveyOption[];
  /** A free text field under the options (at most 500 characters), with this label. */
  freeText?: { label: string };
  /** Ask a visitor at most once in this many days. @defaultValue 30 */
  everyDays?: number;
  /** Touch devices: how long the visitor must have been idle before leaving the tab for it to count. @defaultValue 15 */
  touchIdleSeconds?: number;
  /** The submit button's text. @defaultValue 'Send' */
  submitLabel?: string;
  /** The close button's accessible name. @defaultValue 'Close' */
  closeLabel?: string;
}

/** At most this many characters of free text are sent (the collector rejects longer). */
export const MAX_TEXT = 500;

const str = (v: unknown) => typeof v == 'string' && v.trim() != '';

/**
 * The survey config in `value` (an object, JSON, or the id of a `<script type="application/json">`
 * element holding JSON), or a message saying what is wrong with it.
 */
export function parseSurvey(value: unknown): SurveyConfig | string {
  let config = value;
  if (typeof value == 'string') {
    const source = value.trim().startsWith('{') ? value : document.getElementById(value)?.textContent;
    if (source == null) return `no element with id "${value}" holds the survey's JSON`;
    try {
      config = JSON.parse(source);
    } catch {
      return "the survey's JSON does not parse";
    }
  }
  const c = config as Partial<SurveyConfig> | null;
  if (!c || typeof c != 'object') return 'the survey needs { id, question, options }';
  if (!str(c.id)) return 'the survey needs an id (a string)';
  if (!str(c.question)) return 'the survey needs a question (a string)';
  if (!Array.isArray(c.options) || !c.options.length || !c.options.every((o) => o && str(o.value) && str(o.label)))
    return 'the survey needs options: [{ value, label }, ...] (strings)';
  if (c.freeText != null && !str(c.freeText.label)) return "the survey's freeText needs a label";
  return c as SurveyConfig;
}
