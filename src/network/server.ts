// TCP and TLS listeners. Each accepted socket becomes a Connection; shutdown stops accepting, lets
// in-flight requests finish (bounded by a grace period), then closes what is left. SSL/SASL_SSL
// listeners accept through node:tls and start the Connection once the handshake is done.
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
      const server = spec.tls ? this.tlsServer(spec, spec.tls) : net.createServer({ noDelay: true }, (socket) => this.accept(socket, spec));
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
    const conn = new Connection(
      socket,
      this.nextConnectionId++,
      spec.name,
      this.handlers,
      this.limits,
      this.logger,
      (c) => this.connections.delete(c),
      { principal, sasl: spec.sasl ?? undefined },
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
