import { DATABASE_URL_SETTING, parseDatabaseUrl, redactDatabaseUrl } from '../../src/storage/postgres/database-url';

const SECRET = 'pa:ss@w/rd';
const ENCODED = encodeURIComponent(SECRET);

describe('parseDatabaseUrl', () => {
  it('reads host, port, user, password and database, percent-decoded', () => {
    const t = parseDatabaseUrl(`postgres://spur%20app:${ENCODED}@db.internal:6543/spur_prod`);
    expect(t).toMatchObject({ host: 'db.internal', port: 6543, user: 'spur app', password: SECRET, database: 'spur_prod', ssl: false });
    expect(t.redacted).toBe('postgres://spur%20app:***@db.internal:6543/spur_prod');
  });

  it('takes postgresql:// too, port 5432 by default, no password, an IPv6 host', () => {
    const t = parseDatabaseUrl('postgresql://spur@[::1]/spur');
    expect(t).toMatchObject({ host: '::1', port: 5432, user: 'spur', database: 'spur' });
    expect(t.password).toBeUndefined();
    expect(t.redacted).toBe('postgresql://spur@[::1]/spur');
  });

  it('reads a unix socket folder, application_name and connect_timeout from the parameters', () => {
    const t = parseDatabaseUrl('postgres://spur@localhost/spur?host=/run/postgresql&application_name=shop-eu&connect_timeout=3');
    expect(t).toMatchObject({ host: '/run/postgresql', applicationName: 'shop-eu', connectTimeoutMs: 3000 });
  });

  it.each([
    ['disable', false],
    ['require', { rejectUnauthorized: false }],
    ['verify-full', { rejectUnauthorized: true }],
  ])('sslmode=%s', (mode, ssl) => {
    expect(parseDatabaseUrl(`postgres://u:p@h/d?sslmode=${mode}`).ssl).toEqual(ssl);
  });

  it('sslmode=verify-ca checks the chain but not the host name', () => {
    const ssl = parseDatabaseUrl('postgres://u:p@h/d?sslmode=verify-ca').ssl;
    expect(ssl).toMatchObject({ rejectUnauthorized: true });
    expect(ssl && ssl.checkServerIdentity?.()).toBeUndefined();
  });

  it.each([
    ['not a URL', `//spur:${ENCODED}@localhost/spur`, /not a URL/],
    ['no scheme', `spur:${ENCODED}@localhost/spur`, /scheme must be postgres:\/\/ or postgresql:\/\/, not spur:/],
    ['a password with an unencoded /', `postgres://spur:${SECRET}@localhost/spur`, /the database name has a \//],
    ['another scheme', `mysql://spur:${ENCODED}@localhost/spur`, /scheme must be postgres:\/\/ or postgresql:\/\/, not mysql:/],
    ['no user', `postgres://:${ENCODED}@localhost/spur`, /no user/],
    ['no database', `postgres://spur:${ENCODED}@localhost`, /no database name/],
    ['no database after the slash', `postgres://spur:${ENCODED}@localhost/`, /no database name/],
    ['a port out of range', `postgres://spur:${ENCODED}@localhost:70000/spur`, /not a URL/],
    ['an unknown parameter', `postgres://spur:${ENCODED}@localhost/spur?sslcert=/x`, /unknown parameter sslcert; spur reads sslmode, host, application_name, connect_timeout/],
    ['a TLS mode the driver lacks', `postgres://spur:${ENCODED}@localhost/spur?sslmode=prefer`, /sslmode=prefer is not supported/],
    ['a connect_timeout that is no number', `postgres://spur:${ENCODED}@localhost/spur?connect_timeout=soon`, /connect_timeout=soon/],
    ['bad percent-encoding', 'postgres://spur:%E0%A4%A@localhost/spur', /password is not valid percent-encoding/],
  ])('refuses %s, naming the setting and never the password', (_what, url, message) => {
    let error: Error | undefined;
    try {
      parseDatabaseUrl(url);
    } catch (err) {
      error = err as Error;
    }
    expect(error?.message).toMatch(message);
    expect(error?.message.startsWith(`${DATABASE_URL_SETTING}: `)).toBe(true);
    expect(error?.message).not.toContain(ENCODED);
    expect(error?.message).not.toContain('%E0%A4%A');
    expect(error?.message).not.toContain('pa:ss');
  });
});

describe('redactDatabaseUrl', () => {
  it('replaces the password, keeps the rest', () => {
    expect(redactDatabaseUrl(`postgres://spur:${ENCODED}@h:1/d?sslmode=require`)).toBe('postgres://spur:***@h:1/d?sslmode=require');
  });

  it('hides all up to the last @ when the password has an unencoded /, : or @', () => {
    expect(redactDatabaseUrl(`postgres://spur:${SECRET}@h:1/d`)).toBe('postgres://spur:***@h:1/d');
  });

  it('hides the password of text that is no URL at all', () => {
    expect(redactDatabaseUrl(`spur:${ENCODED}@localhost/spur`)).toBe('spur:***@localhost/spur');
  });

  it('leaves a URL without a password alone', () => {
    expect(redactDatabaseUrl('postgres://spur@h/d')).toBe('postgres://spur@h/d');
  });
});
