// Rejected events in data subject requests, through the admin API: the access document lists
// every rejected event that carries the customer's ids or emails, wherever in it, as the client
// sent it; the erasure takes exactly those.
import { useFixtures } from '../helpers';
import { describePostgres } from '../postgres/server';
import { postgresBackend, sqliteBackend, type PrivacyBackend } from './backends';
import { LATER, OTHER, sendScenario, SUBJECT, SUBJECT_REJECTED } from './forensic';
import { admin } from './shop';

function rejectedTests(backend: () => PrivacyBackend): void {
  const fx = useFixtures((file) => backend().open(file));
  it('lists the rejected events carrying the ids anywhere, as sent and with their reason, and erases exactly those', async () => {
    const { app, storage } = await fx.collector();
    await sendScenario(app);

    const doc = (await admin(app, 'get', `/v1/privacy/subjects/${SUBJECT.customerId}`).expect(200)).body;
    const listed = doc.rejectedEvents as { messageId?: string; reason: string; raw: string; writeKey: string; receivedAt: string }[];
    expect(listed.map((r) => r.messageId)).toEqual(SUBJECT_REJECTED);
    expect(doc.counts.rejectedEvents).toBe(SUBJECT_REJECTED.length);
    // Each as the client sent it (the conflict as it would have been stored), with its reason.
    for (const row of listed.slice(1)) {
      expect(JSON.parse(row.raw)).toEqual(LATER.find((e) => e.messageId === row.messageId));
      expect(row).toMatchObject({ reason: expect.any(String), writeKey: 'wk_shop', receivedAt: expect.any(String) });
    }
    expect(listed[0]).toMatchObject({ reason: 'conflict: messageId already stored with a different payload' });
    expect(JSON.parse(listed[0].raw)).toMatchObject({ properties: { coupon: 'QF-SECRET-COUPON' } });
    expect(listed.find((r) => r.messageId === 'qf-rej-1')!.reason).toBe('userId must be a non-empty string');

    await admin(app, 'delete', `/v1/privacy/subjects/${SUBJECT.customerId}`).expect(200);
    expect((await storage.listRejected()).map((r) => r.messageId)).toEqual(['keep-msg-rej']);
    const other = (await admin(app, 'get', `/v1/privacy/subjects/${OTHER.customerId}`).expect(200)).body;
    expect(other.rejectedEvents.map((r: { messageId: string }) => r.messageId)).toEqual(['keep-msg-rej']);
  });
}

describe('rejected events in data subject requests (SQLite)', () => rejectedTests(() => sqliteBackend));

describePostgres('rejected events in data subject requests (PostgreSQL)', (db) => {
  const backend = postgresBackend(db);
  rejectedTests(() => backend);
});
