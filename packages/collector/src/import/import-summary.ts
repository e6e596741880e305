// What an order import reports: counts, and the bad rows with their line numbers and reasons
// (the first MAX_LISTED of them; all are counted and kept among the rejected events).

/** Bad rows listed in a summary at most; the count covers all. */
export const MAX_LISTED = 1_000;

export interface ImportSummary {
  /** Nothing was stored: the run only shows what an import would do. */
  dryRun: boolean;
  /** Data rows read (the header not counted). */
  rows: number;
  /** Orders whose rows were all good. */
  orders: number;
  /** Line items of those orders. */
  lineItems: number;
  /** Of those orders: stored by this run (would be, in a dry run). */
  imported: number;
  /** Stored before, the same order: not stored again. */
  duplicates: number;
  /** Orders whose customer was found, by key. */
  matched: { customer_id: number; email: number; phone: number };
  /** Orders of no known customer (each email, phone or order its own customer). */
  unmatched: number;
  /** Orders not stored because they carry an erased customer's id. */
  suppressed: number;
  /** Rows not imported: bad ones, and the other rows of an order with a bad one. */
  badRows: number;
  /** The first MAX_LISTED of them, by line. */
  bad: { line: number; reason: string }[];
  /** Header columns that are none of the import's (left out). */
  ignoredColumns: string[];
}

export function emptySummary(dryRun: boolean): ImportSummary {
  return {
    dryRun,
    rows: 0,
    orders: 0,
    lineItems: 0,
    imported: 0,
    duplicates: 0,
    matched: { customer_id: 0, email: 0, phone: 0 },
    unmatched: 0,
    suppressed: 0,
    badRows: 0,
    bad: [],
    ignoredColumns: [],
  };
}

/**
 * The exit status of `spur import`: 0 when every row was imported (or was a duplicate), 1 when
 * some rows were bad, 2 when nothing was usable (no good order at all).
 */
export function exitStatus(summary: ImportSummary): 0 | 1 | 2 {
  if (summary.orders === 0) return 2;
  return summary.badRows > 0 ? 1 : 0;
}

/** The summary as lines of text, for a terminal or a log. */
export function summaryText(summary: ImportSummary): string {
  const n = (value: number) => value.toLocaleString('en');
  const { matched } = summary;
  const lines = [
    `${summary.dryRun ? 'dry run (nothing stored): ' : ''}${n(summary.rows)} rows, ${n(summary.orders)} orders with ${n(summary.lineItems)} line items`,
    `  ${summary.dryRun ? 'would import' : 'imported'} ${n(summary.imported)}, already stored ${n(summary.duplicates)}${summary.suppressed ? `, not stored (erased customer) ${n(summary.suppressed)}` : ''}`,
    `  matched by customer_id ${n(matched.customer_id)}, email ${n(matched.email)}, phone ${n(matched.phone)}; unmatched ${n(summary.unmatched)}`,
  ];
  if (summary.ignoredColumns.length) lines.push(`  columns left out: ${summary.ignoredColumns.join(', ')}`);
  if (summary.badRows) {
    lines.push(`  bad rows: ${n(summary.badRows)}${summary.dryRun ? '' : ' (kept among the rejected events)'}`);
    for (const { line, reason } of summary.bad) lines.push(`    line ${line}: ${reason}`);
    if (summary.badRows > summary.bad.length) lines.push(`    … and ${n(summary.badRows - summary.bad.length)} more`);
  }
  return `${lines.join('\n')}\n`;
}
