import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { useFixtures } from '../helpers';

const fx = useFixtures();

function sdkFile(source = 'window.spur=function(){};'): string {
  const file = join(fx.tempDir(), 'spur.js');
  writeFileSync(file, source);
  return file;
}

describe('GET /spur.js', () => {
  it('serves the bundle as JavaScript with a short public cache and a strong ETag', async () => {
    const { app } = await fx.collector({ sdkPath: sdkFile() });
    const res = await request(app).get('/spur.js');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/javascript; charset=utf-8');
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.text).toBe('window.spur=function(){};');
  });

  it('answers 304 without a body when If-None-Match carries the ETag', async () => {
    const { app } = await fx.collector({ sdkPath: sdkFile() });
    const { headers } = await request(app).get('/spur.js');
    const res = await request(app).get('/spur.js').set('If-None-Match', headers.etag);
    expect(res.status).toBe(304);
    expect(res.text).toBe('');
    expect(res.headers.etag).toBe(headers.etag);
  });

  it('changes the ETag when the bundle is rebuilt', async () => {
    const file = sdkFile('one();');
    const { app } = await fx.collector({ sdkPath: file });
    const first = (await request(app).get('/spur.js')).headers.etag;
    writeFileSync(file, 'two(); // rebuilt');
    const res = await request(app).get('/spur.js').set('If-None-Match', first);
    expect(res.status).toBe(200);
    expect(res.text).toBe('two(); // rebuilt');
    expect(res.headers.etag).not.toBe(first);
  });

  it('answers 404 JSON when the bundle is not built', async () => {
    const { app } = await fx.collector({ sdkPath: join(fx.tempDir(), 'missing.js') });
    const res = await request(app).get('/spur.js');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});
