// TCP listeners. Each accepted socket passes the connection quotas (max.connections, per IP)
// and becomes a Connection; all connections share the broker-wide request budgets
// (queued.max.requests, queued.max.request.bytes) and a slow-sender watchdog. Shutdown stops
// accepting, lets in-flight requests finish (bounded by a grace period), then closes what is left.
import net from 'node:net';
import type { Logger } from '../logging/logger.js';
import { Connection, type ConnectionLimits, type HandlerLookup } from './connection.js';
import { ConnectionQuotas, normalizeAddress, type QuotaSettings } from './connection-quotas.js';
import { SharedBudget, type NetworkBudgets } from './shared-budget.js';

export interface ListenerSpec {
  name: string;
  host: string;
  port: number;
}

export interface BoundListener extends ListenerSpec {
  /** The port actually bound (differs from `port` when it was 0). */
  boundPort: number;
}

/** Broker-wide limits; every field is optional and unbounded when absent. */
export interface ServerLimits {
  /** Read at every accept, so dynamic config changes apply to new connections. */
  quotas?: () => QuotaSettings;
  /** queued.max.requests: requests read but not yet answered, all connections together. */
  queuedMaxRequests?: number;
  /** queued.max.request.bytes: declared bytes of requests still being received; <= 0 unbounded. */
  queuedMaxRequestBytes?: number;
  /** A partial request pending this long closes its connection; <= 0 disables the watchdog. */
  requestReceiveTimeoutMs?: number;
  /** socket.listen.backlog.size: pending connections the kernel queues per listener. */
  listenBacklog?: number;
}

export interface NetworkStats {
  connections: number;
  /** Requests read but not yet answered (queued.max.requests counts these). */
  queuedRequests: number;
  /** Connections paused until queued.max.requests has room. */
  waitingForRequestRoom: number;
  /** Declared bytes of partially received frames (queued.max.request.bytes counts these). */
  partialRequestBytes: number;
  /** Connections paused until queued.max.request.bytes has room. */
  waitingForReceiveBytes: number;
}

const UNLIMITED_QUOTAS: QuotaSettings = { maxConnections: Infinity, maxConnectionsPerIp: Infinity, perIpOverrides: '' };

export class NetworkServer {
  private readonly servers: net.Server[] = [];
  private readonly connections = new Set<Connection>();
  private nextConnectionId = 1;
  readonly bound: BoundListener[] = [];
  readonly budgets: NetworkBudgets;
  private readonly quotas: ConnectionQuotas;
  private watchdog: NodeJS.Timeout | null = null;

  constructor(
    private readonly handlers: HandlerLookup,
    private readonly limits: ConnectionLimits,
    private readonly logger: Logger,
    private readonly serverLimits: ServerLimits = {},
  ) {
    this.budgets = {
      requests: new SharedBudget(serverLimits.queuedMaxRequests ?? 0),
      receiveBytes: new SharedBudget(serverLimits.queuedMaxRequestBytes ?? 0),
    };
    this.quotas = new ConnectionQuotas(serverLimits.quotas ?? (() => UNLIMITED_QUOTAS), logger);
    const timeoutMs = serverLimits.requestReceiveTimeoutMs ?? 0;
    if (timeoutMs > 0) {
      // A sweep instead of a timer per partial frame keeps the per-frame path free of timers; a
      // stalled connection closes between timeoutMs and timeoutMs + 2 sweeps after its frame began.
      const everyMs = Math.max(10, Math.min(1000, Math.floor(timeoutMs / 4)));
      this.watchdog = setInterval(() => {
        const now = performance.now();
        for (const c of this.connections) c.checkStalledReceive(now, timeoutMs);
      }, everyMs);
      this.watchdog.unref();
    }
  }

  async listen(listeners: ListenerSpec[]): Promise<BoundListener[]> {
    for (const spec of listeners) {
      const server = net.createServer({ noDelay: true }, (socket) => this.accept(socket, spec.name));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        // An empty host means all interfaces, as in Kafka's `PLAINTEXT://:9092`.
        server.listen({ port: spec.port, host: spec.host === '' ? undefined : spec.host, backlog: this.serverLimits.listenBacklog ?? 511 }, () => {
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

  /** Where the broker-wide budgets stand (tests, metrics). */
  stats(): NetworkStats {
    return {
      connections: this.connections.size,
      queuedRequests: this.budgets.requests.used,
      waitingForRequestRoom: this.budgets.requests.waiting,
      partialRequestBytes: this.budgets.receiveBytes.used,
      waitingForReceiveBytes: this.budgets.receiveBytes.waiting,
    };
  }

  private accept(socket: net.Socket, listenerName: string): void {
    const address = normalizeAddress(socket.remoteAddress ?? '');
    if (this.quotas.admit(address) !== null) {
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    const conn = new Connection(
      socket,
      this.nextConnectionId++,
      listenerName,
      this.handlers,
      this.limits,
      this.logger,
      (c) => {
        this.connections.delete(c);
        this.quotas.release(address);
      },
      this.budgets,
    );
    this.connections.add(conn);
  }

  /** Stop accepting, wait up to `graceMs` for in-flight requests, then close every connection. */
  async close(graceMs = 5000): Promise<void> {
    if (this.watchdog) clearInterval(this.watchdog);
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
