// TCP listeners. Each accepted socket becomes a Connection; shutdown stops accepting, lets
// in-flight requests finish (bounded by a grace period), then closes what is left.
import net from 'node:net';
import type { Logger } from '../logging/logger.js';
import { Connection, type ConnectionLimits, type HandlerLookup } from './connection.js';

export interface ListenerSpec {
  name: string;
  host: string;
  port: number;
}

export interface BoundListener extends ListenerSpec {
  /** The port actually bound (differs from `port` when it was 0). */
  boundPort: number;
}

export class NetworkServer {
  private readonly servers: net.Server[] = [];
  private readonly connections = new Set<Connection>();
  private nextConnectionId = 1;
  readonly bound: BoundListener[] = [];

  constructor(
    private readonly handlers: HandlerLookup,
    private readonly limits: ConnectionLimits,
    private readonly logger: Logger,
  ) {}

  async listen(listeners: ListenerSpec[]): Promise<BoundListener[]> {
    for (const spec of listeners) {
      const server = net.createServer({ noDelay: true }, (socket) => this.accept(socket, spec.name));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        // An empty host means all interfaces, as in Kafka's `PLAINTEXT://:9092`.
        server.listen(spec.port, spec.host === '' ? undefined : spec.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', (err) => this.logger.error('listener error', { listener: spec.name, error: err.message }));
      const address = server.address() as net.AddressInfo;
      const bound = { ...spec, boundPort: address.port };
      this.bound.push(bound);
      this.servers.push(server);
      this.logger.info('listening', { listener: spec.name, host: spec.host, port: address.port });
    }
    return this.bound;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  private accept(socket: net.Socket, listenerName: string): void {
    const conn = new Connection(socket, this.nextConnectionId++, listenerName, this.handlers, this.limits, this.logger, (c) =>
      this.connections.delete(c),
    );
    this.connections.add(conn);
  }

  /** Stop accepting, wait up to `graceMs` for in-flight requests, then close every connection. */
  async close(graceMs = 5000): Promise<void> {
    const closing = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    for (const c of this.connections) c.stopReading();
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && [...this.connections].some((c) => c.inflight > 0)) {
      await new Promise((r) => setTimeout(r, 10));
    }
    for (const c of this.connections) c.close();
    await Promise.all(closing);
  }
}
