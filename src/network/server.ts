// TCP and TLS listeners. Each accepted socket becomes a Connection; shutdown stops accepting, lets
// in-flight requests finish (bounded by a grace period), then closes what is left. SSL/SASL_SSL
// listeners accept through node:tls and start the Connection once the handshake is done.
//
// Binding and serving are two steps (as Kafka's SocketServer binds its acceptors early and enables
// request processing once the broker is ready): the broker binds first, so that a busy port stops
// it before it touches any data, and opens the gate after loading its logs. Connections made in
// between wait (unread, bounded in number) and are served from open().
import net from 'node:net';
import tls from 'node:tls';
import { tlsPeer, type TlsListenerOptions } from '../auth/tls.js';
import type { SaslSession } from '../auth/sasl-session.js';
import type { Logger } from '../logging/logger.js';
import { Connection, type ConnectionLimits, type HandlerLookup } from './connection.js';

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

/** Connections accepted before the broker is ready that are held; more are refused. */
const MAX_WAITING_CONNECTIONS = 1000;

export class NetworkServer {
  private readonly servers: net.Server[] = [];
  private readonly connections = new Set<Connection>();
  private nextConnectionId = 1;
  readonly bound: BoundListener[] = [];
  private serving = false;
  private closed = false;
  /** Sockets accepted between bind() and open(). */
  private waiting: { socket: net.Socket; spec: ListenerSpec; principal?: string }[] = [];

  constructor(
    /** Null until open() when the broker binds before its handlers exist. */
    private handlers: HandlerLookup | null,
    private readonly limits: ConnectionLimits,
    private readonly logger: Logger,
  ) {}

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
        server.listen(spec.port, spec.host === '' ? undefined : spec.host, () => {
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
      if (this.closed || this.waiting.length >= MAX_WAITING_CONNECTIONS) socket.destroy();
      else this.waiting.push({ socket, spec, principal });
      return;
    }
    const conn = new Connection(
      socket,
      this.nextConnectionId++,
      spec.name,
      this.handlers!,
      this.limits,
      this.logger,
      (c) => this.connections.delete(c),
      { principal, sasl: spec.sasl ?? undefined },
    );
    this.connections.add(conn);
  }

  /** Stop accepting, wait up to `graceMs` for in-flight requests, then close every connection. */
  async close(graceMs = 5000): Promise<void> {
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
