// A TCP proxy between clients and the broker that cuts connections mid-flight: it forwards
// requests, and every few broker→client chunks it drops the chunk and closes both sides. The
// request behind that chunk was processed (a produce was appended) but its answer is lost, so the
// client retries it on a new connection — exactly the case idempotence must deduplicate.
// The broker advertises the proxy's port, so clients stay behind it after Metadata.
import net from 'node:net';

export class ChaosProxy {
  /** Connections cut so far. */
  cuts = 0;
  /** Chunks forwarded broker → client so far. */
  forwarded = 0;
  enabled = true;
  private targetPort = 0;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    /** Cut after this many broker→client chunks on a connection (drawn per connection). */
    private readonly cutAfter: () => number,
  ) {}

  static async start(cutAfter: () => number = () => 4 + Math.floor(Math.random() * 8)): Promise<ChaosProxy> {
    const server = net.createServer();
    const proxy = new ChaosProxy(server, cutAfter);
    server.on('connection', (c) => proxy.onConnection(c));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  setTarget(port: number): void {
    this.targetPort = port;
  }

  private onConnection(client: net.Socket): void {
    const upstream = net.connect(this.targetPort, '127.0.0.1');
    this.sockets.add(client);
    this.sockets.add(upstream);
    let left = this.cutAfter();
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => {
      if (this.enabled && --left <= 0) {
        this.cuts++;
        closeBoth();
        return;
      }
      this.forwarded++;
      client.write(d);
    });
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
