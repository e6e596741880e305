// A journey plays a customer: a device that names no user agent must not send headless
// Chromium's own, which the collector counts as a bot and leaves out of every figure.
import { contextOptions } from '../src/device';

describe('contextOptions', () => {
  it.each([
    ['no device', undefined, false],
    ['a viewport', { viewport: { width: 1024, height: 768 } }, false],
    ['a mobile viewport', { viewport: { width: 412, height: 915 }, isMobile: true }, true],
    ['a named device', 'iPhone 13', true],
  ] as const)('gives %s a browser user agent, never a headless one', (_name, spec, mobile) => {
    const ua = contextOptions(spec)!.userAgent!;
    expect(ua).toMatch(/^Mozilla\/5\.0 /);
    expect(ua).not.toMatch(/headless/i);
    // What the collector's device types read (useragent.ts): "Mobile" makes a phone.
    expect(/Mobi/.test(ua)).toBe(mobile);
  });

  it('keeps a user agent the spec names', () => {
    expect(contextOptions({ viewport: { width: 800, height: 600 }, userAgent: 'Test/1.0' }).userAgent).toBe('Test/1.0');
  });
});
