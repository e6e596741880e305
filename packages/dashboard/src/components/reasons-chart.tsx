// Why carts are left: per survey, the answers as bars as long as their share of the lost cart value
// in one currency (the cart-reasons export), with the value, the share, the carts and the answers
// written on them; a chart per currency, since amounts of two currencies never add up. The bars
// are SVG geometry (the CSP forbids inline styles), the text HTML laid over them.
import { formatCount, formatMoney, formatRate } from '../format';

export interface LostValue {
  currency: string | null;
  value: number;
  share: number | null;
}

/** A row of the cart-reasons export. */
export interface ReasonRow {
  surveyId: string | null;
  answer: string | null;
  answers: number;
  abandonedCarts: number;
  recoveredCarts: number;
  lostValue: LostValue[];
  surveyShown: number;
  surveyAnswered: number;
  surveyDismissed: number;
  surveyAnswerRate: number | null;
}

const label = (answer: string | null) => (answer === null ? 'no answer' : answer.replace(/_/g, ' '));

function CurrencyBars({ rows, currency }: { rows: ReasonRow[]; currency: string | null }) {
  const lost = (r: ReasonRow) => r.lostValue.find((x) => x.currency === currency) ?? { currency, value: 0, share: 0 };
  const sorted = [...rows].filter((r) => r.answer !== null).sort((a, b) => lost(b).value - lost(a).value || b.abandonedCarts - a.abandonedCarts);
  return (
    <ol class="funnel-chart reasons-chart" aria-label={`Lost cart value${currency ? ` in ${currency}` : ''} by answer`}>
      {sorted.map((r) => {
        const l = lost(r);
        const share = l.share ?? 0;
        return (
          <li class="funnel-step" data-testid={`reason-${r.surveyId}-${r.answer}-${currency}`} data-value={l.value} data-share={l.share ?? ''} data-carts={r.abandonedCarts} data-answers={r.answers}>
            <div class="step-name">{label(r.answer)}</div>
            <div class="bar-row">
              <svg class="bar" viewBox="0 0 1000 10" preserveAspectRatio="none" aria-hidden="true">
                <rect class="bar-track" width="1000" height="10" />
                <rect class="bar-fill" width={Math.max(share * 1000, share > 0 ? 4 : 0).toFixed(1)} height="10" />
              </svg>
              <span class="bar-text">
                <strong>{formatMoney(l.value, currency)}</strong> lost · {formatRate(l.share)} · {formatCount(r.abandonedCarts)} carts ({formatCount(r.recoveredCarts)} recovered) · {formatCount(r.answers)} answers
              </span>
            </div>
          </li>
        );
      })}
    </ol>
  );
}

/** The reasons of every survey, weighted by lost cart value. */
export function ReasonsChart({ rows }: { rows: ReasonRow[] }) {
  const surveys = [...new Set(rows.map((r) => r.surveyId))];
  return (
    <>
      {surveys.map((id) => {
        const of = rows.filter((r) => r.surveyId === id);
        const first = of[0];
        const currencies = [...new Set(of.flatMap((r) => r.lostValue.map((x) => x.currency)))];
        return (
          <section class="reasons" data-testid={`survey-${id}`} data-shown={first.surveyShown} data-answered={first.surveyAnswered} data-dismissed={first.surveyDismissed}>
            <h3>Survey {id ?? '(no id)'}</h3>
            <p class="hint">
              Shown {formatCount(first.surveyShown)} times, answered {formatCount(first.surveyAnswered)} ({formatRate(first.surveyAnswerRate)}), dismissed {formatCount(first.surveyDismissed)}.
            </p>
            {currencies.length === 0 ? <p class="empty">No abandoned cart with an answer in this period.</p> : currencies.map((c) => <CurrencyBars rows={of} currency={c} />)}
          </section>
        );
      })}
    </>
  );
}
