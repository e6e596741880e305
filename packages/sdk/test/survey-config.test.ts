// parseSurvey: the exit survey's config from spur('survey', {...}) or data-survey (JSON, or the id
// of a <script type="application/json">), or a message saying what to fix.
import { parseSurvey } from '../src/survey-config';

const survey = { id: 's1', question: 'Why?', options: [{ value: 'price', label: 'The price' }] };

describe('parseSurvey(value)', () => {
  afterEach(() => document.body.replaceChildren());

  it('takes an object, JSON, or the id of an element holding JSON', () => {
    expect(parseSurvey(survey)).toEqual(survey);
    expect(parseSurvey(JSON.stringify(survey))).toEqual(survey);
    const script = document.createElement('script');
    script.type = 'application/json';
    script.id = 'exit-survey';
    script.textContent = JSON.stringify({ ...survey, freeText: { label: 'More?' }, everyDays: 7 });
    document.body.append(script);
    expect(parseSurvey('exit-survey')).toEqual({ ...survey, freeText: { label: 'More?' }, everyDays: 7 });
  });

  it('says what is wrong with a survey it cannot use', () => {
    expect(parseSurvey('missing')).toBe('no element with id "missing" holds the survey\'s JSON');
    expect(parseSurvey('{"id": ')).toBe("the survey's JSON does not parse");
    expect(parseSurvey(null)).toBe('the survey needs { id, question, options }');
    expect(parseSurvey({ ...survey, id: 7 })).toBe('the survey needs an id (a string)');
    expect(parseSurvey({ ...survey, question: ' ' })).toBe('the survey needs a question (a string)');
    expect(parseSurvey({ ...survey, options: [] })).toBe('the survey needs options: [{ value, label }, ...] (strings)');
    expect(parseSurvey({ ...survey, options: [{ value: 'a' }] })).toBe('the survey needs options: [{ value, label }, ...] (strings)');
    expect(parseSurvey({ ...survey, freeText: {} })).toBe("the survey's freeText needs a label");
  });
});
