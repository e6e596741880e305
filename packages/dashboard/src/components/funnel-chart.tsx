// A funnel's drop-off as bars, one per step, each as long as the share of step 1's units that got
// there, with the count and the rates written on it, and what dropped off between two steps.
// The bars are SVG (their length is a geometry attribute, not an inline style, which the CSP
// forbids); the text is HTML laid over them.
import { formatCount, formatRate } from '../format';

export interface FunnelStep {
  step: number;
  name: string;
  units: number;
  dropOff: number | null;
  conversionFromPrevious: number | null;
  conversionFromStart: number | null;
  medianSecondsFromPrevious: number | null;
}

function duration(seconds: number | null): string {
  if (seconds === null) return '';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

export function FunnelChart({ steps, unit }: { steps: FunnelStep[]; unit: string }) {
  const first = steps[0]?.units ?? 0;
  return (
    <ol class="funnel-chart" aria-label={`Funnel of ${unit}s, step by step`}>
      {steps.map((s, i) => {
        const share = first === 0 ? 0 : s.units / first;
        return (
          <li class="funnel-step" data-testid={`funnel-step-${s.step}`} data-units={s.units}>
            <div class="step-name">
              {s.step}. {s.name}
            </div>
            <div class="bar-row">
              <svg class="bar" viewBox="0 0 1000 10" preserveAspectRatio="none" aria-hidden="true">
                <rect class="bar-track" width="1000" height="10" />
                <rect class="bar-fill" width={Math.max(share * 1000, share > 0 ? 4 : 0).toFixed(1)} height="10" />
              </svg>
              <span class="bar-text">
                <strong>{formatCount(s.units)}</strong> {unit}s · {formatRate(s.conversionFromStart)} of step 1
              </span>
            </div>
            {i + 1 < steps.length && (
              <p class="drop">
                ↓ {formatCount(s.dropOff ?? 0)} dropped off; {formatRate(steps[i + 1].conversionFromPrevious)} went on
                {steps[i + 1].medianSecondsFromPrevious !== null && `, after ${duration(steps[i + 1].medianSecondsFromPrevious)} (median)`}
              </p>
            )}
          </li>
        );
      })}
    </ol>
  );
}
