// Connection and request limits with real sockets: max.connections, max.connections.per.ip (and
// overrides), queued.max.requests, queued.max.request.bytes and the slow-sender watchdog
// (tributary.request.receive.timeout.ms). These keys used to be accepted and ignored.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { waitFor } from '../helpers/wait.js';

let tb: TestBroker | null = null;
const sockets: net.Socket[] = [];
const clients: RawClient[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const c of clients.splice(0)) c.close();
  await tb?.cleanup();
  tb = null;
});

async function client(port: number, localAddress?: string): Promise<RawClient> {
  const c = await RawClient.connect(port, '127.0.0.1', localAddress);
  clients.push(c);
  return c;
}

async function apiVersionsOk(c: RawClient): Promise<void> {
  expect((await c.send(18, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' })).errorCode).toBe(0);
}

/** Connects and resolves once the broker has closed the connection (with the time it took). */
function expectClosedByBroker(port: number, localAddress?: string): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress });
    sockets.push(s);
    s.on('error', () => {});
    s.resume();
    s.once('close', () => resolve(performance.now() - started));
    s.once('connect', () => {
      // An ApiVersions v0 request (header v1, null client id) the broker would answer if it kept the connection.
      s.write(Buffer.from('0000000a00120000' + '00000007' + 'ffff', 'hex'));
      s.once('data', () => reject(new Error('the broker answered a connection beyond the limit')));
    });
  });
}

describe('max.connections', () => {
  it('closes the 6th connection at once while the first five keep being answered, and admits again after one closes', async () => {
    tb = await startTestBroker({ 'max.connections': '5' });
    const five = await Promise.all([1, 2, 3, 4, 5].map(() => client(tb!.port)));
    for (const c of five) await apiVersionsOk(c);
    await expectClosedByBroker(tb.port);
    for (const c of five) await apiVersionsOk(c);
    five[0]!.close();
    await waitFor(() => tb!.broker.connectionCount === 4, 'the broker to count the closed connection');
    await apiVersionsOk(await client(tb.port));
  });

  it('applies a dynamic change of the cluster default to the next connection', async () => {
    tb = await startTestBroker();
    const a = await client(tb.port);
    await apiVersionsOk(a);
    const b = await client(tb.port);
    await apiVersionsOk(b);
    tb.broker.config.alterDynamic('cluster', { 'max.connections': '2' });
    await expectClosedByBroker(tb.port);
    await apiVersionsOk(a);
  });
});

describe('max.connections.per.ip', () => {
  it('limits each client address, with overrides for named addresses', async () => {
    tb = await startTestBroker({ 'max.connections.per.ip': '2', 'max.connections.per.ip.overrides': '127.0.0.2:3' });
    const fromOne = [await client(tb.port, '127.0.0.1'), await client(tb.port, '127.0.0.1')];
    for (const c of fromOne) await apiVersionsOk(c);
    await expectClosedByBroker(tb.port, '127.0.0.1');
    const fromTwo = [await client(tb.port, '127.0.0.2'), await client(tb.port, '127.0.0.2'), await client(tb.port, '127.0.0.2')];
    for (const c of fromTwo) await apiVersionsOk(c);
    await expectClosedByBroker(tb.port, '127.0.0.2');
    for (const c of [...fromOne, ...fromTwo]) await apiVersionsOk(c);
  });

  it('refuses 0 without overrides, and malformed overrides, naming the key', async () => {
    await expect(startTestBroker({ 'max.connections.per.ip': '0' })).rejects.toThrow(/max.connections.per.ip.*overrides/);
    await expect(startTestBroker({ 'max.connections.per.ip.overrides': '127.0.0.1:x' })).rejects.toThrow(/max.connections.per.ip.overrides/);
  });
});

describe('queued.max.requests', () => {
  it('bounds requests being processed across connections: the 4th and 5th long polls are read only when earlier ones are answered', async () => {
    tb = await startTestBroker({ 'queued.max.requests': '3' });
    const setup = await client(tb.port);
    await setup.send(3, 4, { topics: [{ name: 'queued-max' }], allowAutoTopicCreation: true });
    setup.close();
    await waitFor(() => tb!.broker.connectionCount === 0, 'the setup connection to close');
    const conns = await Promise.all([1, 2, 3, 4, 5].map(() => client(tb!.port)));
    const started = performance.now();
    const arrivals = await Promise.all(
      conns.map(async (c) => {
        const r = await c.send(1, 4, {
          replicaId: -1, maxWaitMs: 1500, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0,
          topics: [{ topic: 'queued-max', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }],
        });
        expect(r.responses[0].partitions[0].errorCode).toBe(0);
        return performance.now() - started;
      }),
    );
    arrivals.sort((a, b) => a - b);
    // First wave: three long polls answered after their max wait; the other two were not read
    // until then, so they wait a second max wait.
    expect(arrivals[2]! - arrivals[0]!).toBeLessThan(1000);
    expect(arrivals[3]! - arrivals[0]!).toBeGreaterThan(1000);
    expect(tb.broker.networkStats!.queuedRequests).toBe(0);
  });
});

describe('queued.max.request.bytes', () => {
  it('pauses a second partial frame until the first one completes', async () => {
    tb = await startTestBroker({ 'socket.request.max.bytes': '100000', 'queued.max.request.bytes': '150000' });
    const a = await client(tb.port);
    const b = await client(tb.port);
    const padded = (c: RawClient) => {
      const { frame, correlationId } = c.encode(18, 0, {});
      const out = Buffer.alloc(4 + 100000);
      frame.copy(out);
      out.writeInt32BE(100000, 0);
      return { out, correlationId };
    };
    const fa = padded(a);
    const fb = padded(b);
    const order: string[] = [];
    const ra = a.expect(fa.correlationId, 18, 0).then((r) => order.push('a') && r);
    const rb = b.expect(fb.correlationId, 18, 0).then((r) => order.push('b') && r);
    a.writeRaw(fa.out.subarray(0, 1000));
    await waitFor(() => tb!.broker.networkStats!.partialRequestBytes === 100000, 'a to hold its reservation');
    b.writeRaw(fb.out.subarray(0, 1000));
    await waitFor(() => tb!.broker.networkStats!.waitingForReceiveBytes === 1, 'b to wait for room');
    b.writeRaw(fb.out.subarray(1000));
    a.writeRaw(fa.out.subarray(1000));
    expect((await ra).errorCode).toBe(0);
    expect((await rb).errorCode).toBe(0);
    expect(order).toEqual(['a', 'b']);
    await waitFor(() => tb!.broker.networkStats!.partialRequestBytes === 0, 'reservations to be released');
  });

  it('must be -1 or at least socket.request.max.bytes', async () => {
    await expect(startTestBroker({ 'queued.max.request.bytes': '1000' })).rejects.toThrow(/queued.max.request.bytes/);
  });
});

describe('slow senders', () => {
  it('closes a connection whose request trickles in for longer than tributary.request.receive.timeout.ms', async () => {
    tb = await startTestBroker({ 'tributary.request.receive.timeout.ms': '1000' });
    const s = net.connect(tb.port, '127.0.0.1');
    sockets.push(s);
    s.on('error', () => {});
    await new Promise<void>((resolve) => s.once('connect', () => resolve()));
    const started = performance.now();
    const closed = new Promise<number>((resolve) => s.once('close', () => resolve(performance.now() - started)));
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(1000, 0);
    s.write(prefix);
    let sent = 0;
    // One byte every 50 ms: always "active", so connections.max.idle.ms would never fire.
    const trickle = setInterval(() => {
      if (!s.destroyed) s.write(Buffer.from([sent++ & 0xff]));
    }, 50);
    const elapsed = await closed;
    clearInterval(trickle);
    expect(sent).toBeGreaterThan(10);
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(4000);
    await apiVersionsOk(await client(tb.port));
  });

  it('does not close a request that arrives slowly but within the bound', async () => {
    tb = await startTestBroker({ 'tributary.request.receive.timeout.ms': '5000' });
    const c = await client(tb.port);
    const { frame, correlationId } = c.encode(18, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });
    const p = c.expect(correlationId, 18, 3);
    for (let i = 0; i < frame.length; i++) {
      c.writeRaw(frame.subarray(i, i + 1));
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await p).errorCode).toBe(0);
  });
});
