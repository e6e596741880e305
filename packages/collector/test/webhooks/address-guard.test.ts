// The SSRF guard: which addresses a webhook may reach, and which targets are refused.
import { checkTarget, isPublicAddress, TargetRefused } from '../../src/webhooks/address-guard';

describe('isPublicAddress', () => {
  it.each([
    ['8.8.8.8', true],
    ['93.184.216.34', true],
    ['172.32.0.1', true],
    ['2606:4700:4700::1111', true],
    ['::ffff:8.8.8.8', true],
    ['127.0.0.1', false],
    ['127.255.0.9', false],
    ['10.0.0.1', false],
    ['172.16.0.1', false],
    ['172.31.255.255', false],
    ['192.168.1.1', false],
    ['100.64.0.1', false],
    ['169.254.169.254', false],
    ['0.0.0.0', false],
    ['224.0.0.1', false],
    ['255.255.255.255', false],
    ['::', false],
    ['::1', false],
    ['fd00::1', false],
    ['fc12:3456::1', false],
    ['fe80::1', false],
    ['ff02::1', false],
    ['::ffff:127.0.0.1', false],
    ['::ffff:7f00:1', false],
    ['0:0:0:0:0:ffff:a00:1', false],
    ['::ffff:192.168.0.1', false],
    ['::10.0.0.1', false],
    ['64:ff9b::a00:1', false],
    ['2002:7f00:1::', false],
    ['not an address', false],
  ])('%s: %s', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });
});

describe('checkTarget', () => {
  const resolvesTo = (...addresses: string[]) => async () => addresses;

  it('accepts http(s) to public addresses', async () => {
    await expect(checkTarget('https://hooks.example/spur', false, resolvesTo('93.184.216.34'))).resolves.toBeInstanceOf(URL);
  });

  it('refuses a host with any private address among its answers', async () => {
    await expect(checkTarget('https://hooks.example/', false, resolvesTo('93.184.216.34', '10.0.0.5'))).rejects.toThrow(/resolves to 10\.0\.0\.5/);
  });

  it('refuses literal private addresses, in brackets too, without resolving', async () => {
    const never = async () => {
      throw new Error('resolved');
    };
    await expect(checkTarget('http://[::1]:8080/', false, never)).rejects.toThrow(TargetRefused);
    await expect(checkTarget('http://127.0.0.1/', false, never)).rejects.toThrow(TargetRefused);
  });

  it('refuses other schemes, credentials and hosts that do not resolve, whatever the setting', async () => {
    await expect(checkTarget('file:///etc/passwd', true)).rejects.toThrow(/only http and https/);
    await expect(checkTarget('https://user:pw@hooks.example/', true)).rejects.toThrow(/credentials/);
    await expect(checkTarget('nonsense', true)).rejects.toThrow(/not a URL/);
    await expect(checkTarget('https://nowhere.example/', false, resolvesTo())).rejects.toThrow(/does not resolve/);
  });

  it('lets private targets through with SPUR_WEBHOOKS_ALLOW_PRIVATE', async () => {
    await expect(checkTarget('http://127.0.0.1:9/', true)).resolves.toBeInstanceOf(URL);
  });
});
