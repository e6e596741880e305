// An in-memory database has no writer thread: erasures and purges run on the caller's thread,
// after the appends submitted before them, with the same suppression.
import { createStore, openSqliteStorage } from '../../src';
import { storedEvent } from '../storage/contract';

describe('privacy on an in-memory database', () => {
  it('erases after the appends submitted before, suppresses, and purges', async () => {
    const storage = createStore(await openSqliteStorage(':memory:'));
    try {
      const pending = storage.append({ writeKey: 'wk', events: [storedEvent('2024-01-01T00:00:00.000Z', { userId: 'U' })], rejected: [] });
      const erasure = storage.eraseSubject('U', { at: '2024-05-01T00:00:00.000Z', suppressUntil: '2024-06-01T00:00:00.000Z' });
      await pending;
      expect(await erasure).toMatchObject({ status: 'erased', counts: { events: 1 }, scrubbed: true });
      // Done: asked again, the id names nothing.
      expect(await storage.eraseSubject('U', { at: '2024-05-01T00:00:01.000Z', suppressUntil: null })).toEqual({ status: 'unknown' });
      const later = storedEvent('2024-05-02T00:00:00.000Z', { userId: 'U', receivedAt: '2024-05-02T00:00:00.000Z' });
      await expect(storage.append({ writeKey: 'wk', events: [later], rejected: [] })).resolves.toEqual({ stored: [false], suppressed: 1 });
      await storage.append({ writeKey: 'wk', events: [storedEvent('2024-01-01T00:00:00.000Z', { userId: 'V' })], rejected: [] });
      expect(await storage.purge({ before: '2024-02-01T00:00:00.000Z', now: '2024-05-02T00:00:00.000Z' })).toEqual({ events: 1, rejectedEvents: 0 });
      expect(await storage.countEvents({})).toBe(0);
    } finally {
      await storage.close();
    }
  });
});
