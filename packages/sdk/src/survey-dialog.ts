// spur-survey-dialog.js: the exit survey's dialog, an ES module that spur-survey.js imports when it
// is about to ask. A modal dialog in a shadow root (the shop's CSS cannot break it, it cannot
// break the shop's), styled through a constructed stylesheet (no inline <style>: fine under a
// strict CSP) with --spur-survey-* custom properties, in the shop's font. Accessible: role
// dialog, aria-modal, labelled by its question; focus moves in and back; Tab stays inside; Esc,
// the close button and a click beside it dismiss; the options are a labelled radio group.
import { MAX_TEXT, type SurveyConfig } from './survey-config';

const CSS = `
:host{all:initial;font:inherit;font-family:var(--spur-survey-font,inherit);color:var(--spur-survey-fg,#1a1a1a)}
.backdrop{position:fixed;inset:0;z-index:2147483647;display:flex;align-items:center;justify-content:center;padding:16px;box-sizing:border-box;background:var(--spur-survey-backdrop,rgba(0,0,0,.45))}
.dialog{position:relative;box-sizing:border-box;width:min(var(--spur-survey-width,26rem),100%);max-height:100%;overflow:auto;padding:1.25rem 1.5rem;line-height:1.4;background:var(--spur-survey-bg,#fff);border-radius:var(--spur-survey-radius,12px);box-shadow:0 10px 40px rgba(0,0,0,.25)}
fieldset{border:0;margin:0;padding:0;min-width:0}
legend{padding:0 2rem .75rem 0;font-weight:600;font-size:1.1em}
.option{display:flex;gap:.5rem;align-items:center;padding:.35rem 0;cursor:pointer}
input{margin:0;accent-color:var(--spur-survey-accent,#1a1a1a)}
.free{display:block;margin-top:.75rem}
textarea{display:block;box-sizing:border-box;width:100%;margin-top:.35rem;padding:.5rem;font:inherit;color:inherit;background:transparent;border:1px solid var(--spur-survey-border,#c8c8c8);border-radius:calc(var(--spur-survey-radius,12px) / 2)}
.submit{margin-top:1rem;padding:.6rem 1.2rem;font:inherit;font-weight:600;border:0;cursor:pointer;color:var(--spur-survey-accent-fg,#fff);background:var(--spur-survey-accent,#1a1a1a);border-radius:calc(var(--spur-survey-radius,12px) / 2)}
.close{position:absolute;top:.5rem;right:.5rem;width:2.25rem;height:2.25rem;font:inherit;font-size:1.5rem;line-height:1;color:inherit;background:transparent;border:0;border-radius:50%;cursor:pointer}
:focus-visible{outline:2px solid var(--spur-survey-focus,#1a73e8);outline-offset:2px}
`;

/** An element with attributes (and parts, for ::part() styling) and children; text is set as text, never parsed. */
function h(tag: string, attributes: Record<string, string | number>, ...children: (Node | string)[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, String(value));
  el.append(...children);
  return el;
}

function style(root: ShadowRoot): void {
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } catch {
    // Browsers before constructed stylesheets (Safari < 16.4): a <style> (which a strict CSP may block).
    root.append(h('style', {}, CSS));
  }
}

/**
 * Shows the survey. `done(answer, text)` once: the chosen option's value and the free text, or no
 * answer when the visitor dismissed it.
 */
export function open(config: SurveyConfig, done: (answer?: string, text?: string) => void): void {
  const host = h('div', { 'data-spur-survey': config.id });
  const root = host.attachShadow({ mode: 'open' });
  style(root);
  const radios = config.options.map((o, i) => h('input', { type: 'radio', name: 'answer', value: o.value, ...(i ? {} : { required: '' }) }) as HTMLInputElement);
  const text = config.freeText && (h('textarea', { name: 'text', maxlength: MAX_TEXT, rows: 3 }) as HTMLTextAreaElement);
  const close = h('button', { type: 'button', class: 'close', part: 'close', 'aria-label': config.closeLabel || 'Close' }, '×');
  const form = h(
    'form',
    { class: 'dialog', part: 'dialog', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'spur-survey-question' },
    close,
    h(
      'fieldset',
      {},
      h('legend', { id: 'spur-survey-question', part: 'question' }, config.question),
      ...config.options.map((o, i) => h('label', { class: 'option', part: 'option' }, radios[i], o.label)),
    ),
    ...(text ? [h('label', { class: 'free', part: 'free-text' }, config.freeText!.label, text)] : []),
    h('button', { type: 'submit', class: 'submit', part: 'submit' }, config.submitLabel || 'Send'),
  );
  const backdrop = h('div', { class: 'backdrop', part: 'backdrop' }, form);
  root.append(backdrop);

  const before = document.activeElement as HTMLElement | null;
  const finish = (answer?: string) => {
    host.remove();
    before?.focus?.();
    done(answer, answer == null ? undefined : text?.value);
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const chosen = radios.find((r) => r.checked);
    if (chosen) finish(chosen.value);
  });
  close.addEventListener('click', () => finish());
  backdrop.addEventListener('click', (e) => e.target == backdrop && finish());
  form.addEventListener('keydown', (e) => {
    if (e.key == 'Escape') return e.preventDefault(), finish();
    if (e.key != 'Tab') return;
    // The tab stops: a radio group is one (its checked radio, else its first), as browsers make it.
    const checked = radios.find((r) => r.checked) || radios[0];
    const stops = [...root.querySelectorAll<HTMLElement>('button, input, textarea')].filter((el) => !(el instanceof HTMLInputElement) || el == checked);
    const at = stops.indexOf(root.activeElement as HTMLElement);
    const next = e.shiftKey ? (at <= 0 ? stops.length - 1 : -1) : at == stops.length - 1 ? 0 : -1;
    if (next >= 0) e.preventDefault(), stops[next].focus();
  });
  document.body.append(host);
  radios[0].focus();
}
