// Shared test helpers: a recording fetch, a clean page between tests, and waiting on IndexedDB.
import { IDBFactory } from 'fake-indexeddb';
import type { Spur } from '../src/client';
import type { BatchRequest, SpurEvent } from '../src/types';

export interface Call {
  url: string;
  init: RequestInit;
  body: BatchRequest;
}

/**
 * What the fake collector answers: a status (and headers, and a JSON body other than the ingest
 * answer, such as the collector's `{ error: { code, message } }`), or a thrown network error.
 */
export type Answer = number | { status: number; headers?: Record<string, string>; body?: unknown } | Error;

/**
 * A fetch that records every request and answers with `answer(call)` (default 200). Requests
 * stay pending while `hold` is set, until `release()`.
 */
export function recorder(answer: (call: Call, index: number) => Answer = () => 200) {
  const calls: Call[] = [];
  const held: (() => void)[] = [];
  let hold = false;
  const fetch = jest.fn((url: RequestInfo | URL, init?: RequestInit) => {
    const call: Call = { url: String(url), init: init!, body: undefined as unknown as BatchRequest };
    calls.push(call);
    // A large body comes as a Blob (src/transport.ts), read before the answer; a string at once.
    const read = init!.body instanceof Blob ? blobText(init!.body).then((text) => (call.body = JSON.parse(text))) : undefined;
    if (!read) call.body = JSON.parse(String(init!.body));
    const reply = async () => {
      if (read) await read;
      const a = answer(call, calls.length - 1);
      if (a instanceof Error) throw a;
      const { status, headers = {}, body } = typeof a === 'number' ? { status: a, body: undefined } : a;
      const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
      const json = body ?? { ok: true, accepted: call.body.batch.length, duplicates: 0, rejected: [] };
      return {
        status,
        ok: status >= 200 && status < 300,
        headers: { get: (name: string) => lower[name.toLowerCase()] ?? null },
        json: async () => json,
        text: async () => JSON.stringify(json),
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

/** A Blob's text (jsdom's Blob has no text()). */
export function blobText(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsText(blob);
  });
}

/** A request body's size in bytes (a string's length: spur's JSON is ASCII). */
export const bodySize = (body: RequestInit['body']): number => (body instanceof Blob ? body.size : String(body).length);

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

/** A row of spur's outbox as stored: owner page, the events' JSON (see src/outbox.ts). */
export type StoredRow = [owner: string, events: string[]];

/** Reads spur's outbox straight from IndexedDB: [key ([order, page]), row], oldest first. */
export async function storedRows(): Promise<[[number, string], StoredRow][]> {
  const db = await new Promise<IDBDatabase | undefined>((resolve) => {
    const open = indexedDB.open('spur');
    open.onupgradeneeded = () => open.result.createObjectStore('outbox');
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => resolve(undefined);
  });
  if (!db) return [];
  const store = db.transaction('outbox').objectStore('outbox');
  const [keys, values] = await Promise.all(
    [store.getAllKeys(), store.getAll()].map((r) => new Promise<unknown[]>((resolve) => (r.onsuccess = () => resolve(r.result)))),
  );
  db.close();
  return (keys as [number, string][]).map((k, i): [[number, string], StoredRow] => [k, values[i] as StoredRow]);
}

/** The events in spur's outbox, oldest first. */
export async function storedEvents(): Promise<SpurEvent[]> {
  return (await storedRows()).flatMap(([, row]) => row[1].map((json) => JSON.parse(json)));
}

/**
 * Web Locks for jsdom (which has none): one lock manager for "the browser", shared by the pages
 * (freshSpur instances) of a test. Exclusive locks, `ifAvailable`, and query().
 */
export function fakeLocks() {
  const held = new Map<string, number>();
  const queue: { name: string; grant: () => void }[] = [];
  let next = 0;
  const take = (name: string, callback: (lock: { name: string } | null) => unknown) => {
    const owner = ++next;
    held.set(name, owner);
    return Promise.resolve()
      .then(() => callback({ name }))
      .finally(() => {
        held.delete(name);
        const waiter = queue.findIndex((w) => w.name === name);
        if (waiter >= 0) queue.splice(waiter, 1)[0].grant();
      });
  };
  const locks = {
    request(name: string, ...args: unknown[]) {
      const callback = args[args.length - 1] as (lock: { name: string } | null) => unknown;
      const options = (args.length > 1 ? args[0] : {}) as { ifAvailable?: boolean };
      if (!held.has(name)) return take(name, callback);
      if (options.ifAvailable) return Promise.resolve().then(() => callback(null));
      return new Promise((resolve, reject) => queue.push({ name, grant: () => take(name, callback).then(resolve, reject) }));
    },
    async query() {
      return { held: [...held.keys()].map((name) => ({ name })), pending: queue.map((w) => ({ name: w.name })) };
    },
  };
  Object.defineProperty(navigator, 'locks', { configurable: true, value: locks });
  return {
    /** Names of the locks held now. */
    held: () => [...held.keys()],
    /** The browser forgets a page that crashed: its locks are gone. */
    crash(name: string) {
      held.delete(name);
    },
    uninstall() {
      delete (navigator as { locks?: unknown }).locks;
    },
  };
}

export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
