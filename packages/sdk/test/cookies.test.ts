import { AID_MAX_AGE, SID_MAX_AGE, getCookie, setCookie } from '../src/cookies';
import { clearCookies } from './helpers';

beforeEach(clearCookies);
afterEach(() => jest.restoreAllMocks());

describe('setCookie(name, value, maxAge, domain?, secure?)', () => {
  /** The Set-Cookie string setCookie writes. */
  const written = (...args: Parameters<typeof setCookie>) => {
    const writes: string[] = [];
    const set = jest.spyOn(Document.prototype, 'cookie', 'set').mockImplementation((value: string) => void writes.push(value));
    setCookie(...args);
    set.mockRestore();
    return writes[0];
  };

  it('writes a first-party, Lax, path-wide cookie', () => {
    expect(written('spur_aid', 'v', AID_MAX_AGE, undefined, false)).toBe('spur_aid=v;Max-Age=34560000;Path=/;SameSite=Lax');
  });

  it('keeps the visitor id 400 days and the session 30 minutes', () => {
    expect(AID_MAX_AGE).toBe(400 * 24 * 60 * 60);
    expect(SID_MAX_AGE).toBe(30 * 60);
  });

  it('adds Secure on https', () => {
    expect(written('spur_sid', 'v', SID_MAX_AGE, undefined, true)).toBe('spur_sid=v;Max-Age=1800;Path=/;SameSite=Lax;Secure');
  });

  it('decides Secure from the page protocol by default', () => {
    expect(location.protocol).toBe('http:');
    expect(written('a', 'b', 1)).toBe('a=b;Max-Age=1;Path=/;SameSite=Lax');
  });

  it('adds Domain only when a cookie domain is configured', () => {
    expect(written('spur_aid', 'v', 1, 'shop.example', true)).toBe(
      'spur_aid=v;Max-Age=1;Path=/;SameSite=Lax;Domain=shop.example;Secure',
    );
  });
});

describe('getCookie / setCookie', () => {
  it('round-trips a value', () => {
    setCookie('spur_x', 'abc.def', 60);
    document.cookie = 'other_spur_x=nope; Path=/';
    expect(getCookie('spur_x')).toBe('abc.def');
    expect(getCookie('missing')).toBeUndefined();
  });

  it('never throws when the browser blocks cookies', () => {
    const blocked = () => {
      throw new DOMException('The operation is insecure.', 'SecurityError');
    };
    jest.spyOn(Document.prototype, 'cookie', 'get').mockImplementation(blocked);
    jest.spyOn(Document.prototype, 'cookie', 'set').mockImplementation(blocked);
    expect(() => setCookie('spur_aid', 'v', 1)).not.toThrow();
    expect(getCookie('spur_aid')).toBeUndefined();
  });
});
