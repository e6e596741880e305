// What an erasure leaves in PostgreSQL's pages, read with pageinspect (the heap pages of every
// table an erasure deletes from, tuple by tuple): the dead tuples of the erased rows stay while
// another session holds an older snapshot (the erasure answers scrubbed: false), and are gone once
// the erasure is asked again after that session ended (VACUUM ran: scrubbed: true).
import type { StoredEvent } from '@spur/sdk';
import { Client } from 'pg';
import { createStore } from '../../../src/rules/store';
import { openPostgresStorage } from '../../../src/storage/postgres/storage';
import { describePostgres } from '../../postgres/server';

const SECRET = 'forensic-customer-7f3a9c';
const TABLES = ['events', 'identity_links', 'aliases', 'rejected_events', 'suppressions'];
const at = '2024-05-01T12:00:00.000Z';

describePostgres('an erasure in PostgreSQL pages', (db) => {
  it('keeps dead tuples while an older snapshot is held (scrubbed: false), and none after VACUUM (scrubbed: true)', async () => {
    const url = await db.fresh();
    const store = createStore(await openPostgresStorage(url, { eraseWaitMs: 300 }));
    const admin = new Client({ connectionString: url });
    const reader = new Client({ connectionString: url });
    await Promise.all([admin.connect(), reader.connect()]);
    try {
      await admin.query('CREATE EXTENSION IF NOT EXISTS pageinspect');
      // Tuples whose data holds the id, in the heap pages of the tables, dead or alive.
      const tuplesWithSecret = async () => {
        let found = 0;
        for (const table of TABLES) {
          const { rows } = await admin.query(
            `SELECT count(*)::int AS n FROM generate_series(0, (pg_relation_size($1::regclass) / current_setting('block_size')::int)::int - 1) AS b,
               LATERAL heap_page_items(get_raw_page($1::text, b)) AS t
             WHERE t.t_data IS NOT NULL AND position(convert_to($2, 'UTF8') IN t.t_data) > 0`,
            [table, SECRET],
          );
          found += rows[0].n;
        }
        return found;
      };
      const event = (n: number, fields: Record<string, string>): StoredEvent => ({
        type: n === 0 ? 'identify' : 'track',
        event: 'Product Viewed',
        messageId: `scrub-${n}`,
        timestamp: at,
        originalTimestamp: at,
        receivedAt: at,
        ...fields,
      });
      await store.append({
        writeKey: 'wk',
        events: [event(0, { anonymousId: 'device-1', userId: SECRET }), event(1, { anonymousId: 'device-1', userId: SECRET }), event(2, { anonymousId: 'someone-else' })],
        rejected: [{ raw: JSON.stringify({ userId: SECRET, type: 'nope' }), reason: 'invalid type', writeKey: 'wk', receivedAt: at }],
      });
      expect(await tuplesWithSecret()).toBeGreaterThan(0);

      // A session holding a snapshot from before the erasure: VACUUM could not remove the tuples.
      await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      await reader.query('SELECT count(*) FROM events');
      const first = await store.eraseSubject(SECRET, { at, suppressUntil: null });
      expect(first).toMatchObject({ status: 'erased', scrubbed: false });
      expect(await tuplesWithSecret()).toBeGreaterThan(0); // dead, but in the pages

      await reader.query('COMMIT');
      const again = await store.eraseSubject(SECRET, { at, suppressUntil: null });
      expect(again).toMatchObject({ status: 'erased', scrubbed: true });
      expect(await tuplesWithSecret()).toBe(0);
      // Someone else's event is still there.
      expect((await admin.query("SELECT count(*)::int AS n FROM events WHERE anonymous_id = 'someone-else'")).rows[0].n).toBe(1);
    } finally {
      await Promise.all([admin.end(), reader.end()]);
      await store.close();
    }
  }, 30_000);
});
