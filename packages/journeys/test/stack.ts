// A private demo for Chromium tests: the collector (temporary SQLite file, client clocks
// trusted) and the shop on free loopback ports, from examples/shop/stack.js; and useDemo(), which
// starts one and a Chromium for a test file and plays runs against them.
import type { Browser } from 'playwright';
import { launchChromium } from '../src/browser';
import { describeFailure, playRun, type RunOptions, type RunResult } from '../src/runner';
import { parseJourney, type JourneySpec } from '../src/spec';

export interface Stack {
  shopUrl: string;
  collectorUrl: string;
  adminToken: string;
  writeKey: string;
  db: string;
  close(): Promise<void>;
}

export interface StackOptions {
  adminToken?: string;
  writeKey?: string;
  consent?: 'required';
  db?: string;
  /** Given the collector's URL, the URL the shop's pages send to instead (a proxy in front of it). */
  via?: (collectorUrl: string) => Promise<string>;
}

// stack.js is plain JS; typed here because the test projects have no allowJs.
export const { startStack } = require('../../../examples/shop/stack') as {
  startStack(options?: StackOptions): Promise<Stack>;
};

/** GET on the stack's admin API. */
export async function admin<T>(stack: Stack, path: string): Promise<T> {
  const res = await fetch(`${stack.collectorUrl}${path}`, { headers: { authorization: `Bearer ${stack.adminToken}` } });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** A demo and a Chromium, started for a test file. */
export interface Demo {
  readonly stack: Stack;
  readonly browser: Browser;
  /** Run options against this demo. */
  options(extra?: Partial<RunOptions>): RunOptions;
  /** Plays run 1 of a spec against this demo. */
  play(spec: JourneySpec, extra?: Partial<RunOptions>): Promise<RunResult>;
}

/** Starts a private demo and a Chromium before the file's tests (beforeAll) and stops both after them. */
export function useDemo(stackOptions?: StackOptions): Demo {
  let started: { stack: Stack; browser: Browser } | undefined;
  beforeAll(async () => {
    const stack = await startStack(stackOptions);
    started = { stack, browser: await launchChromium() };
  });
  afterAll(async () => {
    await started?.browser.close();
    await started?.stack.close();
  });
  const demo: Demo = {
    get stack() {
      return started!.stack;
    },
    get browser() {
      return started!.browser;
    },
    options: (extra = {}) => ({ baseUrl: demo.stack.shopUrl, collectorUrl: demo.stack.collectorUrl, adminToken: demo.stack.adminToken, ...extra }),
    play: (spec, extra) => playRun(demo.browser, parseJourney(spec), 1, demo.options(extra)),
  };
  return demo;
}

/** A run's failures as lines, so a failing assertion shows them. */
export const failuresOf = (result: RunResult) => result.failures.map((f) => describeFailure(result, f));
