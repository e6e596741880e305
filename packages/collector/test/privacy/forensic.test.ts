// After an erasure answers, no byte of the subject is left in the database files: the main file,
// the WAL and the shared-memory index, read byte by byte while the collector runs (its storage
// open, another connection reading) and after it stopped.
import Database from 'better-sqlite3';
import { createStore, openSqliteStorage } from '../../src';
import { useFixtures } from '../helpers';
import { databaseFiles, findNeedles, missing, OTHER, OTHER_NEEDLES, sendScenario, SUBJECT, SUBJECT_NEEDLES } from './forensic';
import { admin, ev, send } from './shop';

const fx = useFixtures();
const settled = <T>(promise: Promise<T>) => {
  const state = { done: false };
  void promise.then(() => (state.done = true), () => (state.done = true));
  return state;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('an erasure, read back from the database files', () => {
  it('leaves no byte of the subject in the main file, WAL or shm, with a reader active and after close; the other customer keeps all', async () => {
    const file = fx.dbFile();
    const storage = createStore(await openSqliteStorage(file));
    let open = true;
    fx.cleanup(() => open && storage.close());
    const { app } = await fx.collector({ storage });
    // The first part reaches the main file by a checkpoint, as a day of traffic would.
    const checkpointer = new Database(file);
    fx.cleanup(() => checkpointer.close());
    await sendScenario(app, () => checkpointer.pragma('wal_checkpoint(TRUNCATE)'));
    expect(findNeedles(file, SUBJECT_NEEDLES).length).toBeGreaterThan(0);
    const before = (await admin(app, 'get', `/v1/privacy/subjects/${OTHER.customerId}`).expect(200)).body;

    // Another connection (another process's export, say) reads from an old snapshot: the
    // erasure waits for it to move on before it answers.
    const reader = new Database(file, { readonly: true });
    fx.cleanup(() => reader.open && reader.close());
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM events').get();
    const erasure = admin(app, 'delete', `/v1/privacy/subjects/${SUBJECT.customerId}`).then((res) => res);
    const state = settled(erasure);
    await sleep(400);
    expect(state.done).toBe(false);
    reader.exec('COMMIT');
    const res = await erasure;
    expect(res.status).toBe(200);
    expect(res.body.counts).toMatchObject({ rejectedEvents: 7, anonymousIds: 2 });

    // While the collector runs: its connections open, the reader's too, traffic going on.
    expect(databaseFiles(file)).toEqual([file, `${file}-wal`, `${file}-shm`]);
    expect(findNeedles(file, SUBJECT_NEEDLES)).toEqual([]);
    expect(missing(file, OTHER_NEEDLES)).toEqual([]);
    // Reading and writing go on: a snapshot taken now holds nothing of the subject either.
    reader.exec('BEGIN');
    expect(reader.prepare('SELECT count(*) FROM events WHERE user_id = ?').pluck().get(SUBJECT.customerId)).toBe(0);
    await send(app, [ev('track', { anonymousId: 'after-erasure', event: 'Product Viewed' }, -1)]);
    expect(findNeedles(file, SUBJECT_NEEDLES)).toEqual([]);
    reader.exec('COMMIT');
    // The device is no longer shared; everything of the other customer is as it was.
    const after = (await admin(app, 'get', `/v1/privacy/subjects/${OTHER.customerId}`).expect(200)).body;
    for (const part of ['profile', 'events', 'rejectedEvents', 'counts']) expect(after[part]).toEqual(before[part]);
    expect(after.rejectedEvents).toEqual([expect.objectContaining({ messageId: 'keep-msg-rej' })]);

    open = false;
    await storage.close();
    reader.close();
    checkpointer.close();
    expect(findNeedles(file, SUBJECT_NEEDLES)).toEqual([]);
    expect(missing(file, OTHER_NEEDLES)).toEqual([]);
  });

  it('answers 503 erasure_incomplete when a reader holds an old snapshot past the wait, and finishes when asked again', async () => {
    const file = fx.dbFile();
    const storage = createStore(await openSqliteStorage(file, { eraseWaitMs: 300 }));
    fx.cleanup(() => storage.close());
    const { app } = await fx.collector({ storage });
    await sendScenario(app);
    const reader = new Database(file, { readonly: true });
    fx.cleanup(() => reader.open && reader.close());
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM events').get();

    const first = await admin(app, 'delete', `/v1/privacy/subjects/${SUBJECT.customerId}`).expect(503);
    expect(first.headers['retry-after']).toBe('5');
    expect(first.body.error).toEqual({ code: 'erasure_incomplete', message: expect.stringMatching(/erased from every table, but older copies .* repeat this request/) });
    // The rows are gone, but the answer did not pretend the bytes were.
    await admin(app, 'get', `/v1/privacy/subjects/${SUBJECT.customerId}`).expect(404);
    expect(findNeedles(file, SUBJECT_NEEDLES).length).toBeGreaterThan(0);
    // Still held: asking again says so again.
    await admin(app, 'delete', `/v1/privacy/subjects/${SUBJECT.customerId}`).expect(503);

    reader.exec('COMMIT');
    const again = await admin(app, 'delete', `/v1/privacy/subjects/${SUBJECT.customerId}`).expect(200);
    expect(again.body).toMatchObject({ ok: true, suppressedUntil: expect.any(String), counts: { rejectedEvents: 7, anonymousIds: 2 } });
    expect(findNeedles(file, SUBJECT_NEEDLES)).toEqual([]);
    // Finished: the id names nothing any more.
    await admin(app, 'delete', `/v1/privacy/subjects/${SUBJECT.customerId}`).expect(404);
  });

  it('finishes at the next start an erasure whose WAL could not be emptied before the collector stopped', async () => {
    const file = fx.dbFile();
    const storage = createStore(await openSqliteStorage(file, { eraseWaitMs: 200 }));
    const { app } = await fx.collector({ storage });
    await sendScenario(app);
    const reader = new Database(file, { readonly: true });
    fx.cleanup(() => reader.open && reader.close());
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM events').get();
    await admin(app, 'delete', `/v1/privacy/subjects/${SUBJECT.customerId}`).expect(503);
    await storage.close();
    reader.exec('COMMIT');
    reader.close();
    expect(findNeedles(file, SUBJECT_NEEDLES).length).toBeGreaterThan(0);

    const reopened = await fx.storage(file);
    expect(findNeedles(file, SUBJECT_NEEDLES)).toEqual([]);
    expect(missing(file, OTHER_NEEDLES)).toEqual([]);
    await expect(reopened.eraseSubject(SUBJECT.customerId, { at: new Date().toISOString(), suppressUntil: null })).resolves.toEqual({ status: 'unknown' });
  });
});
