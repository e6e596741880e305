// A private demo for Chromium tests: the collector (temporary SQLite file, client clocks
// trusted) and the shop on free loopback ports, from examples/shop/stack.js.

export interface Stack {
  shopUrl: string;
  collectorUrl: string;
  adminToken: string;
  writeKey: string;
  db: string;
  close(): Promise<void>;
}

// stack.js is plain JS; typed here because the test projects have no allowJs.
export const { startStack } = require('../../../examples/shop/stack') as {
  startStack(options?: { adminToken?: string; writeKey?: string; consent?: 'required'; db?: string; via?: (collectorUrl: string) => Promise<string> }): Promise<Stack>;
};

/** GET on the stack's admin API. */
export async function admin<T>(stack: Stack, path: string): Promise<T> {
  const res = await fetch(`${stack.collectorUrl}${path}`, { headers: { authorization: `Bearer ${stack.adminToken}` } });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
