// The ingest service without HTTP: what an importer (or any caller other than the ingest route)
// gets when it hands over a batch it has read, over a real SQLite store.
import { createIngestLimits } from '../../src/ingest/limits';
import { createIngestService, VALIDATION_SLICE, type IngestFacts } from '../../src/ingest/service';
import { createKeyring } from '../../src/cors';
import { silentLogger } from '../../src/log';
import { createLimitLog } from '../../src/limit-log';
import { NOW, WRITE_KEY, WRITE_KEYS, track, useFixtures } from '../helpers';

const fx = useFixtures();
const client = { ip: '203.0.113.7', method: 'IMPORT', path: 'orders.csv' };
const facts: IngestFacts = { client, gpc: false };

async function service(options: { gpc?: 'honor' | 'ignore'; rejectedCap?: number; eventRate?: number } = {}) {
  const store = await fx.storage();
  const limits = createIngestLimits({
    requests: { perIp: 0, perWriteKey: 0 },
    events: { perIp: options.eventRate ?? 0, perWriteKey: options.eventRate ?? 0 },
    rejected: { perIp: options.rejectedCap ?? 0, perWriteKey: 0 },
    keyring: createKeyring(WRITE_KEYS),
    now: () => NOW,
    ipMode: 'truncate',
    log: createLimitLog({ logger: silentLogger, now: () => NOW }),
    isIngest: () => true,
  });
  const ingest = createIngestService({ store, clientClock: 'correct', ipMode: 'truncate', gpc: options.gpc ?? 'honor', now: () => NOW, limits });
  return { store, ingest };
}

describe('createIngestService', () => {
  it('validates, stores once per messageId and answers per event, with the clock of the service', async () => {
    const { store, ingest } = await service();
    const good = track({ anonymousId: 'a1' });
    const answer = await ingest.ingest({ writeKey: WRITE_KEY, events: [good, { type: 'track' }], escapes: false }, facts);
    expect(answer).toEqual({ ok: true, accepted: 1, duplicates: 0, rejected: [{ index: 1, reason: expect.any(String) }] });
    const again = await ingest.ingest({ writeKey: WRITE_KEY, events: [good], escapes: false }, facts);
    expect(again).toMatchObject({ accepted: 0, duplicates: 1 });
    const [stored] = (await store.getProfileEvents('a1'))!;
    expect(stored.receivedAt).toBe(new Date(NOW).toISOString());
    expect(stored.writeKey).toBeUndefined(); // kept in its own column
    expect(await store.listRejected()).toEqual([expect.objectContaining({ writeKey: WRITE_KEY, receivedAt: new Date(NOW).toISOString() })]);
  });

  it('applies the type a caller implies, and validates a long batch in slices', async () => {
    const { store, ingest } = await service();
    const events = Array.from({ length: VALIDATION_SLICE * 2 + 1 }, () => ({ ...track({ anonymousId: 'slices' }), type: undefined }));
    const answer = await ingest.ingest({ writeKey: WRITE_KEY, events, type: 'track', escapes: false }, facts);
    expect(answer.accepted).toBe(events.length);
    expect((await store.getProfile('slices'))!.eventCount).toBe(events.length);
  });

  it('honours GPC: what the visitor did not grant is neither stored nor kept as rejected', async () => {
    const { store, ingest } = await service();
    const granted = track({ anonymousId: 'g', context: { consent: 'granted' } });
    const answer = await ingest.ingest(
      { writeKey: WRITE_KEY, events: [track({ anonymousId: 'g' }), granted, { type: 'track', anonymousId: 'g' }], escapes: false },
      { ...facts, gpc: true },
    );
    expect(answer).toMatchObject({ accepted: 1, suppressed: 1, reason: 'gpc', rejected: [expect.objectContaining({ index: 2 })] });
    expect((await store.getProfileEvents('g'))!.map((e) => e.messageId)).toEqual([granted.messageId]);
    expect(await store.listRejected()).toEqual([]);
    // GPC ignored: stored as any other.
    const ignoring = await service({ gpc: 'ignore' });
    expect(await ignoring.ingest.ingest({ writeKey: WRITE_KEY, events: [track()], escapes: false }, { ...facts, gpc: true })).toMatchObject({ accepted: 1 });
  });

  it('charges the write key for the events and caps the rejected events stored for the client', async () => {
    const capped = await service({ rejectedCap: 2 });
    const invalid = Array.from({ length: 5 }, () => ({ type: 'track' }));
    const answer = await capped.ingest.ingest({ writeKey: WRITE_KEY, events: invalid, escapes: false }, facts);
    expect(answer.rejected).toHaveLength(5); // answered all the same
    expect(await capped.store.listRejected()).toHaveLength(2);

    const limited = await service({ eventRate: 1 });
    const many = Array.from({ length: 10 }, () => track());
    await limited.ingest.ingest({ writeKey: WRITE_KEY, events: many, escapes: false }, facts);
    await expect(limited.ingest.ingest({ writeKey: WRITE_KEY, events: [track()], escapes: false }, facts)).rejects.toMatchObject({ status: 429 });
  });
});
