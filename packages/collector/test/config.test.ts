import { loadConfig, parseCookieDomain, parseTrustProxy, parseWriteKeys } from '../src/config';

describe('parseWriteKeys', () => {
  it('parses keys with their origins', () => {
    expect(parseWriteKeys('demo=http://localhost:3000,https://shop.example; other=https://b.example')).toEqual({
      demo: ['http://localhost:3000', 'https://shop.example'],
      other: ['https://b.example'],
    });
  });

  it('normalizes origins the way browsers send them', () => {
    expect(parseWriteKeys('k=HTTPS://Shop.Example:443/')).toEqual({ k: ['https://shop.example'] });
  });

  it('accepts a key without origins for server-side clients', () => {
    expect(parseWriteKeys('server;backend=')).toEqual({ server: [], backend: [] });
  });

  it('returns no keys for an empty spec', () => {
    expect(parseWriteKeys('')).toEqual({});
  });

  it.each([
    ['k=shop.example', /Invalid origin "shop.example" for write key "k"/],
    ['k=https://shop.example/path', /only scheme:\/\/host\[:port\], no path/],
    ['k=ftp://shop.example', /only scheme:\/\/host/],
    ['=https://shop.example', /Invalid write key ""/],
    ['a b=https://shop.example', /Invalid write key "a b"/],
    ['k=https://a.example;k=https://b.example', /Write key "k" is listed twice/],
  ])('refuses %s', (spec, message) => {
    expect(() => parseWriteKeys(spec)).toThrow(message);
  });
});

describe('loadConfig', () => {
  it('has defaults for everything but keys and token', () => {
    expect(loadConfig({})).toEqual({
      port: 8080,
      host: '0.0.0.0',
      db: './data/spur.db',
      writeKeys: {},
      clientClock: 'correct',
      ip: 'truncate',
      trustProxy: false,
      timeZone: 'UTC',
      sessionMinutes: 30,
      abandonMinutes: 30,
      analytics: 'on',
      rateLimit: { perIp: 50, perWriteKey: 500 },
      eventRateLimit: { perIp: 1000, perWriteKey: 10000 },
      rejectedCap: { perIp: 1000, perWriteKey: 10000 },
      bodyTimeoutMs: 30_000,
      headersTimeoutMs: 15_000,
      requestTimeoutMs: 60_000,
      maxConnections: 10_000,
      maxConnectionsPerIp: 256,
      gpc: 'honor',
      rejectedDays: 30,
      suppressDays: 30,
      webhooksAllowPrivate: false,
      logLevel: 'info',
    });
  });

  it('reads every SPUR_* variable', () => {
    const config = loadConfig({
      SPUR_PORT: '9000',
      SPUR_HOST: '127.0.0.1',
      SPUR_DB: '/var/lib/spur/spur.db',
      SPUR_WRITE_KEYS: 'demo=http://localhost:3000',
      SPUR_ADMIN_TOKEN: 'secret',
      SPUR_CLIENT_CLOCK: 'trust',
      SPUR_IP: 'drop',
      SPUR_TRUST_PROXY: 'loopback',
      SPUR_COOKIE_DOMAIN: '.Shop.Example',
      SPUR_TIME_ZONE: 'europe/berlin',
      SPUR_SESSION_MINUTES: '45',
      SPUR_ABANDON_MINUTES: '60',
      SPUR_ANALYTICS: 'off',
      SPUR_RATE_LIMIT: '20,300',
      SPUR_EVENT_RATE_LIMIT: '200,3000',
      SPUR_REJECTED_CAP: '10',
      SPUR_BODY_TIMEOUT: '5',
      SPUR_HEADERS_TIMEOUT: '3',
      SPUR_REQUEST_TIMEOUT: '0',
      SPUR_MAX_CONNECTIONS: '500',
      SPUR_MAX_CONNECTIONS_PER_IP: '0',
      SPUR_GPC: 'ignore',
      SPUR_RETENTION_DAYS: '90',
      SPUR_REJECTED_DAYS: '0',
      SPUR_SUPPRESS_DAYS: '0',
      SPUR_WEBHOOKS_ALLOW_PRIVATE: 'true',
      SPUR_LOG_LEVEL: 'debug',
    });
    expect(config).toEqual({
      port: 9000,
      host: '127.0.0.1',
      db: '/var/lib/spur/spur.db',
      writeKeys: { demo: ['http://localhost:3000'] },
      adminToken: 'secret',
      clientClock: 'trust',
      ip: 'drop',
      trustProxy: 'loopback',
      cookieDomain: 'shop.example',
      timeZone: 'Europe/Berlin',
      sessionMinutes: 45,
      abandonMinutes: 60,
      analytics: 'off',
      rateLimit: { perIp: 20, perWriteKey: 300 },
      eventRateLimit: { perIp: 200, perWriteKey: 3000 },
      rejectedCap: { perIp: 10, perWriteKey: 100 },
      bodyTimeoutMs: 5000,
      headersTimeoutMs: 3000,
      requestTimeoutMs: 0,
      maxConnections: 500,
      maxConnectionsPerIp: 0,
      gpc: 'ignore',
      retentionDays: 90,
      rejectedDays: 0,
      suppressDays: 0,
      webhooksAllowPrivate: true,
      logLevel: 'debug',
    });
  });

  it('reads the time zone as an IANA name in its canonical spelling, and refuses others naming the setting', () => {
    expect(loadConfig({}, { 'time-zone': 'America/New_York' }).timeZone).toBe('America/New_York');
    expect(() => loadConfig({ SPUR_TIME_ZONE: 'Berlin' })).toThrow(/Invalid SPUR_TIME_ZONE \/ --time-zone "Berlin": expected an IANA time zone name/);
    expect(() => loadConfig({ SPUR_TIME_ZONE: 'CEST+2' })).toThrow(/SPUR_TIME_ZONE/);
  });

  it('refuses a log level pino does not know, naming the setting', () => {
    expect(() => loadConfig({ SPUR_LOG_LEVEL: 'verbose' })).toThrow(/SPUR_LOG_LEVEL \/ --log-level "verbose": expected one of fatal, error, warn, info, debug, trace, silent/);
    expect(loadConfig({ SPUR_LOG_LEVEL: 'debug' }, { 'log-level': 'warn' }).logLevel).toBe('warn');
  });

  it('refuses retention and suppression periods that are not whole days (retention at least 1)', () => {
    expect(() => loadConfig({ SPUR_RETENTION_DAYS: '0' })).toThrow(/SPUR_RETENTION_DAYS \/ --retention-days "0"/);
    expect(() => loadConfig({}, { 'retention-days': '30d' })).toThrow(/whole number of days from 1/);
    expect(() => loadConfig({ SPUR_SUPPRESS_DAYS: '-1' })).toThrow(/SPUR_SUPPRESS_DAYS \/ --suppress-days "-1"/);
    expect(() => loadConfig({ SPUR_REJECTED_DAYS: '2w' })).toThrow(/SPUR_REJECTED_DAYS \/ --rejected-days "2w": expected a whole number of days from 0/);
    expect(loadConfig({ SPUR_REJECTED_DAYS: '7' }, { 'rejected-days': '14' }).rejectedDays).toBe(14);
    expect(loadConfig({}, { 'retention-days': '7' }).retentionDays).toBe(7);
  });

  it('refuses session and abandonment times that are not whole positive minutes', () => {
    expect(() => loadConfig({ SPUR_SESSION_MINUTES: '0' })).toThrow(/SPUR_SESSION_MINUTES \/ --session-minutes "0"/);
    expect(() => loadConfig({}, { 'abandon-minutes': '1.5' })).toThrow(/SPUR_ABANDON_MINUTES \/ --abandon-minutes "1.5"/);
  });

  it('reads SPUR_RATE_LIMIT as per IP (the write key gets ten times it), or per IP and per key; 0 = off', () => {
    expect(loadConfig({ SPUR_RATE_LIMIT: '100' }).rateLimit).toEqual({ perIp: 100, perWriteKey: 1000 });
    expect(loadConfig({ SPUR_RATE_LIMIT: '0' }).rateLimit).toEqual({ perIp: 0, perWriteKey: 0 });
    expect(loadConfig({ SPUR_RATE_LIMIT: '10, 0' }).rateLimit).toEqual({ perIp: 10, perWriteKey: 0 });
    expect(loadConfig({ SPUR_RATE_LIMIT: '100' }, { 'rate-limit': '0' }).rateLimit).toEqual({ perIp: 0, perWriteKey: 0 });
  });

  it.each(['-1', '1.5', 'fast', '10,20,30', '10;20'])('refuses SPUR_RATE_LIMIT %s, naming variable and flag', (text) => {
    expect(() => loadConfig({ SPUR_RATE_LIMIT: text })).toThrow(/SPUR_RATE_LIMIT \/ --rate-limit/);
  });

  it.each([
    ['SPUR_EVENT_RATE_LIMIT', 'event-rate-limit', 'eventRateLimit'],
    ['SPUR_REJECTED_CAP', 'rejected-cap', 'rejectedCap'],
  ] as const)('reads %s like SPUR_RATE_LIMIT, the flag winning, and refuses what is no count', (variable, flag, field) => {
    expect(loadConfig({ [variable]: '100' })[field]).toEqual({ perIp: 100, perWriteKey: 1000 });
    expect(loadConfig({ [variable]: '0' })[field]).toEqual({ perIp: 0, perWriteKey: 0 });
    expect(loadConfig({ [variable]: '5, 7' })[field]).toEqual({ perIp: 5, perWriteKey: 7 });
    expect(loadConfig({ [variable]: '100' }, { [flag]: '3' })[field]).toEqual({ perIp: 3, perWriteKey: 30 });
    for (const text of ['-1', '1.5', 'lots', '1,2,3']) {
      expect(() => loadConfig({ [variable]: text })).toThrow(new RegExp(`Invalid ${variable} / --${flag} "${text.replace('.', '\\.')}": expected`));
    }
  });

  it('reads the timeouts in seconds and the connection caps, 0 turning each off, and refuses anything else', () => {
    const config = loadConfig({ SPUR_BODY_TIMEOUT: '0', SPUR_MAX_CONNECTIONS: '0' }, { 'headers-timeout': '2', 'request-timeout': '9', 'max-connections-per-ip': '4' });
    expect(config).toMatchObject({ bodyTimeoutMs: 0, headersTimeoutMs: 2000, requestTimeoutMs: 9000, maxConnections: 0, maxConnectionsPerIp: 4 });
    expect(() => loadConfig({ SPUR_BODY_TIMEOUT: '1.5' })).toThrow(/Invalid SPUR_BODY_TIMEOUT \/ --body-timeout "1.5": expected a whole number of seconds from 0 \(off\) to 3600/);
    expect(() => loadConfig({ SPUR_REQUEST_TIMEOUT: '7200' })).toThrow(/SPUR_REQUEST_TIMEOUT \/ --request-timeout "7200"/);
    expect(() => loadConfig({}, { 'max-connections': 'many' })).toThrow(/SPUR_MAX_CONNECTIONS \/ --max-connections "many": expected a whole number of connections/);
    expect(() => loadConfig({ SPUR_MAX_CONNECTIONS_PER_IP: '-3' })).toThrow(/SPUR_MAX_CONNECTIONS_PER_IP \/ --max-connections-per-ip "-3"/);
  });

  it('refuses a headers timeout longer than the request timeout, which includes the headers', () => {
    expect(() => loadConfig({ SPUR_HEADERS_TIMEOUT: '30', SPUR_REQUEST_TIMEOUT: '20' })).toThrow(
      /SPUR_HEADERS_TIMEOUT \/ --headers-timeout 30: it must not be longer than SPUR_REQUEST_TIMEOUT \/ --request-timeout \(20 s\)/,
    );
    expect(loadConfig({ SPUR_HEADERS_TIMEOUT: '30', SPUR_REQUEST_TIMEOUT: '0' }).headersTimeoutMs).toBe(30_000);
  });

  it('reads SPUR_GPC and --gpc: honor (the default) or ignore', () => {
    expect(loadConfig({ SPUR_GPC: 'ignore' }, { gpc: 'honor' }).gpc).toBe('honor');
    expect(loadConfig({}, { gpc: 'ignore' }).gpc).toBe('ignore');
    expect(() => loadConfig({ SPUR_GPC: 'yes' })).toThrow(/Invalid SPUR_GPC \/ --gpc "yes": expected one of honor, ignore/);
  });

  it('lets flags win over environment variables', () => {
    const config = loadConfig(
      { SPUR_PORT: '9000', SPUR_IP: 'drop', SPUR_WRITE_KEYS: 'env=https://env.example' },
      { port: '0', ip: 'keep', 'write-keys': 'flag', 'admin-token': 'from-flag', 'client-clock': 'trust', db: 'x.db', host: '::' },
    );
    expect(config).toMatchObject({
      port: 0,
      ip: 'keep',
      writeKeys: { flag: [] },
      adminToken: 'from-flag',
      clientClock: 'trust',
      db: 'x.db',
      host: '::',
    });
  });

  it('treats an empty admin token as none', () => {
    expect(loadConfig({ SPUR_ADMIN_TOKEN: '' }).adminToken).toBeUndefined();
  });

  it.each([
    [{ SPUR_PORT: 'http' }, /Invalid SPUR_PORT \/ --port "http"/],
    [{ SPUR_PORT: '70000' }, /from 0 to 65535/],
    [{ SPUR_PORT: '-1' }, /Invalid SPUR_PORT/],
    [{ SPUR_CLIENT_CLOCK: 'maybe' }, /Invalid SPUR_CLIENT_CLOCK \/ --client-clock "maybe": expected one of correct, trust/],
    [{ SPUR_IP: 'hash' }, /Invalid SPUR_IP \/ --ip "hash": expected one of truncate, drop, keep/],
    [{ SPUR_WRITE_KEYS: 'k=nope' }, /Invalid origin "nope"/],
    [{ SPUR_TRUST_PROXY: 'nginx' }, /Invalid SPUR_TRUST_PROXY \/ --trust-proxy "nginx"/],
    [{ SPUR_COOKIE_DOMAIN: 'https://shop.example' }, /Invalid SPUR_COOKIE_DOMAIN \/ --cookie-domain/],
    [{ SPUR_WEBHOOKS_ALLOW_PRIVATE: 'yes' }, /Invalid SPUR_WEBHOOKS_ALLOW_PRIVATE \/ --webhooks-allow-private "yes": expected one of true, false/],
  ])('throws a clear error for %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});

describe('parseTrustProxy', () => {
  it.each([
    ['false', false],
    ['true', true],
    ['2', 2],
    ['loopback', 'loopback'],
    ['loopback, 10.0.0.0/8 ,fd00::/8', 'loopback,10.0.0.0/8,fd00::/8'],
    ['192.168.1.7', '192.168.1.7'],
  ])('reads %j', (text, expected) => {
    expect(parseTrustProxy(text)).toEqual(expected);
  });

  it.each(['nginx', '10.0.0.0/33', '10.0.0.0/8/1', '::1/129', 'yes'])('refuses %j', (text) => {
    expect(() => parseTrustProxy(text)).toThrow(/Invalid SPUR_TRUST_PROXY/);
  });
});

describe('parseCookieDomain', () => {
  it('drops a leading dot and lower-cases', () => {
    expect(parseCookieDomain('.Shop.Example')).toBe('shop.example');
  });

  it.each(['shop.example/', 'shop example', '', '-shop.example', 'shop.example;x=y'])('refuses %j', (text) => {
    expect(() => parseCookieDomain(text)).toThrow(/Invalid SPUR_COOKIE_DOMAIN/);
  });
});
