// Rejected events in SQLite: one compact row per group received together, listed exactly as
// sent, indexed by keyed hashes of their values; and databases of version 4 (a row per rejected
// event) upgraded to that, terms included.
import Database from 'better-sqlite3';
import { createStore } from '../../../src/rules/store';
import { openSqliteStorage } from '../../../src/storage';
import { decodeEntries, encodeEntries } from '../../../src/storage/rejected-codec';
import { rejectedValues } from '../../../src/storage/rejected-values';
import { migrate, SCHEMA_VERSION } from '../../../src/storage/sqlite/schema';
import { CONFLICT_REASON, type RejectedEvent } from '../../../src/storage/types';
import { useFixtures } from '../../helpers';
import { storedEvent } from '../contract';

const fx = useFixtures();
const RECEIVED = '2024-05-01T12:00:00.000Z';

describe('rejected events in SQLite', () => {
  it('keeps the rejects of one request in one deflated row and lists them as sent, in order', async () => {
    const file = fx.dbFile();
    const storage = await fx.storage(file);
    const flood: RejectedEvent[] = Array.from({ length: 5000 }, (_, i) => ({
      raw: i % 2 ? '{}' : '{"type":"track"}',
      reason: i % 2 ? 'type must be one of track, page, identify, alias, group, screen' : 'event is required',
      ...(i === 7 && { messageId: 'seven' }),
      writeKey: 'wk',
      receivedAt: RECEIVED,
    }));
    const later = { raw: '[1,2]', reason: 'event must be an object', writeKey: 'wk2', receivedAt: '2024-05-01T12:00:01.000Z' };
    await storage.append({ writeKey: 'wk', events: [], rejected: [...flood, later] });
    expect(await storage.listRejected()).toEqual([...flood, later]);
    expect(await storage.listRejected({ limit: 3 })).toEqual(flood.slice(0, 3));

    const db = new Database(file, { readonly: true });
    fx.cleanup(() => db.close());
    const rows = db.prepare('SELECT events, length(body) AS bytes FROM rejected_events ORDER BY id').all() as { events: number; bytes: number }[];
    expect(rows.map((r) => r.events)).toEqual([5000, 1]); // a row per write key and receipt time
    const sent = flood.reduce((sum, r) => sum + r.raw.length + 1, 0);
    expect(rows[0].bytes).toBeLessThan(sent / 10);
  });

  it('encodes reasons, messageIds and raw text of any kind losslessly', () => {
    const entries = [
      { reason: CONFLICT_REASON, messageId: 'm-1', raw: '{"type":"track","properties":{"note":"line\\nbreak, ünïcødé, 🛒"}}' },
      { reason: 'properties.items[3].name is longer than 8192 characters', raw: 'not json at all\n{"still": "text"}' },
      { reason: 'event must be an object', raw: '' },
      { reason: 'x'.repeat(300), messageId: '0', raw: '"🛒"'.repeat(200) },
    ];
    expect(decodeEntries(encodeEntries(entries))).toEqual(entries);
    expect(decodeEntries(encodeEntries([{ reason: 'r', raw: '{}' }]))).toEqual([{ reason: 'r', raw: '{}' }]);
  });

  it('indexes a bounded set of values, ids first, and none of the message fields', () => {
    const many = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, `value-${i}`]));
    const values = rejectedValues(JSON.stringify({ type: 'track', messageId: 'm-1', timestamp: 'now', properties: many, userId: ['cus_1', 7], anonymousId: 'a-1' }));
    expect(values).toHaveLength(64);
    expect(values.slice(0, 3)).toEqual(['cus_1', '7', 'a-1']);
    expect(values).not.toContain('track');
    expect(values).not.toContain('m-1');
    expect(rejectedValues(JSON.stringify({ properties: { long: 'x'.repeat(257), price: 42 } }))).toEqual([]);
  });

  it('upgrades a version 4 database: rejected events keep their order and reasons, and subjects find theirs', async () => {
    const file = fx.dbFile();
    const v4 = new Database(file);
    migrate(v4, { upTo: 4 });
    const identify = storedEvent('2024-01-01T00:00:00.000Z', { type: 'identify', anonymousId: 'A', userId: 'U', traits: { email: 'u@example.com' } });
    v4.prepare(
      'INSERT INTO events (message_id, type, anonymous_id, user_id, timestamp, received_at, write_key, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(identify.messageId, 'identify', 'A', 'U', identify.timestamp, identify.receivedAt, 'wk', JSON.stringify(identify));
    v4.prepare("INSERT INTO identity_links (anonymous_id, user_id, first_seen) VALUES ('A', 'U', ?)").run(identify.timestamp);
    const insert = v4.prepare('INSERT INTO rejected_events (message_id, reason, write_key, received_at, raw, fingerprint) VALUES (?, ?, ?, ?, ?, ?)');
    const old = [
      ['r1', 'a', 'wk', RECEIVED, JSON.stringify({ userId: ['U'] }), null],
      [null, 'b', 'wk', RECEIVED, JSON.stringify({ type: 'track', properties: { email: ' U@Example.com' } }), null],
      ['c-1', CONFLICT_REASON, 'wk', RECEIVED, JSON.stringify({ messageId: 'c-1', userId: 'U', event: 'X' }), 'f'.repeat(32) + '@'],
      [null, 'd', 'wk2', '2024-05-01T12:00:01.000Z', JSON.stringify({ type: 'track', userId: 'someone else' }), null],
    ] as const;
    for (const row of old) insert.run(...row);
    v4.prepare("INSERT INTO erasures (subject_hash, erased_at, counts) VALUES ('00', ?, '{}')").run(RECEIVED);
    v4.close();

    const storage = await fx.storage(file);
    expect((await storage.listRejected()).map((r) => [r.messageId, r.reason, r.writeKey, r.receivedAt, r.raw])).toEqual(
      old.map(([messageId, reason, writeKey, receivedAt, raw]) => [messageId ?? undefined, reason, writeKey, receivedAt, raw]),
    );
    const found = await storage.findSubject('U');
    if (found.status !== 'found') throw new Error(found.status);
    expect((await storage.subjectRejected(found.subject, 0)).rows.map((r) => r.reason)).toEqual(['a', 'b', CONFLICT_REASON]);
    // A converted conflict still counts: the same conflicting payload is not recorded twice.
    const db = new Database(file, { readonly: true });
    fx.cleanup(() => db.close());
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.prepare('SELECT events FROM rejected_events ORDER BY id').pluck().all()).toEqual([2, 1, 1]);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'rejected_events_v4'").pluck().get()).toBe(0);
    // The erasure made before the upgrade had its WAL emptied at this start.
    expect(db.prepare('SELECT scrubbed_at IS NOT NULL FROM erasures').pluck().get()).toBe(1);
  });

  it('keeps a conflict once per distinct payload across reopen', async () => {
    const file = fx.dbFile();
    const e = storedEvent('2024-01-01T00:00:00.000Z', { anonymousId: 'A' });
    const storage = createStore(await openSqliteStorage(file));
    await storage.append({ writeKey: 'wk', events: [e], rejected: [] });
    await storage.append({ writeKey: 'wk', events: [{ ...e, event: 'Other' }], rejected: [] });
    await storage.close();
    const again = await fx.storage(file);
    await again.append({ writeKey: 'wk', events: [{ ...e, event: 'Other' }], rejected: [] });
    expect((await again.listRejected()).map((r) => r.reason)).toEqual([CONFLICT_REASON]);
  });
});
