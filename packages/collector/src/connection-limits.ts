// How many connections the collector's server holds: in total, and per client address. A
// connection over either cap is closed as soon as it is accepted, before a byte is read, so that
// one client cannot take every socket and file descriptor (an idle keep-alive connection, a slow
// upload). Behind a reverse proxy every connection comes from the proxy: addresses trusted as
// proxies (SPUR_TRUST_PROXY) are not capped per address; the proxy caps its own clients.
import type { Server } from 'node:http';
import { BlockList, isIPv4 } from 'node:net';
import type { TrustProxy } from './settings';
import { minimizeIp, type IpMode } from './ip';
import type { LimitLog } from './limit-log';
import { clientKey } from './rate-limit';

// Express's names for address ranges in 'trust proxy'.
const NAMED: Record<string, [string, number, 'ipv4' | 'ipv6'][]> = {
  loopback: [['127.0.0.0', 8, 'ipv4'], ['::1', 128, 'ipv6']],
  linklocal: [['169.254.0.0', 16, 'ipv4'], ['fe80::', 10, 'ipv6']],
  uniquelocal: [['10.0.0.0', 8, 'ipv4'], ['172.16.0.0', 12, 'ipv4'], ['192.168.0.0', 16, 'ipv4'], ['fc00::', 7, 'ipv6']],
};

/**
 * Whether a socket's peer is a proxy that `trust proxy` trusts: every peer for `true` or a hop
 * count (the peer is the first hop), the listed addresses, ranges and names for a list.
 */
export function proxyTrust(trust: TrustProxy | undefined): (address: string) => boolean {
  if (trust === true || (typeof trust === 'number' && trust > 0)) return () => true;
  if (typeof trust !== 'string' || trust === '') return () => false;
  const list = new BlockList();
  for (const part of trust.split(',').map((p) => p.trim()).filter(Boolean)) {
    for (const [net, bits, family] of NAMED[part] ?? []) list.addSubnet(net, bits, family);
    if (NAMED[part]) continue;
    const [address, bits] = part.split('/');
    const family = isIPv4(address) ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(bits), family);
  }
  return (address) => {
    // Dual-stack sockets report IPv4 peers as IPv4-mapped IPv6 (::ffff:a.b.c.d).
    const bare = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] ?? address.replace(/%.*$/, '');
    return list.check(bare, isIPv4(bare) ? 'ipv4' : 'ipv6');
  };
}

export interface ConnectionLimits {
  /** Total; 0 = no cap. */
  max: number;
  /** Per client address; 0 = no cap. */
  perIp: number;
  /** Addresses not capped per address (proxies). */
  exempt: (address: string) => boolean;
  /** Where refused connections are counted, a line per address a minute. */
  log?: LimitLog;
  /** What the log shows of an address. @defaultValue 'truncate' */
  ip?: IpMode;
}

/** Applies the caps to `server`. */
export function limitConnections(server: Server, limits: ConnectionLimits): void {
  const { log } = limits;
  if (limits.max > 0) {
    // node closes a connection over maxConnections as it accepts it, and says so in 'drop'.
    server.maxConnections = limits.max;
    server.on('drop', () => log?.record('connection refused', {}, 1, { cap: 'total', maxConnections: limits.max }));
  }
  if (!(limits.perIp > 0)) return;
  const open = new Map<string, number>();
  server.on('connection', (socket) => {
    const address = socket.remoteAddress;
    if (address === undefined || limits.exempt(address)) return;
    const key = clientKey(address);
    const count = (open.get(key) ?? 0) + 1;
    if (count > limits.perIp) {
      socket.destroy();
      log?.record('connection refused', { address: minimizeIp(address, limits.ip ?? 'truncate') }, 1, { cap: 'perIp', maxConnectionsPerIp: limits.perIp });
      return;
    }
    open.set(key, count);
    socket.once('close', () => {
      const left = (open.get(key) ?? 1) - 1;
      if (left > 0) open.set(key, left);
      else open.delete(key);
    });
  });
}
