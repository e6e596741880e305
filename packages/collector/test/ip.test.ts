import { minimizeIp, truncateIp } from '../src/ip';

describe('truncateIp', () => {
  it.each([
    ['203.0.113.77', '203.0.0.0'],
    ['::ffff:198.51.100.23', '198.51.0.0'],
    ['2001:db8:85a3:8d3:1319:8a2e:370:7348', '2001:db8:85a3::'],
    ['2001:0db8:0000:0042::1', '2001:db8::'],
    ['fe80::1%eth0', 'fe80::'],
    ['::1', '::'],
    ['2001:db8:1:2:3:4:1.2.3.4', '2001:db8:1::'],
  ])('%s keeps only its prefix: %s', (ip, expected) => {
    expect(truncateIp(ip)).toBe(expected);
  });

  it('returns undefined for something that is not an address', () => {
    expect(truncateIp('not-an-ip')).toBeUndefined();
  });
});

describe('minimizeIp', () => {
  it('truncates, keeps or drops by mode', () => {
    expect(minimizeIp('203.0.113.77', 'truncate')).toBe('203.0.0.0');
    expect(minimizeIp('203.0.113.77', 'keep')).toBe('203.0.113.77');
    expect(minimizeIp('203.0.113.77', 'drop')).toBeUndefined();
    expect(minimizeIp(undefined, 'keep')).toBeUndefined();
  });
});
