// The script-tag build: <script async src=".../spur.js" data-write-key="KEY"></script>.
// Installs window.spur, replays the calls the stub queued, and inits when a write key is known;
// what init() needs no answer for right away runs in a task after this script (client.ts).
import { createSpur, type Spur } from './client';
import { scriptConfig, setDebug, warn } from './config';

// Read once, first: document.currentScript is set only while this script runs.
const tag = scriptConfig(document.currentScript as HTMLScriptElement | null);

type Command = (command: string, ...args: unknown[]) => unknown;
type Global = Command & Partial<Spur> & { q?: ArrayLike<unknown>[] };

const w = window as unknown as { spur?: Global };
const stub = w.spur;

// Loaded twice (two tags, or a tag and a tag manager): the first copy stays in charge.
if (!stub?.track) {
  const api = createSpur(true);
  // Commands go to window.spur's methods: spur('survey', {...}) reaches the one spur-survey.js adds.
  const spur: Global = Object.assign((command: string, ...args: unknown[]) => {
    const method = spur[command as keyof Spur] as ((...a: unknown[]) => unknown) | undefined;
    return method ? method(...args) : warn('unknown command', command);
  }, api);
  w.spur = spur;

  // A misuse in the queued calls must not stop the rest of the replay: report it the way an
  // uncaught error would, but later.
  const replay = (args: ArrayLike<unknown>) => {
    try {
      // The stub's `arguments` objects spread like arrays.
      spur(...(args as unknown as [string]));
    } catch (error) {
      setTimeout(() => {
        throw error;
      });
    }
  };

  // A queued init is applied first, over the tag's attributes; then the other calls, in order.
  const calls: ArrayLike<unknown>[] = [];
  for (const args of stub?.q || []) args[0] == 'init' ? Object.assign(tag, args[1]) : calls.push(args);
  setDebug(tag.debug);
  // Without a key spur cannot send, and does nothing: the one misuse it always warns about, debug
  // or not (a queued init, or one called later, still starts it).
  if (tag.writeKey) replay(['init', tag]);
  else console.warn('[spur] no data-write-key');
  calls.forEach(replay);
}
