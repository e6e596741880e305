// Reads for analytics and exports. Events are read in row order (arrival order): the rowid is the
// cursor, so each page is one index range read however large the table, and no timestamp index
// has to be kept up to date by every ingest just for exports.
import type { Database } from 'better-sqlite3';
import type { StoredEvent } from '@spur/sdk';
import type { IdentityGraph } from '../../analytics';
import type { EventRange, RawEvent } from '../types';

export interface AnalyticsReader {
  eventsAfter(afterSeq: number, limit: number): { seq: number; event: StoredEvent }[];
  lastSeq(): number;
  identityGraph(): IdentityGraph;
  eventPage(range: EventRange, afterSeq: number, limit: number): RawEvent[];
  countEvents(range: EventRange): number;
}

// Stored timestamps are normalized ISO strings (24 characters, UTC), so text order is time order.
const iso = (ms: number | undefined, fallback: string) => (ms === undefined ? fallback : new Date(ms).toISOString());
const bounds = (range: EventRange) => ({ from: iso(range.from, ''), to: iso(range.to, '\uffff') });

export function createAnalyticsReader(db: Database): AnalyticsReader {
  const q = {
    after: db.prepare('SELECT rowid AS seq, body FROM events WHERE rowid > ? ORDER BY rowid LIMIT ?').raw(),
    // The last row of the table's b-tree: one page read, however many rows.
    last: db.prepare('SELECT coalesce(max(rowid), 0) FROM events').pluck(),
    links: db.prepare('SELECT anonymous_id AS anonymousId, user_id AS userId, first_seen AS firstSeen FROM identity_links ORDER BY anonymous_id, user_id'),
    aliases: db.prepare('SELECT previous_id AS previousId, user_id AS userId FROM aliases ORDER BY created_at, previous_id'),
    page: db
      .prepare(
        `SELECT rowid AS seq, timestamp, body FROM events
         WHERE rowid > @after AND timestamp >= @from AND timestamp < @to ORDER BY rowid LIMIT @limit`,
      )
      .raw(),
    count: db.prepare('SELECT count(*) FROM events WHERE timestamp >= @from AND timestamp < @to').pluck(),
  };
  return {
    eventsAfter(afterSeq, limit) {
      const rows = q.after.all(afterSeq, limit) as [number, string][];
      return rows.map(([seq, body]) => ({ seq, event: JSON.parse(body) as StoredEvent }));
    },
    lastSeq: () => q.last.get() as number,
    identityGraph() {
      return { links: q.links.all() as IdentityGraph['links'], aliases: q.aliases.all() as IdentityGraph['aliases'] };
    },
    eventPage(range, afterSeq, limit) {
      const rows = q.page.all({ ...bounds(range), after: afterSeq, limit }) as [number, string, string][];
      return rows.map(([seq, timestamp, body]) => ({ seq, timestamp, body }));
    },
    countEvents: (range) => q.count.get(bounds(range)) as number,
  };
}
