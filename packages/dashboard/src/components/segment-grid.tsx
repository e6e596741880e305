// The RFM grid: recency (5 at the top) against FM, the mean of the frequency and monetary scores,
// each cell with its customers and named after its segment; a segment's cells share a colour. A
// cell is a button that chooses its segment (the list below shows its customers). A real table:
// a screen reader reads a cell with its row and column.
import { formatCount } from '../format';

export interface SegmentCell {
  recency: number;
  fm: number;
  segment: string;
  customers: number;
}

/** A segment's name as a CSS class (style.css colours them). */
export const segmentClass = (segment: string) => `seg-${segment.toLowerCase().replace(/[^a-z]+/g, '-')}`;

export function SegmentGrid({ grid, chosen, choose }: { grid: SegmentCell[]; chosen: string | undefined; choose: (segment: string) => void }) {
  const rows = [5, 4, 3, 2, 1].map((r) => grid.filter((c) => c.recency === r).sort((a, b) => a.fm - b.fm));
  return (
    <table class="rfm" data-testid="segment-grid">
      <caption>Customers by recency (rows) and frequency and monetary value (columns)</caption>
      <thead>
        <tr>
          <th scope="col">
            <span class="visually-hidden">Recency score</span>
            <span aria-hidden="true">R \ FM</span>
          </th>
          {[1, 2, 3, 4, 5].map((fm) => (
            <th scope="col">FM {fm}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((cells, i) => (
          <tr>
            <th scope="row">R {5 - i}</th>
            {cells.map((c) => (
              <td class={`${segmentClass(c.segment)}${c.segment === chosen ? ' chosen' : ''}`} data-recency={c.recency} data-fm={c.fm} data-customers={c.customers}>
                <button type="button" aria-pressed={c.segment === chosen} onClick={() => choose(c.segment)}>
                  <span class="count">{formatCount(c.customers)}</span>
                  <span class="name">{c.segment}</span>
                </button>
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
