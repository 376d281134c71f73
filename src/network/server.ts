// TCP and TLS listeners. Each accepted socket passes the connection quotas (max.connections, per
// IP) and becomes a Connection (SSL/SASL_SSL listeners accept through node:tls and start it once
// the handshake is done); all connections share the broker-wide request budgets
// (queued.max.requests, queued.max.request.bytes) and a slow-sender watchdog. Shutdown stops
// accepting, lets in-flight requests finish (bounded by a grace period), then closes what is left.
//
// Binding and serving are two steps (as Kafka's SocketServer binds its acceptors early and enables
// request processing once the broker is ready): the broker binds first, so that a busy port stops
// it before it touches any data, and opens the gate after loading its logs. Connections made in
// between wait (unread, bounded in number) and are served from open(), where the quotas apply.
import net from 'node:net';
import tls from 'node:tls';
import { tlsPeer, type TlsListenerOptions } from '../auth/tls.js';
import type { SaslSession } from '../auth/sasl-session.js';
import type { Logger } from '../logging/logger.js';
import { Connection, type ConnectionLimits, type HandlerLookup } from './connection.js';
import { ConnectionQuotas, normalizeAddress, type QuotaSettings } from './connection-quotas.js';
import { SharedBudget, type NetworkBudgets } from './shared-budget.js';

export interface ListenerSpec {
  name: string;
  host: string;
  port: number;
  /** TLS settings (SSL, SASL_SSL listeners). */
  tls?: TlsListenerOptions | null;
  /** SASL state factory (SASL_PLAINTEXT, SASL_SSL listeners). */
  sasl?: ((onAuthenticated: (principal: string) => void) => SaslSession) | null;
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

/** Connections accepted before the broker is ready that are held; more are refused. */
const MAX_WAITING_CONNECTIONS = 1000;

const UNLIMITED_QUOTAS: QuotaSettings = { maxConnections: Infinity, maxConnectionsPerIp: Infinity, perIpOverrides: '' };

export class NetworkServer {
  private readonly servers: net.Server[] = [];
  private readonly connections = new Set<Connection>();
  private nextConnectionId = 1;
  readonly bound: BoundListener[] = [];
  readonly budgets: NetworkBudgets;
  private readonly quotas: ConnectionQuotas;
  private watchdog: NodeJS.Timeout | null = null;
  private serving = false;
  private closed = false;
  /** Sockets accepted between bind() and open(). */
  private waiting: { socket: net.Socket; spec: ListenerSpec; principal?: string }[] = [];

  constructor(
    /** Null until open() when the broker binds before its handlers exist. */
    private handlers: HandlerLookup | null,
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

  /** Binds and serves at once. */
  async listen(listeners: ListenerSpec[]): Promise<BoundListener[]> {
    await this.bind(listeners);
    this.open();
    return this.bound;
  }

  /** Binds every listener (a busy port rejects with EADDRINUSE); connections wait until open(). */
  async bind(listeners: ListenerSpec[]): Promise<BoundListener[]> {
    for (const spec of listeners) {
      const server = spec.tls ? this.tlsServer(spec, spec.tls) : net.createServer({ noDelay: true }, (socket) => this.accept(socket, spec));
      await new Promise<void>((resolve, reject) => {
        const onError = (err: NodeJS.ErrnoException) => {
          const where = `${spec.host === '' ? '*' : spec.host}:${spec.port}`;
          const why = err.code === 'EADDRINUSE' ? 'the port is already in use (EADDRINUSE)' : err.message;
          reject(Object.assign(new Error(`cannot bind listener ${spec.name} on ${where} (config key listeners): ${why}`), { code: err.code }));
        };
        server.once('error', onError);
        // An empty host means all interfaces, as in Kafka's `PLAINTEXT://:9092`.
        server.listen({ port: spec.port, host: spec.host === '' ? undefined : spec.host, backlog: this.serverLimits.listenBacklog ?? 511 }, () => {
          server.off('error', onError);
          resolve();
        });
      });
      server.on('error', (err) => this.logger.error('listener error', { listener: spec.name, error: err.message }));
      const address = server.address() as net.AddressInfo;
      const bound = { ...spec, boundPort: address.port };
      this.bound.push(bound);
      this.servers.push(server);
    }
    return this.bound;
  }

  /** Starts serving: connections that arrived since bind() first. Logs "listening" per listener. */
  open(handlers?: HandlerLookup): void {
    if (handlers) this.handlers = handlers;
    if (!this.handlers) throw new Error('NetworkServer.open needs the request handlers');
    if (this.serving || this.closed) return;
    this.serving = true;
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) if (!w.socket.destroyed) this.accept(w.socket, w.spec, w.principal);
    for (const b of this.bound) this.logger.info('listening', { listener: b.name, host: b.host, port: b.boundPort });
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

  private tlsServer(spec: ListenerSpec, t: TlsListenerOptions): tls.Server {
    const server = tls.createServer({ ...t.options, noDelay: true }, (socket) => {
      const peer = tlsPeer(socket, t);
      if ('reject' in peer) {
        this.logger.info('closing TLS connection', { listener: spec.name, connection: `${socket.remoteAddress}:${socket.remotePort}`, reason: peer.reject });
        socket.destroy();
        return;
      }
      this.accept(socket, spec, peer.principal ?? undefined);
    });
    server.on('tlsClientError', (err, socket) => {
      this.logger.debug('TLS handshake failed', { listener: spec.name, connection: `${socket.remoteAddress}:${socket.remotePort}`, error: err.message });
      // With a listener attached Node leaves the socket open: a failed or timed-out handshake
      // would otherwise hold its socket forever. end() first lets the TLS alert reach the client
      // (so it reports e.g. "unknown ca" rather than a bare EOF); destroy() bounds the wait.
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
    });
    return server;
  }

  private accept(socket: net.Socket, spec: ListenerSpec, principal?: string): void {
    if (!this.serving) {
      // Not ready yet: hold the socket unread (the client's bytes wait in buffers), bounded.
      socket.on('error', () => {});
      if (this.closed || this.waiting.length >= MAX_WAITING_CONNECTIONS) socket.destroy();
      else this.waiting.push({ socket, spec, principal });
      return;
    }
    const address = normalizeAddress(socket.remoteAddress ?? '');
    if (this.quotas.admit(address) !== null) {
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    const conn = new Connection(
      socket,
      this.nextConnectionId++,
      spec.name,
      this.handlers!,
      this.limits,
      this.logger,
      (c) => {
        this.connections.delete(c);
        this.quotas.release(address);
      },
      this.budgets,
      { principal, sasl: spec.sasl ?? undefined },
    );
    this.connections.add(conn);
  }

  /** Stop accepting, wait up to `graceMs` for in-flight requests, then close every connection. */
  async close(graceMs = 5000): Promise<void> {
    if (this.watchdog) clearInterval(this.watchdog);
    this.closed = true;
    for (const w of this.waiting) w.socket.destroy();
    this.waiting = [];
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
