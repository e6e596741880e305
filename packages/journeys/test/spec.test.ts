import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Ajv from 'ajv';
import { journeySchema, loadJourneys, parseJourney, SpecError, type JourneySpec } from '../src/spec';

const EXAMPLES = resolve(__dirname, '../../../examples/journeys');

/** The problems a spec is rejected with, as `path: message` lines. */
function problems(spec: unknown): string[] {
  try {
    parseJourney(spec, 'shop.json');
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
    for (const p of error.problems) expect(p.file).toBe('shop.json');
    return error.problems.map((p) => `${p.path}: ${p.message}`);
  }
  return [];
}

const valid = (): JourneySpec => ({
  name: 'Buy a mug',
  device: 'Pixel 7',
  vars: { email: { email: 'unique' } },
  visits: [
    { steps: [{ goto: '/' }, { click: 'data-testid=product-link-p-mug' }] },
    { after: '2d', steps: [{ fill: 'data-testid=checkout-email', value: '{{email}}' }] },
  ],
  expect: { events: ['Product Viewed'], profile: { devices: 1 } },
});

describe('parseJourney(value, file)', () => {
  it('accepts a typed JourneySpec and sums the simulated time between visits', () => {
    const journey = parseJourney(valid(), 'shop.json');
    expect(journey.file).toBe('shop.json');
    expect(journey.durationMs).toBe(2 * 86_400_000);
  });

  it('names the file, the JSON path and what was expected for a step with an unknown action', () => {
    const spec = valid();
    (spec.visits[0].steps as unknown[])[1] = { clik: 'data-testid=add-to-cart' };
    expect(problems(spec)).toEqual([
      '$.visits[0].steps[1]: expected a step: an object with one of goto, click, fill, press, waitFor, track, identify, expectRequest, offline, got an object',
    ]);
  });

  it('says which property is unexpected and which are allowed', () => {
    const spec = valid() as unknown as { visits: Record<string, unknown>[] };
    spec.visits[1].stpes = spec.visits[1].steps;
    delete spec.visits[1].steps;
    expect(problems(spec)).toEqual([
      '$.visits[1]: missing property "steps"',
      '$.visits[1].stpes: unexpected property; expected one of after, device, as, steps',
    ]);
  });

  it('explains durations, enums, missing step fields and wrong types', () => {
    const spec = valid() as unknown as Record<string, any>;
    spec.visits[1].after = '2 days';
    spec.consent = 'maybe';
    spec.visits[0].steps.push({ fill: 'data-testid=quantity' });
    spec.visits[0].steps.push({ goto: 42 });
    expect(problems(spec).sort()).toEqual(
      [
        '$.consent: expected one of "granted", "denied", got string "maybe"',
        '$.visits[0].steps[2]: missing property "value"',
        '$.visits[0].steps[3].goto: expected text (a string, may use {{var}}) or a random value: {"pick": [...]}, {"email": "unique"}, {"unique": "prefix"}, got number 42',
        '$.visits[1].after: expected a duration such as 45m, 2d or 1h30m, got string "2 days"',
      ].sort(),
    );
  });

  it('rejects a device Playwright does not know, with similar names', () => {
    const [line] = problems({ ...valid(), device: 'Pixel 99' });
    expect(line).toMatch(/^\$\.device: expected a Playwright device name such as "Pixel 7" or "Desktop Chrome", got "Pixel 99" \(similar: "Pixel/);
  });

  it('rejects variables the spec does not define, naming those it does', () => {
    const spec = valid();
    spec.visits[1].steps.push({ fill: 'data-testid=checkout-name', value: '{{nmae}}' });
    expect(problems(spec)).toEqual([
      '$.visits[1].steps[1].value: unknown variable {{nmae}}; expected one of {{runId}}, {{run}}, {{journey}}, {{email}}',
    ]);
  });

  it('rejects offline legs that nest, and a next-visit leg that is not the visit\'s last step', () => {
    const spec = valid();
    spec.visits[0].steps = [
      { offline: [{ offline: [{ click: 'a' }] }], reconnect: 'next-visit' },
      { goto: '/' },
    ];
    expect(problems(spec)).toEqual([
      '$.visits[0].steps[0].reconnect: expected "next-visit" only on the last step of a visit (the visit ends offline); use "after-leg" here',
      '$.visits[0].steps[0].offline[0]: expected a step other than an offline leg: offline legs do not nest',
    ]);
  });

  it('says a step has one action, and a step must be an object', () => {
    const spec = valid() as unknown as { visits: { steps: unknown[] }[] };
    spec.visits[0].steps = [{ goto: '/', click: 'a' }, 'click a'];
    expect(problems(spec)).toEqual([
      '$.visits[0].steps[0]: expected one action per step, got "click" and "goto"',
      '$.visits[0].steps[1]: expected a step: an object with one of goto, click, fill, press, waitFor, track, identify, expectRequest, offline, got string "click a"',
    ]);
  });

  it('names a variable that is not a name', () => {
    expect(problems({ ...valid(), vars: { 'e-mail': 'x' } })).toEqual(['$.vars["e-mail"]: expected a variable name (letters, digits, _)']);
  });

  it('rejects a funnel expectation that wants more steps than it names', () => {
    const spec = valid();
    spec.expect = { funnel: { steps: ['Product Viewed'], reached: 2 } };
    expect(problems(spec)).toEqual(['$.expect.funnel.reached: expected at most 1 (the number of steps), got 2']);
  });

  it('rejects a document that is not an object, and one without visits', () => {
    expect(problems([])).toEqual(['$: expected object, got an array']);
    expect(problems({ name: 'x', visits: [] })).toEqual(['$.visits: expected at least 1 item']);
  });
});

describe('loadJourneys(paths)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'spur-specs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('loads every example journey in examples/journeys, at least the six of issue 6', () => {
    const journeys = loadJourneys([EXAMPLES]);
    expect(journeys.length).toBeGreaterThanOrEqual(6);
    for (const j of journeys) expect(j.file).toMatch(/\.json$/);
  });

  it('reports the problems of every file of a folder together, with line and column for bad JSON', () => {
    writeFileSync(join(dir, 'a.json'), '{\n  "name": "A",\n  "visits": [\n}');
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ name: 'B', visits: [{ after: 'soon', steps: [{ goto: '/' }] }] }));
    writeFileSync(join(dir, 'notes.txt'), 'not a spec');
    let error: SpecError | undefined;
    try {
      loadJourneys([dir]);
    } catch (e) {
      error = e as SpecError;
    }
    expect(error).toBeInstanceOf(SpecError);
    const lines = error!.message.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(`${join(dir, 'a.json')}: $: expected JSON: line 4, column 1: expected a value (object, array, string, number, true, false or null)`);
    expect(lines[1]).toBe(`${join(dir, 'b.json')}: $.visits[0].after: expected a duration such as 45m, 2d or 1h30m, got string "soon"`);
  });

  it('says so for a path that does not exist and a folder without specs', () => {
    expect(() => loadJourneys([join(dir, 'nope.json'), dir])).toThrow(
      `${join(dir, 'nope.json')}: $: no such file or folder\n${dir}: $: expected a folder with journey specs (*.json); it has none`,
    );
  });
});

describe('schema/journey.schema.json', () => {
  it('is a valid draft-07 schema that other tools (editors, ajv without spur) can use', () => {
    const ajv = new Ajv({ strict: false });
    const validate = ajv.compile(journeySchema());
    expect(validate(valid())).toBe(true);
    expect(validate({ name: 'x' })).toBe(false);
  });
});
