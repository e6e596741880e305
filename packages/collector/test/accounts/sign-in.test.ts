// Signing in over a real SQLite file: sessions, their expiry, the CSRF token, and the limits on
// failed attempts per account name and per address, with no difference between an unknown name
// and a wrong password.
import { csrfMatches, csrfToken, endSession, resumeSession, SESSION_IDLE_MS, SESSION_LIFETIME_MS, sessionId, TOUCH_EVERY_MS } from '../../src/accounts/sessions';
import { ACCOUNT_FAILURES, ADDRESS_FAILURES, FAILURE_WINDOW_MS, SIGN_IN_FAILED, signIn } from '../../src/accounts/sign-in';
import { addAccount } from '../../src/accounts/users';
import { useFixtures } from '../helpers';

jest.setTimeout(120_000);

const fx = useFixtures();
const NOW = Date.parse('2024-05-01T12:00:00.000Z');
const PASSWORD = 'correct horse battery staple';

async function withAda() {
  const storage = await fx.storage();
  await addAccount(storage.accounts, { name: 'Ada', role: 'admin', password: PASSWORD, now: NOW });
  return storage.accounts;
}

describe('signIn', () => {
  it('starts a session for the right password, whatever the case of the name, and stores only the token’s hash', async () => {
    const accounts = await withAda();
    const result = await signIn(accounts, { name: ' ADA ', password: PASSWORD, ip: '192.0.2.1', now: NOW });
    if (!result.ok) throw new Error(result.message);
    expect(result).toMatchObject({ account: 'ada', role: 'admin', expiresAt: new Date(NOW + SESSION_LIFETIME_MS).toISOString() });
    expect(result.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await accounts.session(result.token)).toBeUndefined();
    expect(await accounts.session(sessionId(result.token))).toMatchObject({ account: 'ada', role: 'admin' });
  });

  it('answers an unknown name exactly as a wrong password', async () => {
    const accounts = await withAda();
    const wrong = await signIn(accounts, { name: 'ada', password: 'not the password', ip: '192.0.2.1', now: NOW });
    const unknown = await signIn(accounts, { name: 'nobody', password: 'not the password', ip: '192.0.2.2', now: NOW });
    expect(wrong).toEqual({ ok: false, status: 401, message: SIGN_IN_FAILED });
    expect(unknown).toEqual(wrong);
  });

  it(`refuses a name after ${ACCOUNT_FAILURES} failures in 15 minutes, from any address, even with the right password, until the oldest is 15 minutes old`, async () => {
    const accounts = await withAda();
    for (let i = 0; i < ACCOUNT_FAILURES; i++) {
      expect(await signIn(accounts, { name: 'ada', password: `guess number ${i}`, ip: `198.51.100.${i}`, now: NOW + i * 1000 })).toMatchObject({ status: 401 });
    }
    const refused = await signIn(accounts, { name: 'ada', password: PASSWORD, ip: '203.0.113.9', now: NOW + 60_000 });
    expect(refused).toEqual({ ok: false, status: 429, message: 'Too many failed sign-ins. Try again in 14 minutes.', retryAfterSeconds: 840 });
    // The oldest failure leaves the window: one more attempt, which succeeds and clears the name.
    const later = NOW + FAILURE_WINDOW_MS;
    expect(await signIn(accounts, { name: 'ada', password: PASSWORD, ip: '203.0.113.9', now: later })).toMatchObject({ ok: true });
    expect(await signIn(accounts, { name: 'ada', password: 'wrong again', ip: '203.0.113.9', now: later + 1 })).toMatchObject({ status: 401 });
  });

  it('limits a name without an account the same way, so the limit tells nothing either', async () => {
    const accounts = await withAda();
    for (let i = 0; i < ACCOUNT_FAILURES; i++) await signIn(accounts, { name: 'nobody', password: `guess ${i} of many`, ip: `198.51.100.${i}`, now: NOW });
    expect(await signIn(accounts, { name: 'nobody', password: 'one more guess', ip: '203.0.113.1', now: NOW })).toMatchObject({ status: 429 });
  });

  it(`refuses an address after ${ADDRESS_FAILURES} failures, whichever names it tried; IPv6 by its /64`, async () => {
    const accounts = await withAda();
    for (let i = 0; i < ADDRESS_FAILURES; i++) {
      await signIn(accounts, { name: `name${i}`, password: 'a wrong password', ip: `2001:db8:1:2::${(i + 1).toString(16)}`, now: NOW });
    }
    // Another address of the same /64, and the right password: refused.
    expect(await signIn(accounts, { name: 'ada', password: PASSWORD, ip: '2001:db8:1:2::ffff', now: NOW })).toMatchObject({ status: 429 });
    // Another /64 is not.
    expect(await signIn(accounts, { name: 'ada', password: PASSWORD, ip: '2001:db8:1:3::1', now: NOW })).toMatchObject({ ok: true });
  });
});

describe('sessions', () => {
  async function session() {
    const accounts = await withAda();
    const result = await signIn(accounts, { name: 'ada', password: PASSWORD, ip: '192.0.2.1', now: NOW });
    if (!result.ok) throw new Error(result.message);
    return { accounts, token: result.token };
  }

  it('resumes a session from its token, and from no other', async () => {
    const { accounts, token } = await session();
    expect(await resumeSession(accounts, token, NOW + 1000)).toMatchObject({ account: 'ada', role: 'admin', token });
    const other = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    expect(await resumeSession(accounts, other, NOW)).toBeUndefined();
    expect(await resumeSession(accounts, 'not a token', NOW)).toBeUndefined();
  });

  it('ends after 2 hours idle, and after 12 hours whatever the activity', async () => {
    const { accounts, token } = await session();
    expect(await resumeSession(accounts, token, NOW + SESSION_IDLE_MS - 1)).toBeDefined();
    // That use moved lastSeenAt on: the idle clock starts again from it.
    let t = NOW + SESSION_IDLE_MS - 1;
    while (t + SESSION_IDLE_MS / 2 < NOW + SESSION_LIFETIME_MS) {
      t += SESSION_IDLE_MS / 2;
      expect(await resumeSession(accounts, token, t)).toBeDefined();
    }
    expect(await resumeSession(accounts, token, NOW + SESSION_LIFETIME_MS)).toBeUndefined();
    const idle = await session();
    expect(await resumeSession(idle.accounts, idle.token, NOW + SESSION_IDLE_MS)).toBeUndefined();
  });

  it(`writes lastSeenAt at most every ${TOUCH_EVERY_MS / 1000} s`, async () => {
    const { accounts, token } = await session();
    await resumeSession(accounts, token, NOW + TOUCH_EVERY_MS - 1);
    expect((await accounts.session(sessionId(token)))?.lastSeenAt).toBe(new Date(NOW).toISOString());
    await resumeSession(accounts, token, NOW + TOUCH_EVERY_MS);
    expect((await accounts.session(sessionId(token)))?.lastSeenAt).toBe(new Date(NOW + TOUCH_EVERY_MS).toISOString());
  });

  it('ends at sign-out, when the password changes, and when the account is removed; a new role applies at once', async () => {
    const { accounts, token } = await session();
    await accounts.setRole('ada', 'viewer');
    expect((await resumeSession(accounts, token, NOW))?.role).toBe('viewer');
    await endSession(accounts, token);
    expect(await resumeSession(accounts, token, NOW)).toBeUndefined();
    const again = await signIn(accounts, { name: 'ada', password: PASSWORD, ip: '192.0.2.1', now: NOW });
    if (!again.ok) throw new Error(again.message);
    await accounts.setPassword('ada', 'another hash', new Date(NOW).toISOString());
    expect(await resumeSession(accounts, again.token, NOW)).toBeUndefined();
  });
});

describe('CSRF tokens', () => {
  it('are bound to the session: its own token matches, another session’s does not, nor anything else', () => {
    const a = 'A'.repeat(43);
    const b = 'B'.repeat(43);
    expect(csrfToken(a)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(csrfMatches(a, csrfToken(a))).toBe(true);
    expect(csrfMatches(a, csrfToken(b))).toBe(false);
    expect(csrfMatches(a, undefined)).toBe(false);
    expect(csrfMatches(a, '')).toBe(false);
    expect(csrfMatches(a, a)).toBe(false);
    expect(csrfMatches(a, [csrfToken(a)])).toBe(false);
  });
});
