// A plain HTML table of an export's rows, sortable by a column (a button in its header, so the
// keyboard reaches it), with the export's CSV for the same query one link away. On a phone each
// row becomes a card of label and value (style.css), so nothing scrolls sideways.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';

export interface Column<T> {
  key: string;
  label: string;
  /** The value sorted by (and shown, unless `render` is given). */
  value: (row: T) => string | number | null;
  render?: (row: T) => ComponentChildren;
  numeric?: boolean;
}

export interface TableProps<T> {
  caption: string;
  columns: Column<T>[];
  rows: T[];
  /** The export's CSV for the same query. */
  csv?: string;
  /** A name for the downloaded file. */
  csvName?: string;
  empty?: string;
  /** At most this many rows are drawn (the CSV has them all). @defaultValue 500 */
  limit?: number;
  /** The initial sort. */
  sort?: { key: string; descending: boolean };
  testId?: string;
}

export function DataTable<T>(props: TableProps<T>) {
  const [sort, setSort] = useState(props.sort);
  const limit = props.limit ?? 500;
  const column = props.columns.find((c) => c.key === sort?.key);
  const rows = column
    ? [...props.rows].sort((a, b) => {
        const x = column.value(a);
        const y = column.value(b);
        const order = x === y ? 0 : x === null ? 1 : y === null ? -1 : x < y ? -1 : 1;
        return sort!.descending ? -order : order;
      })
    : props.rows;
  return (
    <section class="table-block" data-testid={props.testId}>
      <div class="table-head">
        <h2>{props.caption}</h2>
        {props.csv && (
          <a class="button" href={props.csv} download={props.csvName ?? true}>
            Download CSV<span class="visually-hidden"> of {props.caption.toLowerCase()}</span>
          </a>
        )}
      </div>
      {rows.length === 0 ? (
        <p class="empty">{props.empty ?? 'Nothing in this period.'}</p>
      ) : (
        <table>
          <caption class="visually-hidden">{props.caption}</caption>
          <thead>
            <tr>
              {props.columns.map((c) => {
                const sorted = sort?.key === c.key;
                return (
                  <th scope="col" class={c.numeric ? 'num' : undefined} aria-sort={sorted ? (sort!.descending ? 'descending' : 'ascending') : undefined}>
                    <button type="button" class="sort" onClick={() => setSort({ key: c.key, descending: sorted ? !sort!.descending : !!c.numeric })}>
                      {c.label}
                      <span aria-hidden="true">{sorted ? (sort!.descending ? ' ↓' : ' ↑') : ''}</span>
                    </button>
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {rows.slice(0, limit).map((row) => (
              <tr>
                {props.columns.map((c) => (
                  <td class={c.numeric ? 'num' : undefined} data-label={c.label}>
                    {c.render ? c.render(row) : (c.value(row) ?? '–')}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {rows.length > limit && (
        <p class="more">
          The first {limit} of {rows.length} rows; the CSV has them all.
        </p>
      )}
    </section>
  );
}
