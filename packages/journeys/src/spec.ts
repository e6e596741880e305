// Journey specs: the TypeScript type, validation against schema/journey.schema.json (ajv), and
// loading from files and folders. A wrong spec is reported as one line per problem, each naming
// the file, the JSON path inside it and what was expected there.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { devices } from 'playwright';
import { parseDuration } from './duration';
import { jsonSyntaxError } from './json-syntax';

/** A duration such as `45m`, `2d`, `1h30m`. */
export type Duration = string;

/** A value that differs per run: one of a list, a unique email, a unique id with a prefix. */
export type Random = { pick: unknown[] } | { email: 'unique' } | { unique: string };

/** Text that may use `{{var}}`, or a random value. */
export type Text = string | Random;

/** A Playwright device name (`Pixel 7`, `Desktop Chrome`), or a viewport and a few emulation options. */
export type Device =
  | string
  | {
      viewport: { width: number; height: number };
      isMobile?: boolean;
      hasTouch?: boolean;
      deviceScaleFactor?: number;
      userAgent?: string;
    };

/**
 * An event as a matcher: an event name (`Product Added`), `page`, `page:/path` (a page view whose
 * path starts so), `identify`, `alias`; or an object the event must contain (deep, arrays
 * element by element).
 */
export type EventMatcher = string | Record<string, unknown>;

export type Step =
  | { goto: Text }
  | { click: Text }
  | { fill: Text; value: Text }
  | { press: Text; key: string }
  | { waitFor: Text | { url: Text }; text?: Text; state?: 'attached' | 'detached' | 'visible' | 'hidden' }
  | { track: Text; properties?: Record<string, unknown> }
  | { identify: Text; traits?: Record<string, unknown> }
  | { expectRequest: EventMatcher; timeout?: Duration }
  | { offline: Step[]; reconnect?: 'after-leg' | 'next-visit' };

export interface Visit {
  /** Simulated time since the previous visit (the run's start, for the first). @defaultValue 0 */
  after?: Duration;
  /** @defaultValue 'same' (the first visit always starts a device) */
  device?: 'same' | 'new';
  /** What a new device is. @defaultValue the journey's device */
  as?: Device;
  steps: Step[];
}

export interface Expectations {
  /** Events the collector must hold for the run, in this order; others may come between. */
  events?: EventMatcher[];
  profile?: { customerId?: boolean | Text; devices?: number };
  cart?: 'abandoned' | 'recovered' | 'none';
  funnel?: { steps: string[]; reached: number; window?: Duration };
  nothingSent?: true;
  nothingStored?: true;
}

/** A journey spec as written (JSON). */
export interface JourneySpec {
  $schema?: string;
  name: string;
  description?: string;
  /** @defaultValue Chromium's own desktop defaults */
  device?: Device;
  consent?: 'granted' | 'denied';
  vars?: Record<string, unknown>;
  visits: Visit[];
  expect?: Expectations;
}

/** A validated spec and where it came from. */
export interface Journey {
  spec: JourneySpec;
  /** The file, as given (relative paths stay relative); `<inline>` for objects. */
  file: string;
  /** Total simulated time between the visits (the sum of their `after`). */
  durationMs: number;
}

/** Variables every run has besides the spec's `vars`. */
export const BUILTIN_VARS = ['runId', 'run', 'journey'] as const;

export interface SpecProblem {
  file: string;
  /** JSONPath inside the file, `$` for the whole document. */
  path: string;
  message: string;
}

/** A spec that cannot be played; `message` has one line per problem. */
export class SpecError extends Error {
  constructor(readonly problems: SpecProblem[]) {
    super(problems.map((p) => `${p.file}: ${p.path}: ${p.message}`).join('\n'));
    this.name = 'SpecError';
  }
}

let validator: ValidateFunction | undefined;

/** The JSON Schema of a journey (schema/journey.schema.json), parsed. */
export function journeySchema(): Record<string, unknown> {
  // Read at run time: the file sits next to src/ and dist/, outside the TypeScript root.
  return JSON.parse(readFileSync(join(__dirname, '..', 'schema', 'journey.schema.json'), 'utf8'));
}

function validate(): ValidateFunction {
  if (!validator) {
    // verbose: errors carry their schema and data, which the messages below are made of.
    // strictRequired off: `required` names keys that `properties` defines in another branch.
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictRequired: false, allowUnionTypes: true });
    // The message for a part of the schema, as an annotation (ignored by editors and validators).
    ajv.addKeyword({ keyword: 'x-expected', schemaType: 'string' });
    validator = ajv.compile(journeySchema());
  }
  return validator;
}

/** `/visits/0/steps/2` as `$.visits[0].steps[2]`. */
export function jsonPath(pointer: string): string {
  if (!pointer) return '$';
  return (
    '$' +
    pointer
      .split('/')
      .slice(1)
      .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'))
      .map((key) => (/^\d+$/.test(key) ? `[${key}]` : /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`))
      .join('')
  );
}

const short = (value: unknown): string => {
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};

const kind = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `${typeof value} ${short(value)}`);

/** The keys that make a step what it is. */
const ACTIONS = ['goto', 'click', 'fill', 'press', 'waitFor', 'track', 'identify', 'expectRequest', 'offline'];

/** One ajv error as "what was expected", with the path it belongs to. */
function describe(error: ErrorObject): { path: string; message: string } {
  const parent = (error.parentSchema ?? {}) as Record<string, unknown>;
  const expected = parent['x-expected'] as string | undefined;
  const path = jsonPath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { path, message: `missing property "${params.missingProperty}"` };
    case 'additionalProperties': {
      const allowed = Object.keys((parent.properties as object) ?? {}).filter((k) => k !== '$schema');
      const action = allowed.find((k) => ACTIONS.includes(k));
      if (action && ACTIONS.includes(String(params.additionalProperty))) {
        // Sorted: each of the two reports the other, and the two lines become one.
        const both = [action, String(params.additionalProperty)].sort();
        return { path, message: `expected one action per step, got "${both[0]}" and "${both[1]}"` };
      }
      return {
        path: jsonPath(`${error.instancePath}/${String(params.additionalProperty)}`),
        message: `unexpected property; expected ${allowed.length ? `one of ${allowed.join(', ')}` : 'no other property'}`,
      };
    }
    case 'enum':
      return { path, message: `expected one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, got ${kind(error.data)}` };
    case 'const':
      return { path, message: `expected ${JSON.stringify(params.allowedValue)}, got ${kind(error.data)}` };
    case 'type':
      return { path, message: `expected ${expected ?? params.type}, got ${kind(error.data)}` };
    case 'minItems':
      return { path, message: `expected at least ${params.limit} item${params.limit === 1 ? '' : 's'}` };
    case 'minLength':
      return { path, message: 'expected a non-empty string' };
    case 'minProperties':
      return { path, message: `expected ${expected ?? 'a non-empty object'}, got {}` };
    case 'minimum':
    case 'exclusiveMinimum':
      return { path, message: `expected a number ${params.comparison} ${params.limit}, got ${kind(error.data)}` };
    case 'pattern':
      return { path, message: `expected ${expected ?? `text matching ${params.pattern}`}, got ${kind(error.data)}` };
    case 'propertyNames':
      return { path: jsonPath(`${error.instancePath}/${String(params.propertyName)}`), message: 'expected a variable name (letters, digits, _)' };
    default:
      return { path, message: expected ? `expected ${expected}, got ${kind(error.data)}` : (error.message ?? error.keyword) };
  }
}

/**
 * ajv reports every branch of a failed anyOf/oneOf, and an `if` next to its `then`; a person
 * wants one line: what the failed choice expected (its x-expected). ajv lists a choice's branch
 * errors right before the choice's own error, all at or below its path, and an outer choice
 * after the inner ones; so walking back from each choice drops its branches, nested ones too.
 */
function problemsOf(errors: ErrorObject[], file: string): SpecProblem[] {
  const dropped = new Set<number>();
  const under = (path: string, root: string) => path === root || path.startsWith(`${root}/`);
  for (let i = errors.length - 1; i >= 0; i--) {
    const choice = errors[i];
    if (dropped.has(i) || !['anyOf', 'oneOf', 'propertyNames'].includes(choice.keyword)) continue;
    for (let j = i - 1; j >= 0 && under(errors[j].instancePath, choice.instancePath); j--) dropped.add(j);
  }
  const lines = new Map<string, SpecProblem>();
  errors.forEach((e, i) => {
    if (dropped.has(i) || e.keyword === 'if') return;
    const { path, message } = describe(e);
    const key = `${path}\n${message}`;
    if (!lines.has(key)) lines.set(key, { file, path, message });
  });
  return [...lines.values()];
}

const TEMPLATE = /\{\{\s*([^}]*?)\s*\}\}/g;

/** Every string in a value, with its JSON pointer. */
function* strings(value: unknown, pointer: string): Generator<[string, string]> {
  if (typeof value === 'string') yield [value, pointer];
  else if (Array.isArray(value)) for (const [i, item] of value.entries()) yield* strings(item, `${pointer}/${i}`);
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) yield* strings(v, `${pointer}/${k}`);
}

/** What the schema cannot say: device names, variables in use, offline legs inside offline legs. */
function semanticProblems(spec: JourneySpec, file: string): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const add = (pointer: string, message: string) => problems.push({ file, path: jsonPath(pointer), message });
  const checkDevice = (device: Device | undefined, pointer: string) => {
    if (typeof device !== 'string' || devices[device]) return;
    const near = Object.keys(devices).filter((name) => name.toLowerCase().includes(device.toLowerCase().split(' ')[0]));
    add(
      pointer,
      `expected a Playwright device name such as "Pixel 7" or "Desktop Chrome", got "${device}"` +
        (near.length ? ` (similar: ${near.slice(0, 4).map((n) => `"${n}"`).join(', ')})` : ''),
    );
  };
  checkDevice(spec.device, '/device');

  const vars = new Set<string>([...BUILTIN_VARS, ...Object.keys(spec.vars ?? {})]);
  for (const [text, pointer] of strings({ visits: spec.visits, expect: spec.expect }, '')) {
    for (const [, name] of text.matchAll(TEMPLATE)) {
      if (!vars.has(name)) add(pointer, `unknown variable {{${name}}}; expected one of ${[...vars].map((v) => `{{${v}}}`).join(', ')}`);
    }
  }
  for (const [text, pointer] of strings(spec.vars ?? {}, '/vars')) {
    if (TEMPLATE.test(text)) add(pointer, 'expected a plain value: vars cannot use {{...}}');
    TEMPLATE.lastIndex = 0;
  }

  spec.visits.forEach((visit, v) => {
    if (visit.as !== undefined && v > 0 && visit.device !== 'new') add(`/visits/${v}/as`, 'expected "as" only with "device": "new" (or on the first visit)');
    checkDevice(visit.as, `/visits/${v}/as`);
    if (visit.after !== undefined && parseDuration(visit.after) === undefined) add(`/visits/${v}/after`, 'expected a duration such as 45m or 2d');
    visit.steps.forEach((step, s) => {
      if ('offline' in step && step.reconnect === 'next-visit' && s !== visit.steps.length - 1) {
        add(`/visits/${v}/steps/${s}/reconnect`, 'expected "next-visit" only on the last step of a visit (the visit ends offline); use "after-leg" here');
      }
      if ('offline' in step) {
        step.offline.forEach((inner, i) => {
          if ('offline' in inner) add(`/visits/${v}/steps/${s}/offline/${i}`, 'expected a step other than an offline leg: offline legs do not nest');
        });
      }
    });
  });

  const funnel = spec.expect?.funnel;
  if (funnel && funnel.reached > funnel.steps.length) {
    add('/expect/funnel/reached', `expected at most ${funnel.steps.length} (the number of steps), got ${funnel.reached}`);
  }
  return problems;
}

/** Validates a parsed spec; throws SpecError naming `file`, the path and what was expected. */
export function parseJourney(value: unknown, file = '<inline>'): Journey {
  const check = validate();
  if (!check(value)) throw new SpecError(problemsOf(check.errors ?? [], file));
  const spec = value as JourneySpec;
  const problems = semanticProblems(spec, file);
  if (problems.length) throw new SpecError(problems);
  const durationMs = spec.visits.reduce((sum, visit) => sum + (visit.after ? parseDuration(visit.after)! : 0), 0);
  return { spec, file, durationMs };
}

/** Reads and validates one spec file. */
export function loadJourneyFile(file: string, cwd = process.cwd()): Journey {
  let text: string;
  try {
    text = readFileSync(resolve(cwd, file), 'utf8');
  } catch (error) {
    throw new SpecError([{ file, path: '$', message: `cannot read the file: ${(error as Error).message}` }]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new SpecError([{ file, path: '$', message: `expected JSON: ${jsonSyntaxError(text) ?? (error as Error).message}` }]);
  }
  return parseJourney(value, file);
}

/**
 * Loads specs from files and folders (a folder: its `*.json` files, sorted, not its subfolders).
 * Problems of every file are reported together.
 */
export function loadJourneys(paths: readonly string[], cwd = process.cwd()): Journey[] {
  const files: string[] = [];
  const problems: SpecProblem[] = [];
  for (const path of paths) {
    let isDir: boolean;
    try {
      isDir = statSync(resolve(cwd, path)).isDirectory();
    } catch {
      problems.push({ file: path, path: '$', message: 'no such file or folder' });
      continue;
    }
    if (!isDir) files.push(path);
    else {
      const found = readdirSync(resolve(cwd, path))
        .filter((name) => extname(name) === '.json')
        .sort()
        .map((name) => join(path, name))
        .filter((file) => statSync(resolve(cwd, file)).isFile());
      if (!found.length) problems.push({ file: path, path: '$', message: 'expected a folder with journey specs (*.json); it has none' });
      files.push(...found);
    }
  }
  const journeys: Journey[] = [];
  for (const file of files) {
    try {
      journeys.push(loadJourneyFile(file, cwd));
    } catch (error) {
      if (!(error instanceof SpecError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length) throw new SpecError(problems);
  return journeys;
}

/** A short, file-name-safe name for a journey: its file name without .json, or its name. */
export function journeySlug(journey: Journey): string {
  const base = journey.file === '<inline>' ? journey.spec.name : basename(journey.file, extname(journey.file));
  return base.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'journey';
}
