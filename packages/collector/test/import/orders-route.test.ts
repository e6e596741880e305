// POST /v1/import/orders: the order import for uploads, behind the admin guard.
import request from 'supertest';
import { MAX_IMPORT_BYTES } from '../../src/import/orders-route';
import { ADMIN_TOKEN, bearer, useFixtures } from '../helpers';
import { addPeople, fakeBuild, signInAs } from '../dashboard/fixture';
import { HEADER, NOW, stored } from './order-import-cases';

// Accounts hash their passwords on purpose slowly: signing in takes a while on a busy machine.
jest.setTimeout(30_000);

const fx = useFixtures();
const CSV = `${HEADER}\no1,alice,,,2026-11-02,phone,mug,Mug,2,9.95,EUR\no2,,,,2026-11-03,store,tea,Tea,1,4.50,EUR\no3,,,,someday,store,tea,Tea,1,4.50,EUR\n`;

async function app() {
  const made = await fx.collector({ now: () => NOW, timeZone: 'Europe/Berlin', dashboardPath: fakeBuild(fx.tempDir()) });
  await addPeople(made.storage.accounts);
  return made;
}

describe('POST /v1/import/orders', () => {
  it('imports the CSV body with the admin token and answers the summary', async () => {
    const { app: collector, storage } = await app();
    const res = await request(collector).post('/v1/import/orders').set('Authorization', bearer(ADMIN_TOKEN)).type('text/csv').send(CSV).expect(200);
    expect(res.body).toMatchObject({ dryRun: false, rows: 3, orders: 2, imported: 2, badRows: 1, bad: [{ line: 4, reason: expect.stringMatching(/^date "someday"/) }] });
    const orders = (await stored(storage)).filter((e) => e.event === 'Order Completed');
    // The shop's time zone: 2026-11-02 is midnight in Berlin.
    expect(orders.map((e) => [e.properties.order_id, e.timestamp])).toEqual([
      ['o1', '2026-11-01T23:00:00.000Z'],
      ['o2', '2026-11-02T23:00:00.000Z'],
    ]);
    const again = await request(collector).post('/v1/import/orders?dryRun=true').set('Authorization', bearer(ADMIN_TOKEN)).type('text/csv').send(CSV).expect(200);
    expect(again.body).toMatchObject({ dryRun: true, imported: 0, duplicates: 2 });
  });

  it('takes the options in the query, and refuses what it cannot read with a clear error', async () => {
    const { app: collector } = await app();
    const post = (query: string, body = CSV, type = 'text/csv') => request(collector).post(`/v1/import/orders${query}`).set('Authorization', bearer(ADMIN_TOKEN)).type(type).send(body);
    const mapped = await post('?map=order_id=Nr', CSV.replace('order_id', 'Nr')).expect(200);
    expect(mapped.body.orders).toBe(2);
    expect((await post('?map=ordernr=Nr').expect(400)).body.error).toMatchObject({ code: 'invalid_import', message: expect.stringMatching(/unknown column "ordernr"/) });
    expect((await post('?country=XX').expect(400)).body.error.message).toMatch(/country must be one of/);
    expect((await post('', '{"batch":[]}', 'application/json').expect(415)).body.error.code).toBe('unsupported_media_type');
    expect((await post('', '').expect(400)).body.error.message).toMatch(/the file is empty/);
    const tooLarge = await request(collector).post('/v1/import/orders').set('Authorization', bearer(ADMIN_TOKEN)).set('Content-Type', 'text/csv').set('Content-Length', String(MAX_IMPORT_BYTES + 1)).send('');
    expect(tooLarge.status).toBe(413);
  });

  it('needs the admin token or an admin’s dashboard session with its CSRF token', async () => {
    const { app: collector } = await app();
    await request(collector).post('/v1/import/orders').type('text/csv').send(CSV).expect(401);
    const viewer = await signInAs(collector, 'vic');
    await request(collector).post('/v1/import/orders').set('Cookie', viewer.cookie).set('X-Spur-CSRF', viewer.csrf).type('text/csv').send(CSV).expect(403);
    const admin = await signInAs(collector, 'ada');
    await request(collector).post('/v1/import/orders').set('Cookie', admin.cookie).type('text/csv').send(CSV).expect(403);
    const res = await request(collector).post('/v1/import/orders').set('Cookie', admin.cookie).set('X-Spur-CSRF', admin.csrf).type('text/csv').send(CSV).expect(200);
    expect(res.body.imported).toBe(2);
  });
});
