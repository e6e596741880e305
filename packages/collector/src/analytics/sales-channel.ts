// The sales channel an event names (i15 "Sales channel"): `context.channel` says where an order
// or a contact happened when it is a word of the shop's own (`phone`, `fax`, `store`, `email`,
// `marketplace`, ...), and nothing about it when it is one of the values that Segment-family
// libraries put there to say what sent the event (`web` from spur's SDK, `server`, `browser`,
// `mobile` ...). An event with a sales channel is in that channel; every other event is in its
// session's marketing channel (channels.ts). Read once per event (from-event.ts) and kept in the
// stored facts, so the engine never sees a library's value.

/** Values clients put in context.channel to name themselves: never a sales channel. */
export const LIBRARY_CHANNELS: ReadonlySet<string> = new Set([
  'web',
  'browser',
  'client',
  'server',
  'mobile',
  'app',
  'react-native',
  'ios',
  'android',
  'desktop',
  'tv',
  'sdk',
  'sources',
  'cloud',
]);

// A word: a letter, then letters, digits, '_' or '-', at most 32 characters.
const WORD = /^[a-z][a-z0-9_-]{0,31}$/;

/**
 * The sales channel `context.channel` names, lower-cased and trimmed (a shop that writes `Phone`
 * means `phone`); undefined for a library's value, anything that is not a short word, or none.
 */
export function salesChannel(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const word = value.trim().toLowerCase();
  return WORD.test(word) && !LIBRARY_CHANNELS.has(word) ? word : undefined;
}
