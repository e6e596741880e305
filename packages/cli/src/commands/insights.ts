import { renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { INSIGHT_KINDS, INSIGHT_PARAMETERS, parsePurchaseModelParams, runInsight, type InsightKind } from '@spur/collector';
import { openDatabase, parseFlags, UsageError, type Io } from '../io';

// The route's parameters as flags: calibrationEnd is --calibration-end; includeBots, a switch.
const flagOf = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const SWITCHES = new Set(['includeBots']);

const PARAMETERS = [...new Set(INSIGHT_KINDS.flatMap((k) => INSIGHT_PARAMETERS[k].map((p) => p.name)))];

const options = {
  ...Object.fromEntries(PARAMETERS.map((name) => [flagOf(name), { type: SWITCHES.has(name) ? 'boolean' : 'string' }])),
  db: { type: 'string' },
  url: { type: 'string' },
  token: { type: 'string' },
  out: { type: 'string', short: 'o' },
} as Record<string, { type: 'string' | 'boolean'; short?: string }>;

/** A running collector's insight: GET /v1/insights/<kind> with the admin token. */
async function remoteInsight(url: string, token: string, kind: InsightKind, params: URLSearchParams): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`${url.replace(/\/+$/, '')}/v1/insights/${kind}?${params}`, { headers: { authorization: `Bearer ${token}` } });
  } catch (err) {
    throw new Error(`cannot reach ${url}: ${((err as Error).cause as Error)?.message ?? (err as Error).message}`);
  }
  const text = await res.text();
  if (res.ok) return JSON.parse(text);
  let message = text;
  try {
    message = JSON.parse(text).error.message;
  } catch {
    // not the collector's error shape: show the body as it came
  }
  throw new Error(`${url} answered ${res.status}: ${message}`);
}

/**
 * `spur insights purchase-model --calibration-end DAY [--holdout-end DAY]`: the admin API's
 * /v1/insights/*, from the database file (SPUR_DB / --db) or a running collector (--url, --token).
 */
export async function insights(args: string[], io: Io): Promise<number> {
  const { positionals, values } = parseFlags(args, options, true) as { positionals: string[]; values: Record<string, string | boolean | undefined> };
  const kind = positionals[0] as InsightKind;
  if (positionals.length !== 1 || !INSIGHT_KINDS.includes(kind)) throw new UsageError(`expected one of ${INSIGHT_KINDS.join(', ')}`);
  const query: Record<string, string> = {};
  for (const name of PARAMETERS) {
    const value = values[flagOf(name)];
    if (value === undefined || value === false) continue;
    if (!INSIGHT_PARAMETERS[kind].some((p) => p.name === name)) throw new UsageError(`${kind} does not take --${flagOf(name)}`);
    query[name] = value === true ? 'true' : value;
  }
  if (values.url && values.db) throw new UsageError('give --db or --url, not both');
  const url = (values.url as string | undefined) ?? io.env.SPUR_URL;
  const token = (values.token as string | undefined) ?? io.env.SPUR_ADMIN_TOKEN;

  let answer: unknown;
  if (url && !values.db) {
    if (!token) throw new UsageError('--url needs the admin token: --token or SPUR_ADMIN_TOKEN');
    // Checked here first, so that a mistake names the flag (the collector would name the parameter).
    try {
      parsePurchaseModelParams(query, Date.now(), (name) => `--${flagOf(name)}`);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    try {
      answer = await remoteInsight(url, token, kind, new URLSearchParams(query));
    } catch (err) {
      io.err(`spur insights: ${(err as Error).message}\n`);
      return 1;
    }
  } else {
    const storage = await openDatabase((values.db as string | undefined) ?? io.env.SPUR_DATABASE_URL ?? io.env.SPUR_DB ?? './data/spur.db');
    try {
      answer = await runInsight(storage, kind, query, { spell: (name) => `--${flagOf(name)}` });
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (status === 400) throw new UsageError((err as Error).message);
      io.err(`spur insights: ${(err as Error).message}\n`);
      return 1;
    } finally {
      await storage.close();
    }
  }
  const text = `${JSON.stringify(answer, null, 2)}\n`;
  if (typeof values.out === 'string') {
    // Written next to the target and renamed: a file that is there is complete.
    const partial = join(dirname(values.out), `.${basename(values.out)}.${process.pid}.partial`);
    writeFileSync(partial, text);
    renameSync(partial, values.out);
    io.err(`spur insights: wrote ${kind} to ${values.out}\n`);
  } else io.out(text);
  return 0;
}
