// spur-survey.js: the exit survey's watcher. It asks a visitor who is leaving with a full cart
// why, once: desktop, the pointer leaving the page through the top; touch devices, coming back to
// the tab after leaving it idle. The dialog's code (spur-survey-dialog.js) loads only when the
// survey is about to be shown (or once the visitor could be asked, to show it without a wait).
// spur.js imports this chunk itself once a survey is configured (data-survey on its tag, or
// spur('survey', {...}); kept in spur.V[1]), the cart has items and spur has consent. The chunk's
// own tag still works, alone or beside that:
//   <script async src="https://collector.example/spur-survey.js" data-survey='{"id": ...}'></script>
// One watcher per page however it came (window.spur.W). Never before consent (spur.user() has no
// anonymous id until spur may store and send), at most once per page and once per visitor in
// `everyDays` (localStorage spur_survey: when it was shown). Never throws into the host page.
import { CART_ID } from './cart';
import { MAX_TEXT, parseSurvey, type SurveyConfig } from './survey-config';
import type { open } from './survey-dialog';
import { uuid } from './uuid';

// localStorage: when this browser was last shown a survey (ms since the epoch).
const SURVEY_SHOWN = 'spur_survey';
const DAY = 864e5;

type Line = { price?: unknown; quantity?: unknown; currency?: unknown };
type Spur = {
  track?(event: string, properties: object): void;
  cart(): Line[];
  user(): { anonymousId?: string };
  survey?(config: unknown): void;
  /** spur.js's `[url of the last productViewed(), survey config]`. */
  V?: unknown[];
  /** Set once a watcher runs on the page. */
  W?: 1;
};

// Null when spur.js imported this chunk (a module has no currentScript).
const script = document.currentScript as HTMLScriptElement | null;
// Beside this chunk. Its own tag: from its URL (a cross-origin classic script's import() would
// resolve against about:blank); imported by spur.js as a module, a relative import() resolves
// against the module's URL.
const dialog = script ? `${/^([^?#]*)\//.exec(script.src)?.[1]}/spur-survey-dialog.js` : './spur-survey-dialog.js';
// data-survey (JSON, or the id of a <script type="application/json">) on this chunk's tag, else
// what spur.js has (data-survey on its tag, or spur('survey', {...})).
let source: unknown = script?.dataset.survey;
let shown = false;
type Dialog = { open: typeof open };
let loaded: Promise<Dialog> | undefined;
const w = window as unknown as { spur?: Spur };

const load = (): Promise<Dialog> => (loaded ||= import(dialog));

/** The cart's id: spur.js makes one when a product goes into an empty cart; a cart from before that gets one here. */
function cartId(): string {
  try {
    const id = JSON.parse(localStorage.getItem(CART_ID)!);
    if (typeof id == 'string') return id;
  } catch {
    // none, or not ours: a new one
  }
  const id = uuid();
  try {
    localStorage.setItem(CART_ID, JSON.stringify(id));
  } catch {
    // blocked storage: this page's id only
  }
  return id;
}

/** The survey, if this visitor may be asked now: configured, a cart with items, consent, not asked within everyDays. */
function askable(spur: Spur): SurveyConfig | undefined {
  const config = parseSurvey(source);
  if (shown || typeof config == 'string' || !spur.cart().length || !spur.user().anonymousId) return;
  try {
    const last = Number(localStorage.getItem(SURVEY_SHOWN));
    // Without storage the cap cannot hold: then never ask, rather than on every page.
    if (Date.now() - last >= (config.everyDays ?? 30) * DAY) return config;
  } catch {
    // blocked storage
  }
}

function ask(spur: Spur): void {
  const config = askable(spur);
  if (!config) return;
  shown = true;
  const lines = spur.cart();
  const value = lines.reduce((sum: number, l) => sum + (Number(l.price) || 0) * (Number(l.quantity) > 0 ? Number(l.quantity) : 1), 0);
  const cart = {
    survey_id: config.id,
    question: config.question,
    cart_id: cartId(),
    // Rounded to cents, as spur.js's cart summaries are.
    cart_value: Math.round(value * 100) / 100,
    currency: lines.map((l) => l.currency).find((c) => typeof c == 'string'),
    items: lines.length,
  };
  load()
    .then(({ open }) => {
      open(config, (answer, text) => {
        text = text?.trim().slice(0, MAX_TEXT);
        if (answer == null) spur.track!('Survey Dismissed', cart);
        else spur.track!('Survey Answered', { ...cart, answer, ...(text ? { text } : {}) });
      });
      spur.track!('Survey Shown', cart);
      // (askable() read it a moment ago: storage works.)
      localStorage.setItem(SURVEY_SHOWN, String(Date.now()));
    })
    .catch(() => {
      // The dialog could not load (offline, blocked): another exit may try again.
      shown = false;
      loaded = undefined;
    });
}

function watch(): void {
  const spur = w.spur;
  if (!spur?.track) return console.warn('[spur] spur-survey.js needs spur.js on the page');
  // Its tag and spur.js's import() are two copies of this code: the first watches, alone.
  if (spur.W) return;
  spur.W = 1;
  source ??= spur.V?.[1];
  const guard = (work: () => void) => () => {
    try {
      work();
    } catch {
      // never into the host page
    }
  };
  spur.survey = (config: unknown) => {
    source = config;
    check();
  };
  // A configuration the shop must fix is said, debug or not, as a missing write key is.
  const check = () => {
    const config = parseSurvey(source);
    if (typeof config == 'string') console.warn(`[spur] ${config}`);
    else guard(() => askable(spur) && load().catch(() => (loaded = undefined)))();
  };
  if (source != null) check();
  // Desktop: the pointer leaves the page through its top edge (to the tabs, the address bar, the
  // close button).
  document.addEventListener('mouseout', (e) => !e.relatedTarget && e.clientY <= 0 && guard(() => ask(spur))());
  // Touch devices have no pointer to leave with; leaving is hiding the tab. A hidden page cannot
  // show anything, so the survey waits for the visitor to come back: one who paused (no touch,
  // scroll or key for touchIdleSeconds) and then left to compare or think is still deciding, and
  // sees the question on return. Leaving right after a tap (a payment app, a link) does not count.
  if (matchMedia('(pointer: coarse)').matches) {
    let active = Date.now();
    let armed = false;
    for (const type of ['pointerdown', 'scroll', 'keydown']) addEventListener(type, () => (active = Date.now()), { capture: true, passive: true });
    document.addEventListener(
      'visibilitychange',
      guard(() => {
        const config = parseSurvey(source);
        const idle = (typeof config == 'string' ? 0 : (config.touchIdleSeconds ?? 15)) * 1000;
        if (document.visibilityState == 'hidden') armed = Date.now() - active >= idle;
        else if (armed) (armed = false), ask(spur);
      }),
    );
  }
}

// spur.js (an async script too) has run by the load event.
document.readyState == 'complete' ? watch() : addEventListener('load', watch);
