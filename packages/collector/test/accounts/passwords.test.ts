// Password hashing: scrypt with the documented parameters, a salt per hash, constant-time checks,
// and the same cost for a name without an account.
import { scryptSync } from 'node:crypto';
import { burn, hashPassword, MIN_PASSWORD_LENGTH, passwordProblem, SCRYPT_PARAMS, verifyPassword } from '../../src/accounts/passwords';

jest.setTimeout(30_000);

describe('hashPassword', () => {
  it('stores scrypt with N = 2^16, r = 8, p = 2, a 16-byte salt and a 32-byte key, as a PHC string', async () => {
    const hash = await hashPassword('correct horse battery staple');
    const m = /^\$scrypt\$ln=16,r=8,p=2\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(hash);
    expect(m).not.toBeNull();
    const salt = Buffer.from(m![1], 'base64');
    const key = Buffer.from(m![2], 'base64');
    expect(salt).toHaveLength(16);
    expect(key).toHaveLength(32);
    // The key is scrypt of the password with exactly these parameters (memory-hard: 64 MiB).
    const expected = scryptSync('correct horse battery staple', salt, 32, { N: 2 ** 16, r: 8, p: 2, maxmem: 256 * 1024 * 1024 });
    expect(key.equals(expected)).toBe(true);
    expect(SCRYPT_PARAMS).toEqual({ ln: 16, r: 8, p: 2 });
  });

  it('salts every hash anew: the same password twice gives two hashes', async () => {
    const [a, b] = await Promise.all([hashPassword('the same password'), hashPassword('the same password')]);
    expect(a).not.toBe(b);
  });
});

describe('verifyPassword', () => {
  it('accepts the password and refuses any other, also one differing in a character', async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(await verifyPassword('correct horse battery staple', hash)).toEqual({ ok: true, stale: false });
    expect((await verifyPassword('correct horse battery stapler', hash)).ok).toBe(false);
    expect((await verifyPassword('Correct horse battery staple', hash)).ok).toBe(false);
    expect((await verifyPassword('', hash)).ok).toBe(false);
  });

  it('reads the parameters from the hash, and says when they are not today’s', async () => {
    const old = await hashPassword('an older hash of mine', { ln: 14, r: 8, p: 1 });
    expect(old).toMatch(/^\$scrypt\$ln=14,r=8,p=1\$/);
    expect(await verifyPassword('an older hash of mine', old)).toEqual({ ok: true, stale: true });
  });

  it('never matches a malformed hash, nor one asking for absurd memory', async () => {
    for (const hash of ['', 'plain', '$scrypt$ln=30,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '$argon2id$v=19$m=1,t=1,p=1$x$y']) {
      expect((await verifyPassword('whatever it is', hash)).ok).toBe(false);
    }
  });

  it('treats a password in another Unicode normal form as the same password', async () => {
    const hash = await hashPassword('Gru\u0308\u00dfe aus Ko\u0308ln');
    expect((await verifyPassword('Gr\u00fc\u00dfe aus K\u00f6ln', hash)).ok).toBe(true);
  });
});

describe('burn', () => {
  it('costs about what checking a real password costs (an unknown name answers as slowly as a wrong password)', async () => {
    const hash = await hashPassword('correct horse battery staple');
    const time = async (fn: () => Promise<unknown>) => {
      const start = process.hrtime.bigint();
      await fn();
      return Number(process.hrtime.bigint() - start) / 1e6;
    };
    // Medians of a few runs each, interleaved, so that load on the machine hits both alike.
    const wrong: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 5; i++) {
      wrong.push(await time(() => verifyPassword('not the password', hash)));
      unknown.push(await time(() => burn('not the password')));
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[2];
    expect(median(unknown)).toBeGreaterThan(median(wrong) * 0.5);
    expect(median(unknown)).toBeLessThan(median(wrong) * 2);
  });
});

describe('passwordProblem', () => {
  it(`asks for at least ${MIN_PASSWORD_LENGTH} characters, counted as characters, and no white space at the ends`, () => {
    expect(passwordProblem('short')).toMatch(/at least 12 characters \(got 5\)/);
    expect(passwordProblem('x'.repeat(12))).toBeUndefined();
    expect(passwordProblem('\u{1F511}'.repeat(11))).toMatch(/got 11/);
    expect(passwordProblem(' twelve chars! ')).toMatch(/white space/);
    expect(passwordProblem('x'.repeat(1025))).toMatch(/at most 1024/);
  });
});
