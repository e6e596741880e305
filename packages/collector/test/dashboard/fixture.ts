// A dashboard build in a temporary folder, as packages/dashboard's build lays it out (manifest,
// hashed files with their .gz and .br copies), and accounts signed in over HTTP: what the tests of
// the collector's dashboard routes need without building the real app.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import request from 'supertest';
import type { Express } from 'express';
import { addAccount } from '../../src/accounts/users';
import type { AccountStorage } from '../../src/storage/accounts';

export const PASSWORD = 'correct horse battery staple';
export const SCRIPT = 'app-ABCDEFGH12.js';
export const STYLE = 'app-IJKLMNOP34.css';

/** Writes a build into `dir`; answers `dir`. */
export function fakeBuild(dir: string): string {
  mkdirSync(join(dir, 'assets'), { recursive: true });
  const files: Record<string, string> = { [SCRIPT]: 'document.body.dataset.ran = "yes";\n'.repeat(20), [STYLE]: 'body { margin: 0 }\n'.repeat(20) };
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(dir, 'assets', name), text);
    writeFileSync(join(dir, 'assets', `${name}.gz`), gzipSync(text));
    writeFileSync(join(dir, 'assets', `${name}.br`), brotliCompressSync(text));
  }
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ script: SCRIPT, style: STYLE, files: Object.keys(files) }));
  return dir;
}

export async function addPeople(accounts: AccountStorage): Promise<void> {
  await addAccount(accounts, { name: 'ada', role: 'admin', password: PASSWORD, now: Date.now() });
  await addAccount(accounts, { name: 'vic', role: 'viewer', password: PASSWORD, now: Date.now() });
}

/** Signs in through the form; answers the Cookie header to send and the CSRF token. */
export async function signInAs(app: Express, name: string, headers: Record<string, string> = {}): Promise<{ cookie: string; csrf: string }> {
  const res = await request(app).post('/dashboard/login').set(headers).type('form').send({ username: name, password: PASSWORD });
  if (res.status !== 303) throw new Error(`sign-in as ${name}: ${res.status} ${res.text}`);
  const cookie = (res.headers['set-cookie'] as unknown as string[])[0].split(';')[0];
  const session = await request(app).get('/dashboard/session').set(headers).set('Cookie', cookie).expect(200);
  return { cookie, csrf: session.body.csrfToken };
}
