import { buildSessions, channelOf, FactTable, hostOf, campaignFromUrl, type Fact, type Origin } from '../../src/analytics';

const MIN = 60 * 1000;
const T0 = Date.UTC(2024, 0, 10, 12);
let seq = 0;
const ev = (ts: number, more: Partial<Fact> = {}): Fact => ({ seq: ++seq, ts, type: 'track', name: 'Product Viewed', anonymousId: 'A', ...more });
const sessionsOf = (facts: Fact[], timeoutMs?: number) => {
  const view = FactTable.from(facts).view();
  return { view, index: buildSessions(view, { timeoutMs }) };
};
const keys = (facts: Fact[], timeoutMs?: number) => {
  const { index } = sessionsOf(facts, timeoutMs);
  return Array.from(index.ofRow);
};

describe('sessions', () => {
  it('starts a new session after exactly 30 minutes without events, not after 29:59.999', () => {
    expect(keys([ev(T0), ev(T0 + 30 * MIN - 1), ev(T0 + 60 * MIN - 1)])).toEqual([0, 0, 1]);
  });

  it('uses the configured timeout', () => {
    expect(keys([ev(T0), ev(T0 + 10 * MIN)], 10 * MIN)).toEqual([0, 1]);
    expect(() => buildSessions(FactTable.from([]).view(), { timeoutMs: 0 })).toThrow(/positive/);
  });

  it('keeps a sessionId together however long the gaps, and splits on a new sessionId', () => {
    expect(keys([ev(T0, { sessionId: 'x' }), ev(T0 + 5 * 60 * MIN, { sessionId: 'x' }), ev(T0 + 5 * 60 * MIN + 1, { sessionId: 'y' })])).toEqual([
      0, 0, 1,
    ]);
  });

  it('cuts each visitor on its own, in event time even when facts arrive out of order', () => {
    const facts = [ev(T0 + 40 * MIN), ev(T0, { anonymousId: 'B' }), ev(T0), ev(T0 + 35 * MIN, { anonymousId: 'B' }), ev(T0 + 20 * MIN)];
    const { index } = sessionsOf(facts);
    const [a40, b0, a0, b35, a20] = Array.from(index.ofRow);
    expect(new Set([a0, a20, a40]).size).toBe(1);
    expect(b0).not.toBe(b35);
    expect(index.count).toBe(3);
    expect(index.session(a0)).toMatchObject({ start: new Date(T0).toISOString(), end: new Date(T0 + 40 * MIN).toISOString(), events: 3, anonymousId: 'A' });
    expect(index.session(a0).key).toBe(`A@${new Date(T0).toISOString()}`);
  });

  it('cuts only the facts without a sessionId, among facts with one, and counts returning across both', () => {
    // sessions.ts works out visitors only for the rows without a sessionId: they must be exactly those.
    const facts = [
      ev(T0, { sessionId: 's1' }),
      ev(T0 + MIN, { anonymousId: 'B' }),
      ev(T0 + 2 * MIN, { sessionId: 's1' }),
      ev(T0 + 40 * MIN, { anonymousId: 'B' }),
      ev(T0 + 50 * MIN, { sessionId: 's2' }),
      ev(T0 + 3 * 60 * MIN),
      ev(T0 + 4 * 60 * MIN, { anonymousId: 'B', sessionId: 'b1' }),
    ];
    const { index } = sessionsOf(facts);
    expect(Array.from(index.ofRow)).toEqual([0, 4, 0, 5, 1, 3, 2]);
    expect(index.count).toBe(6);
    expect(Array.from(index.returning)).toEqual([0, 1, 1, 1, 0, 1]);
  });

  it('treats a fact with only a userId as its own visitor', () => {
    const { index } = sessionsOf([ev(T0, { anonymousId: undefined, userId: 'U' }), ev(T0 + MIN, { anonymousId: undefined, userId: 'U' })]);
    expect(index.count).toBe(1);
    expect(index.session(0).key).toBe(`user:U@${new Date(T0).toISOString()}`);
  });

  it('leaves derived Cart Abandoned facts out of every session', () => {
    const { index } = sessionsOf([ev(T0), ev(T0 + 2 * 60 * MIN, { name: 'Cart Abandoned' })]);
    expect(Array.from(index.ofRow)).toEqual([0, -1]);
    expect(index.count).toBe(1);
  });

  it('marks a session returning when its visitor had an earlier one, even one stored later', () => {
    const facts = [ev(T0 + 24 * 60 * MIN, { sessionId: 'today' }), ev(T0, { sessionId: 'yesterday' }), ev(T0 + 5, { anonymousId: 'B', sessionId: 'b' })];
    const { index } = sessionsOf(facts);
    const returning = (row: number) => index.session(index.ofRow[row]).returning;
    expect([returning(0), returning(1), returning(2)]).toEqual([true, false, false]);
    expect(index.attribute(index.ofRow[0], 'returning')).toBe('returning');
    expect(index.attribute(index.ofRow[1], 'returning')).toBe('new');
  });

  it('takes device, channel and utm from the session start, and the URL when there is no campaign', () => {
    const ua = 'Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
    const facts = [
      ev(T0 + MIN, { sessionId: 's', url: 'https://shop.example/b', referrer: 'https://shop.example/a', userAgent: ua }),
      ev(T0, { sessionId: 's', url: 'https://shop.example/a?utm_source=google&utm_medium=cpc&utm_campaign=x', userAgent: ua }),
    ];
    const { index } = sessionsOf(facts);
    expect(index.session(0)).toMatchObject({
      key: 's',
      device: 'tablet',
      browser: 'Chrome',
      os: 'Android',
      channel: 'paid_search',
      source: 'google',
      medium: 'cpc',
      campaign: 'x',
      returning: false,
    });
    expect(index.attribute(0, 'utm_source')).toBe('google');
    expect(index.attribute(0, 'device')).toBe('tablet');
  });

  it('says (none), unknown and direct when the facts carry nothing', () => {
    const { index } = sessionsOf([ev(T0)]);
    expect([index.attribute(0, 'utm_source'), index.attribute(0, 'device'), index.attribute(0, 'browser'), index.attribute(0, 'channel')]).toEqual([
      '(none)',
      'unknown',
      'Other',
      'direct',
    ]);
  });
});

describe('channelOf (rule table in channels.ts)', () => {
  const o = (over: Partial<Origin>): Origin => ({ pageHost: 'shop.example', referrerHost: null, source: null, medium: null, campaign: null, ...over });
  const cases: [string, Partial<Origin>, string][] = [
    ['1 paid medium + search source', { source: 'google', medium: 'cpc' }, 'paid_search'],
    ['1 paid medium + search source (ppc, bing)', { source: 'Bing', medium: 'PPC' }, 'paid_search'],
    ['2 paid medium elsewhere', { source: 'facebook', medium: 'cpc' }, 'paid_other'],
    ['2 display', { source: 'criteo', medium: 'display' }, 'paid_other'],
    ['2 affiliate', { source: 'awin', medium: 'affiliate' }, 'paid_other'],
    ['3 email medium', { source: 'crm', medium: 'e-mail' }, 'email'],
    ['3 newsletter source', { source: 'newsletter' }, 'email'],
    ['4 social medium', { source: 'somewhere', medium: 'social' }, 'social'],
    ['4 social source', { source: 'instagram', medium: 'story' }, 'social'],
    ['5 organic medium', { source: 'google', medium: 'organic' }, 'organic_search'],
    ['5 search source without medium', { source: 'duckduckgo' }, 'organic_search'],
    ['6 referral medium', { source: 'partner', medium: 'referral' }, 'referral'],
    ['6 source without medium', { source: 'partnerblog' }, 'referral'],
    ['7 unknown medium', { source: 'flyer', medium: 'qr' }, 'paid_other'],
    ['8 nothing', {}, 'direct'],
    ['9 same host', { referrerHost: 'shop.example' }, 'internal'],
    ['9 www. and subdomain', { referrerHost: 'checkout.shop.example', pageHost: 'www.shop.example' }, 'internal'],
    ['10 webmail', { referrerHost: 'mail.google.com' }, 'email'],
    ['11 search engine', { referrerHost: 'www.google.co.uk' }, 'organic_search'],
    ['11 bing', { referrerHost: 'www.bing.com' }, 'organic_search'],
    ['12 social network', { referrerHost: 't.co' }, 'social'],
    ['12 facebook mobile', { referrerHost: 'm.facebook.com' }, 'social'],
    ['13 other site', { referrerHost: 'blog.example.org' }, 'referral'],
    ['13 no page host to compare', { referrerHost: 'shop.example', pageHost: null }, 'referral'],
    ['a lookalike is not google', { referrerHost: 'google-deals.example' }, 'referral'],
  ];
  it.each(cases)('rule %s', (_, over, channel) => {
    expect(channelOf(o(over))).toBe(channel);
  });
});

describe('URL helpers', () => {
  it('hostOf reads the host of absolute URLs only', () => {
    expect(hostOf('https://user:pw@Shop.Example:8080/a?b#c')).toBe('shop.example');
    expect(hostOf('android-app://com.google.android.gm/')).toBe('com.google.android.gm');
    expect(hostOf('/relative')).toBeNull();
    expect(hostOf('')).toBeNull();
  });

  it('campaignFromUrl reads utm_ parameters, else an ads click id as cpc', () => {
    expect(campaignFromUrl('https://s.example/?utm_source=a&utm_medium=b&utm_campaign=c%20d#x')).toEqual({ source: 'a', medium: 'b', campaign: 'c d' });
    expect(campaignFromUrl('https://s.example/?msclkid=1')).toEqual({ source: 'bing', medium: 'cpc', campaign: null });
    expect(campaignFromUrl('https://s.example/?q=utm_nothing')).toBeNull();
    expect(campaignFromUrl('https://s.example/')).toBeNull();
  });
});
