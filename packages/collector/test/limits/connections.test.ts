// Connection caps of startServer: per client address (counted on 'connection', the one over the
// cap closed at once) and in total (node's maxConnections); proxies trusted by trustProxy are
// not capped per address. Raw sockets from several loopback addresses against a real server.
import type { Socket } from 'node:net';
import { proxyTrust } from '../../src/connection-limits';
import { captureLogs } from '../log-capture';
import { closedWithin, openSocket, readAnswer, startLimited, type LimitedServer } from './raw';

/** A GET /healthz on `socket`, answered 200 when the connection serves. */
async function serves(socket: Socket): Promise<boolean> {
  socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  return (await readAnswer(socket, 2000))?.status === 200;
}

describe('connection caps', () => {
  let lb: LimitedServer | undefined;
  const open: Socket[] = [];
  afterEach(async () => {
    for (const socket of open.splice(0)) socket.destroy();
    await lb?.close();
    lb = undefined;
  });
  const connect = async (address = '127.0.0.1') => {
    const socket = await openSocket(lb!.port, address);
    open.push(socket);
    return socket;
  };

  it('closes the connection over the per-address cap at once, while other addresses connect', async () => {
    const logs = captureLogs();
    lb = await startLimited({}, { maxConnectionsPerIp: 3, logger: logs.logger });
    const first = [await connect(), await connect(), await connect()];
    for (const socket of first) expect(await serves(socket)).toBe(true);
    const fourth = await connect();
    expect(await closedWithin(fourth, 1000)).toBe(true);
    expect(await serves(await connect('127.0.0.2'))).toBe(true);
    // A closed one makes room again.
    first[0].destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await serves(await connect())).toBe(true);
    expect(logs.lines()).toContainEqual(
      expect.objectContaining({ level: 'warn', msg: 'connection refused', cap: 'perIp', maxConnectionsPerIp: 3, address: '127.0.0.0', count: 1 }),
    );
  });

  it('closes connections over the total cap, whatever their address', async () => {
    lb = await startLimited({}, { maxConnections: 4, maxConnectionsPerIp: 0 });
    for (const address of ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4']) expect(await serves(await connect(address))).toBe(true);
    expect(await closedWithin(await connect('127.0.0.5'), 1000)).toBe(true);
  });

  it('holds ten thousand connections in total and 256 per address by default', async () => {
    lb = await startLimited();
    expect(lb.server.maxConnections).toBe(10_000);
    const sockets = await Promise.all(Array.from({ length: 257 }, () => connect()));
    const closed = await Promise.all(sockets.map((socket) => closedWithin(socket, 500)));
    expect(closed.filter(Boolean)).toHaveLength(1);
  });

  it('does not cap per address the proxies trusted by trustProxy', async () => {
    lb = await startLimited({}, { maxConnectionsPerIp: 2, trustProxy: 'loopback' });
    const sockets = [await connect(), await connect(), await connect()];
    for (const socket of sockets) expect(await serves(socket)).toBe(true);
  });
});

describe('proxyTrust', () => {
  it('trusts what Express would trust as the first hop', () => {
    expect(proxyTrust(undefined)('127.0.0.1')).toBe(false);
    expect(proxyTrust(false)('127.0.0.1')).toBe(false);
    expect(proxyTrust(true)('203.0.113.9')).toBe(true);
    expect(proxyTrust(1)('203.0.113.9')).toBe(true);
    expect(proxyTrust(0)('203.0.113.9')).toBe(false);
    const list = proxyTrust('loopback,10.0.0.0/8,192.0.2.7,fd00::/8');
    for (const address of ['127.0.0.1', '127.9.9.9', '::1', '::ffff:127.0.0.1', '10.1.2.3', '::ffff:10.1.2.3', '192.0.2.7', 'fd12::1']) {
      expect([address, list(address)]).toEqual([address, true]);
    }
    for (const address of ['192.0.2.8', '11.0.0.1', '2001:db8::1', '::ffff:192.0.2.8']) expect([address, list(address)]).toEqual([address, false]);
    expect(proxyTrust('uniquelocal')('192.168.1.1')).toBe(true);
    expect(proxyTrust('linklocal')('fe80::1%eth0')).toBe(true);
  });
});
