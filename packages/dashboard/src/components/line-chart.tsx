// A time series as hand-written SVG: the current period as a line with its points, the previous
// period dashed. The SVG stretches to the width it gets (no horizontal scrolling on a phone) and
// keeps its strokes thin (non-scaling-stroke); the labels are HTML around it, so text never
// stretches. Its numbers are the table's below it; the figure says what it shows in words.

export interface LineSeries {
  name: string;
  values: number[];
  dashed?: boolean;
}

export interface LineChartProps {
  title: string;
  labels: string[];
  series: LineSeries[];
  format: (value: number) => string;
}

const W = 1000;
const H = 300;

function path(values: number[], max: number, count: number): string {
  const x = (i: number) => (count <= 1 ? W / 2 : (i / (count - 1)) * W);
  const y = (v: number) => H - (max === 0 ? 0 : (v / max) * (H - 10));
  return values.map((v, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
}

export function LineChart({ title, labels, series, format }: LineChartProps) {
  const max = Math.max(0, ...series.flatMap((s) => s.values));
  const count = labels.length;
  const current = series.find((s) => !s.dashed);
  const total = current ? current.values.reduce((a, b) => a + b, 0) : 0;
  const peak = current && current.values.length > 0 ? current.values.indexOf(Math.max(...current.values)) : -1;
  const summary = `${title}: ${count} points from ${labels[0] ?? ''} to ${labels[count - 1] ?? ''}, ${format(total)} in all${peak >= 0 ? `, most on ${labels[peak]} (${format(current!.values[peak])})` : ''}.`;
  return (
    <figure class="chart line-chart">
      <figcaption>
        <span class="chart-title">{title}</span>
        <span class="legend" aria-hidden="true">
          {series.map((s, i) => (
            <span class={`key series-${i}${s.dashed ? ' dashed' : ''}`}>{s.name}</span>
          ))}
        </span>
      </figcaption>
      <div class="plot">
        <span class="y-max" aria-hidden="true">
          {format(max)}
        </span>
        <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={summary}>
          <line class="axis" x1="0" y1={H} x2={W} y2={H} vector-effect="non-scaling-stroke" />
          {series.map((s, i) => (
            <path class={`series series-${i}${s.dashed ? ' dashed' : ''}`} d={path(s.values, max, count)} vector-effect="non-scaling-stroke" fill="none" />
          ))}
        </svg>
      </div>
      <div class="x-labels" aria-hidden="true">
        <span>{labels[0]}</span>
        <span>{labels[count - 1]}</span>
      </div>
    </figure>
  );
}
