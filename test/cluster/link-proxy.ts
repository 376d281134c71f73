// A TCP proxy in front of one broker that can cut the replication link of one follower while
// clients and the other followers still get through: every broker advertises its proxy, so a
// follower's replica fetcher reaches the leader through it, and the proxy tells connections apart
// by the client id of their first request (`tributary-replica-fetcher-<id>`).
import net from 'node:net';

export interface LinkProxy {
  port: number;
  /** Where to forward (set once the broker behind it has bound its port). */
  target: number;
  /** Replica-fetcher connections from these broker ids are refused and dropped. */
  cut(followerId: number): void;
  heal(followerId: number): void;
  /** Replica-fetcher connections from this broker that were let through so far. */
  fetcherConnections(followerId: number): number;
  close(): Promise<void>;
}

/** Bytes needed before the client id of a Kafka request header (v1+) can be read: size, key, version, correlation, id length. */
const HEADER_PREFIX = 4 + 2 + 2 + 4 + 2;
/** A first request frame whose header is not readable within this many bytes is passed through. */
const MAX_SNIFF = 64 * 1024;

function fetcherId(first: Buffer): number | null | undefined {
  if (first.length < HEADER_PREFIX) return undefined; // need more bytes
  const len = first.readInt16BE(12);
  if (len < 0) return null;
  if (first.length < HEADER_PREFIX + len) return undefined;
  const m = /^tributary-replica-fetcher-(\d+)$/.exec(first.subarray(HEADER_PREFIX, HEADER_PREFIX + len).toString());
  return m ? Number(m[1]) : null;
}

export async function startLinkProxy(): Promise<LinkProxy> {
  const cutOff = new Set<number>();
  const accepted = new Map<number, number>();
  const fetchers = new Map<number, Set<net.Socket>>();
  const sockets = new Set<net.Socket>();
  let target = 0;

  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('error', () => undefined);
    client.on('close', () => sockets.delete(client));
    let sniffed = Buffer.alloc(0);
    const onFirst = (d: Buffer) => {
      sniffed = Buffer.concat([sniffed, d]);
      const id = fetcherId(sniffed);
      if (id === undefined && sniffed.length < MAX_SNIFF) return;
      client.off('data', onFirst);
      client.pause();
      if (id !== null && id !== undefined) {
        if (cutOff.has(id)) {
          client.destroy();
          return;
        }
        accepted.set(id, (accepted.get(id) ?? 0) + 1);
        let set = fetchers.get(id);
        if (!set) fetchers.set(id, (set = new Set()));
        set.add(client);
        client.on('close', () => set!.delete(client));
      }
      const upstream = net.connect(target, '127.0.0.1');
      sockets.add(upstream);
      upstream.on('error', () => client.destroy());
      upstream.on('close', () => {
        sockets.delete(upstream);
        client.destroy();
      });
      client.on('close', () => upstream.destroy());
      upstream.write(sniffed);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    };
    client.on('data', onFirst);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    get target() {
      return target;
    },
    set target(p: number) {
      target = p;
    },
    cut(id) {
      cutOff.add(id);
      for (const s of fetchers.get(id) ?? []) s.destroy();
    },
    heal(id) {
      cutOff.delete(id);
    },
    fetcherConnections: (id) => accepted.get(id) ?? 0,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
