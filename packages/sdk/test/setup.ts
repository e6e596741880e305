// jsdom has IndexedDB only through fake-indexeddb, and fake-indexeddb needs structuredClone,
// which jsdom's window lacks; v8's serializer clones the plain data spur stores.
import 'fake-indexeddb/auto';
import { deserialize, serialize } from 'node:v8';

if (typeof globalThis.structuredClone !== 'function') {
  globalThis.structuredClone = ((value: unknown) => deserialize(serialize(value))) as typeof structuredClone;
}
