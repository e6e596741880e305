// The script-tag build: <script async src=".../spur.js" data-write-key="KEY"></script>.
// Installs window.spur, replays the calls the stub queued, and inits when a write key is known;
// what init() needs no answer for right away runs in a task after this script (client.ts).
import { createSpur, type Spur } from './client';
import { scriptConfig, setDebug, warn, type Config } from './config';

// Read once, first: document.currentScript is set only while this script runs. (data-survey and
// data-auto-product come along as `survey` and `autoProduct`.)
const tag: Partial<Config> & { autoProduct?: string } = scriptConfig(document.currentScript as HTMLScriptElement | null);

type Command = (command: string, ...args: unknown[]) => unknown;
type Global = Command & Partial<Spur> & { q?: ArrayLike<unknown>[] };

const w = window as unknown as { spur?: Global };
const stub = w.spur;

// Chunks, from the collector that serves spur.js (the endpoint: data-endpoint, or spur.js's own
// URL without its file name; given with a trailing slash, `//spur-…`, which the collector serves too), as ES modules (CORS). Not a relative
// import(): from a cross-origin classic script it resolves against about:blank. A second import()
// of a chunk evaluates nothing; a chunk that also has its own tag on the page guards against its
// second copy. Failing to load (offline, blocked) is said in debug mode, never thrown.
const chunk = (name: string) => import(`${tag.endpoint}/spur-${name}.js`).catch(warn);

// Loaded twice (two tags, or a tag and a tag manager): the first copy stays in charge.
if (!stub?.track) {
  // The exit survey (data-survey, or spur('survey', {...}), kept in spur.V[1] for the chunk) loads
  // once the visitor could be asked: a survey, a cart with items, consent. Checked after every
  // event stored (only then has spur consent) and when the survey is set.
  const api = createSpur(true, () => api.V[1] && api.cart()[0] && chunk('survey'));
  // Commands go to window.spur's methods: spur('survey', {...}) reaches the one spur-survey.js adds.
  const spur: Global = Object.assign((command: string, ...args: unknown[]) => {
    return spur[command as keyof Spur] ? (spur[command as keyof Spur] as (...a: unknown[]) => unknown)(...args) : warn('unknown command', command);
  }, api);
  w.spur = spur;
  // Product Viewed from JSON-LD, unless turned off: on pageshow (after the load event; spur.js,
  // an async script, runs before it), if the page has any. (A spur.js added after the load event,
  // by a tag manager, does not look: spur-jsonld.js's own tag does.)
  addEventListener('pageshow', () => document.querySelector('[type$="ld+json"]') && tag.autoProduct != 'false' && chunk('jsonld'));

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
