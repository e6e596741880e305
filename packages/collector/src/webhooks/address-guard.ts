// The guard against webhooks aimed inside the shop's network (SSRF): a target must be http(s),
// and every address its host resolves to must be a public unicast address. Checked when an
// endpoint is added and again before every attempt, since DNS answers change.
// SPUR_WEBHOOKS_ALLOW_PRIVATE=true turns the address check off (tests, a receiver on the LAN).
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** A target the guard refuses, with the reason. */
export class TargetRefused extends Error {
  override name = 'TargetRefused';
}

const blocked = new BlockList();
// IPv4: this network, private, CGNAT, loopback, link-local, IETF protocol assignments, the
// documentation and benchmarking ranges, multicast, reserved and broadcast.
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, prefix, 'ipv4');
// IPv6: unspecified, loopback, NAT64 and 6to4 and Teredo (they carry IPv4 addresses inside),
// discard, documentation, unique-local, link-local, site-local, multicast.
for (const [net, prefix] of [
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 32], ['2001:db8::', 32],
  ['2002::', 16], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) blocked.addSubnet(net, prefix, 'ipv6');

/**
 * The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d) or -compatible (::a.b.c.d) IPv6
 * address, however it is written: the URL parser brings it to one compressed form first.
 */
function embeddedIpv4(address: string): string | undefined {
  const canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const m = /^::(?:ffff:(?:0:)?)?([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (!m) return undefined;
  const hi = parseInt(m[1], 16);
  const lo = parseInt(m[2], 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** Whether an address (IPv4 or IPv6, mapped ones included) is one a webhook may reach. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !blocked.check(address, 'ipv4');
  if (family !== 6) return false;
  const v4 = embeddedIpv4(address);
  if (v4 !== undefined) return isIP(v4) === 4 && !blocked.check(v4, 'ipv4');
  return !blocked.check(address, 'ipv6');
}

/** Refuses a URL that is not http(s), carries credentials, or (unless allowPrivate) reaches a non-public address. */
export async function checkTarget(url: string, allowPrivate: boolean, resolve: (host: string) => Promise<string[]> = resolveAll): Promise<URL> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TargetRefused(`not a URL: ${url}`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new TargetRefused(`only http and https targets, not ${parsed.protocol}`);
  if (parsed.username || parsed.password) throw new TargetRefused('a target URL must not carry credentials');
  if (allowPrivate) return parsed;
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : await resolve(host);
  } catch (err) {
    throw new TargetRefused(`${host} does not resolve (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (addresses.length === 0) throw new TargetRefused(`${host} does not resolve`);
  const refused = addresses.find((a) => !isPublicAddress(a));
  if (refused !== undefined) {
    throw new TargetRefused(`${host} resolves to ${refused}, a private, loopback, link-local or reserved address (SPUR_WEBHOOKS_ALLOW_PRIVATE=true allows it)`);
  }
  return parsed;
}

async function resolveAll(host: string): Promise<string[]> {
  return (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
}
