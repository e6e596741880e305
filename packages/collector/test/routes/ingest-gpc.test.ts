// Global Privacy Control at the collector: `Sec-GPC: 1` counts as consent denied unless the
// collector is configured to ignore it or the visitor granted consent on the site. Events kept
// out by GPC are answered as `suppressed`; those of an erased subject as duplicates, so that
// the public write key cannot probe who asked for erasure.
import request from 'supertest';
import { NOW, SERVER_KEY, track, useFixtures } from '../helpers';

const fx = useFixtures();

const granted = (overrides: Record<string, unknown> = {}) => track({ context: { consent: 'granted' }, ...overrides });

describe('Sec-GPC: 1', () => {
  it('by default stores none of the events and answers how many were suppressed, and why', async () => {
    const { app, storage } = await fx.collector();
    const res = await request(app)
      .post('/v1/batch')
      .set('X-Spur-Write-Key', SERVER_KEY)
      .set('Sec-GPC', '1')
      .send({ batch: [track({ anonymousId: 'gpc-visitor' }), track({ anonymousId: 'gpc-visitor' })] })
      .expect(200);
    expect(res.body).toEqual({ ok: true, accepted: 0, duplicates: 0, rejected: [], suppressed: 2, reason: 'gpc' });
    expect(await storage.getProfile('gpc-visitor')).toBeNull();
  });

  it('stores the events the visitor granted consent for (context.consent), and only those', async () => {
    const { app, storage } = await fx.collector();
    const yes = granted({ anonymousId: 'consenting' });
    const res = await request(app)
      .post('/v1/batch')
      .set('X-Spur-Write-Key', SERVER_KEY)
      .set('Sec-GPC', '1')
      .send({ batch: [yes, track({ anonymousId: 'silent' }), track({ anonymousId: 'silent', context: { consent: 'denied' } })] })
      .expect(200);
    expect(res.body).toEqual({ ok: true, accepted: 1, duplicates: 0, rejected: [], suppressed: 2, reason: 'gpc' });
    expect(await storage.getProfileEvents('consenting')).toEqual([expect.objectContaining({ messageId: yes.messageId })]);
    expect(await storage.getProfile('silent')).toBeNull();
  });

  it('lists invalid events as rejected but keeps only those with consent among rejected events', async () => {
    const { app, storage } = await fx.collector();
    const res = await request(app)
      .post('/v1/batch')
      .set('X-Spur-Write-Key', SERVER_KEY)
      .set('Sec-GPC', '1')
      .send({
        batch: [
          { type: 'track', anonymousId: 'silent', messageId: 'no-name' },
          { type: 'track', anonymousId: 'consenting', messageId: 'no-name-granted', context: { consent: 'granted' } },
          track(),
        ],
      })
      .expect(200);
    // accepted + duplicates + rejected + suppressed: every event sent is accounted for.
    expect(res.body).toEqual({
      ok: true,
      accepted: 0,
      duplicates: 0,
      rejected: [
        { index: 0, messageId: 'no-name', reason: 'event is required' },
        { index: 1, messageId: 'no-name-granted', reason: 'event is required' },
      ],
      suppressed: 1,
      reason: 'gpc',
    });
    expect((await storage.listRejected()).map((r) => r.messageId)).toEqual(['no-name-granted']);
  });

  it('is honoured on the fast path and on the full middleware stack alike', async () => {
    const { app, storage } = await fx.collector();
    for (const cookie of [undefined, 'theme=dark']) {
      const req = request(app).post('/v1/track').set('Content-Type', 'text/plain').set('X-Spur-Write-Key', SERVER_KEY).set('Sec-GPC', '1');
      if (cookie) req.set('Cookie', cookie);
      const res = await req.send(JSON.stringify(track({ anonymousId: 'gpc-single' }))).expect(200);
      expect(res.body).toMatchObject({ accepted: 0, suppressed: 1, reason: 'gpc' });
    }
    expect(await storage.getProfile('gpc-single')).toBeNull();
  });

  it("is ignored with gpc: 'ignore' (SPUR_GPC=ignore): events are stored and the answer is the plain one", async () => {
    const { app, storage } = await fx.collector({ gpc: 'ignore' });
    const res = await request(app)
      .post('/v1/batch')
      .set('X-Spur-Write-Key', SERVER_KEY)
      .set('Sec-GPC', '1')
      .send({ batch: [track({ anonymousId: 'shop-ignores-gpc' })] })
      .expect(200);
    expect(res.body).toEqual({ ok: true, accepted: 1, duplicates: 0, rejected: [] });
    expect(await storage.getProfile('shop-ignores-gpc')).toMatchObject({ eventCount: 1 });
  });

  it('answers events of an erased data subject as duplicates, never naming the erasure', async () => {
    const { app, storage } = await fx.collector();
    await request(app).post('/v1/batch').set('X-Spur-Write-Key', SERVER_KEY).send({ batch: [track({ userId: 'erased-1' })] }).expect(200);
    await storage.eraseSubject('erased-1', { at: new Date(NOW).toISOString(), suppressUntil: '2099-01-01T00:00:00.000Z' });
    const post = (gpc: boolean) => {
      const req = request(app).post('/v1/batch').set('X-Spur-Write-Key', SERVER_KEY);
      if (gpc) req.set('Sec-GPC', '1');
      return req.send({ batch: [track({ userId: 'erased-1' }), granted({ userId: 'erased-1' }), track({ anonymousId: 'other' })] });
    };
    expect((await post(false)).body).toEqual({ ok: true, accepted: 1, duplicates: 2, rejected: [] });
    // With GPC, two are kept out by it; the granted one reaches storage, which drops it as erased.
    expect((await post(true)).body).toEqual({ ok: true, accepted: 0, duplicates: 1, rejected: [], suppressed: 2, reason: 'gpc' });
    expect(await storage.getProfile('erased-1')).toBeNull();
  });

  it.each([
    ['no Sec-GPC header', undefined],
    ['Sec-GPC: 0', '0'],
  ])('does not change a request with %s', async (_what, value) => {
    const { app } = await fx.collector();
    const req = request(app).post('/v1/batch').set('X-Spur-Write-Key', SERVER_KEY);
    if (value !== undefined) req.set('Sec-GPC', value);
    const res = await req.send({ batch: [track()] }).expect(200);
    expect(res.body).toEqual({ ok: true, accepted: 1, duplicates: 0, rejected: [] });
  });
});
