// Shared test helpers: a recording fetch, a clean page between tests, and waiting on IndexedDB.
import { IDBFactory } from 'fake-indexeddb';
import type { Spur } from '../src/client';
import type { BatchRequest, SpurEvent } from '../src/types';

export interface Call {
  url: string;
  init: RequestInit;
  body: BatchRequest;
}

/** What the fake collector answers: a status (and headers), or a thrown network error. */
export type Answer = number | { status: number; headers?: Record<string, string> } | Error;

/**
 * A fetch that records every request and answers with `answer(call)` (default 200). Requests
 * stay pending while `hold` is set, until `release()`.
 */
export function recorder(answer: (call: Call, index: number) => Answer = () => 200) {
  const calls: Call[] = [];
  const held: (() => void)[] = [];
  let hold = false;
  const fetch = jest.fn((url: RequestInfo | URL, init?: RequestInit) => {
    const call: Call = { url: String(url), init: init!, body: JSON.parse(String(init!.body)) };
    calls.push(call);
    const reply = async () => {
      const a = answer(call, calls.length - 1);
      if (a instanceof Error) throw a;
      const { status, headers = {} } = typeof a === 'number' ? { status: a } : a;
      const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
      return {
        status,
        ok: status >= 200 && status < 300,
        headers: { get: (name: string) => lower[name.toLowerCase()] ?? null },
        json: async () => ({ ok: true, accepted: call.body.batch.length, duplicates: 0, rejected: [] }),
      } as unknown as Response;
    };
    if (!hold) return reply();
    return new Promise<Response>((resolve, reject) => held.push(() => reply().then(resolve, reject)));
  });
  return {
    fetch: fetch as unknown as typeof globalThis.fetch,
    calls,
    /** Every event sent, in request order. */
    events: (): SpurEvent[] => calls.flatMap((c) => c.body.batch),
    hold() {
      hold = true;
    },
    release() {
      hold = false;
      held.splice(0).forEach((f) => f());
    },
  };
}

// fake-indexeddb schedules with Node's real setImmediate, which jest's fake timers leave alone.
const realImmediate: (fn: () => void) => void = jest.requireActual('timers').setImmediate;

/** Lets IndexedDB and promises run: a few real macrotasks. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => realImmediate(r));
}

/** Waits (in real macrotasks) until `check` holds; fails the test after `rounds`. */
export async function until(check: () => boolean, rounds = 500): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    if (check()) return;
    await new Promise<void>((r) => realImmediate(r));
  }
  throw new Error(`condition not met: ${check}`);
}

/**
 * Makes document.cookie throw, as it does in sandboxed iframes and with site data blocked.
 * (jest.spyOn on both the getter and the setter of one property does not restore cleanly.)
 */
export function blockCookies(): () => void {
  const original = Object.getOwnPropertyDescriptor(Document.prototype, 'cookie')!;
  const fail = () => {
    throw new DOMException('The operation is insecure.', 'SecurityError');
  };
  Object.defineProperty(Document.prototype, 'cookie', { configurable: true, get: fail, set: fail });
  return () => Object.defineProperty(Document.prototype, 'cookie', original);
}

export function clearCookies(): void {
  for (const pair of document.cookie.split('; ')) {
    const name = pair.split('=')[0];
    if (name) document.cookie = `${name}=; Max-Age=0; Path=/`;
  }
}

/** A clean page: no cookies, no storage, a fresh IndexedDB, the URL at /. */
export function cleanPage(): void {
  clearCookies();
  localStorage.clear();
  globalThis.indexedDB = new IDBFactory();
  history.replaceState(null, '', '/');
}

/**
 * A spur instance from freshly loaded modules, as after a page load: state kept in cookies,
 * localStorage and IndexedDB carries over, module state (memory fallbacks) does not.
 */
export function freshSpur(): Spur {
  let spur: Spur | undefined;
  jest.isolateModules(() => {
    spur = (require('../src/client') as typeof import('../src/client')).createSpur();
  });
  return spur!;
}

/** Reads spur's outbox straight from IndexedDB. */
export async function storedEvents(): Promise<SpurEvent[]> {
  const { createOutbox } = jest.requireActual('../src/outbox') as typeof import('../src/outbox');
  return createOutbox().peek();
}

export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
