// "__proto__", "constructor" and "prototype" keys never reach an object's prototype: refused at
// the edge, and harmless where stored data is merged (profile traits).
import request from 'supertest';
import type { StoredEvent } from '@spur/sdk';
import { SERVER_KEY, useFixtures } from '../helpers';

const fx = useFixtures();
const RECEIVED = '2024-05-01T11:00:00.000Z';

const identify = (messageId: string, traitsJson: string, timestamp: string): StoredEvent => ({
  type: 'identify',
  messageId,
  userId: 'cust-proto',
  // As JSON.parse makes it (and as the database hands it back): "__proto__" is an own key.
  traits: JSON.parse(traitsJson),
  timestamp,
  originalTimestamp: timestamp,
  receivedAt: RECEIVED,
});

describe('prototype keys', () => {
  it('are rejected with a reason at any depth, and nothing of them reaches a profile', async () => {
    const { app, storage } = await fx.collector();
    const body = `{"batch":[
      {"type":"identify","messageId":"p1","userId":"cust-proto","traits":{"__proto__":{"admin":true}}},
      {"type":"identify","messageId":"p2","userId":"cust-proto","traits":{"plan":"gold","address":{"constructor":{"prototype":{"admin":true}}}}},
      {"type":"identify","messageId":"p3","userId":"cust-proto","traits":{"plan":"gold"}}
    ]}`;
    const res = await request(app).post('/v1/batch').set('X-Spur-Write-Key', SERVER_KEY).set('Content-Type', 'text/plain').send(body);
    expect(res.body).toEqual({
      ok: true,
      accepted: 1,
      duplicates: 0,
      rejected: [
        { index: 0, messageId: 'p1', reason: 'traits has a key "__proto__", which is not allowed' },
        { index: 1, messageId: 'p2', reason: 'traits.address has a key "constructor", which is not allowed' },
      ],
    });
    const profile = await storage.getProfile('cust-proto');
    expect(profile?.traits).toEqual({ plan: 'gold' });
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('stored before validation refused them, stay out of the merged profile traits', async () => {
    const storage = await fx.storage();
    await storage.append({
      writeKey: SERVER_KEY,
      events: [
        identify('old-1', '{"plan":"silver","__proto__":{"admin":true}}', '2024-04-01T10:00:00.000Z'),
        identify('old-2', '{"plan":"gold","constructor":"x"}', '2024-04-02T10:00:00.000Z'),
      ],
      rejected: [],
    });
    // The stored body still holds the key as data...
    const [first] = (await storage.getProfileEvents('cust-proto'))!;
    expect(Object.prototype.hasOwnProperty.call(first.traits, '__proto__')).toBe(true);
    // ...but the merge leaves it out, so it cannot become the traits' prototype.
    const profile = await storage.getProfile('cust-proto');
    expect(Object.getPrototypeOf(profile!.traits)).toBe(Object.prototype);
    expect((profile!.traits as Record<string, unknown>).admin).toBeUndefined();
    expect(profile!.traits).toEqual({ plan: 'gold', constructor: 'x' });
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });
});
