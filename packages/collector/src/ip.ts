// Data minimisation for the client IP: by default only a network prefix is kept, enough for
// coarse geography and abuse analysis but not to single out a household.
import { isIPv4, isIPv6 } from 'node:net';
import type { IpMode } from './settings';

/** What to store of the client IP (SPUR_IP). */
export type { IpMode };

/** IPv4 keeps 2 bytes (a.b.0.0); IPv6 keeps 48 bits (a routing prefix of a site). */
export function truncateIp(ip: string): string | undefined {
  // Dual-stack sockets report IPv4 clients as IPv4-mapped IPv6 (::ffff:a.b.c.d).
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const v4 = mapped ? mapped[1] : ip;
  if (isIPv4(v4)) {
    const [a, b] = v4.split('.');
    return `${a}.${b}.0.0`;
  }
  const bare = ip.replace(/%.*$/, ''); // zone index (fe80::1%eth0) is local detail, drop it
  if (!isIPv6(bare)) return undefined;
  const groups = expandIpv6(bare).slice(0, 3).map((g) => parseInt(g, 16).toString(16));
  // Print in compressed form: trailing zero groups of the kept prefix fold into the '::'.
  while (groups.length && groups[groups.length - 1] === '0') groups.pop();
  return `${groups.join(':')}::`;
}

// Expands an IPv6 address to its 8 groups; an embedded IPv4 tail becomes two groups.
function expandIpv6(ip: string): string[] {
  let text = ip;
  const v4Tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4Tail) {
    const [a, b, c, d] = v4Tail[1].split('.').map(Number);
    text = text.slice(0, -v4Tail[1].length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const left = head ? head.split(':') : [];
  if (tail === undefined) return left;
  const right = tail ? tail.split(':') : [];
  return [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
}

/** The value to store as context.ip, or undefined to store none. */
export function minimizeIp(ip: string | undefined, mode: IpMode): string | undefined {
  if (!ip || mode === 'drop') return undefined;
  return mode === 'keep' ? ip : truncateIp(ip);
}
