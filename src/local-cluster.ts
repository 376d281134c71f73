// Several brokers in one Node process forming one cluster over a metadata store (`memory:NAME`
// shared in-process, or etcd), each with its own data dir and port. Shared by the testing API
// (createTestCluster with brokers > 1) and `tributary dev-cluster`: start, stop (clean shutdown,
// the lease is revoked), kill (kill -9 as the cluster sees it: the lease is left to expire, no
// controlled shutdown) and restart one broker while the others run.
import { randomBytes } from 'node:crypto';
import { startEmbedded, type Embedded } from './embedded.js';
import type { BrokerSettings } from './config/settings.js';
import type { LogFormat, LogLevelSetting, LogSink } from './logging/logger.js';

export type LocalBrokerState = 'running' | 'stopped' | 'killed';

export interface LocalBrokerSpec {
  nodeId: number;
  dataDir: string;
  /** 0 = ephemeral on first start; a restart reuses the port the broker had. */
  port: number;
}

export interface LocalClusterOptions {
  brokers: readonly LocalBrokerSpec[];
  /** `memory:NAME` (default: a fresh name) or `etcd://host:port[,…]`. */
  store?: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Broker settings every broker gets (node.id, listeners, log.dirs and the store are set here). */
  config?: BrokerSettings;
  logLevel?: LogLevelSetting;
  logFormat?: LogFormat;
  /** Log lines of broker N get `{ broker: N }`... through a stream per broker when given. */
  logStream?: (nodeId: number) => LogSink | undefined;
  /** How long to wait for every broker to see every other at start (default 30 s). */
  readyTimeoutMs?: number;
}

export interface LocalBroker {
  readonly nodeId: number;
  readonly dataDir: string;
  readonly host: string;
  /** The bound port (known after the first start). */
  port: number;
  state: LocalBrokerState;
  /** The running broker, while state is 'running'. */
  embedded: Embedded | null;
}

/** Kafka-style defaults for a small cluster of `n` brokers (users' settings override them). */
export function clusterDefaults(n: number): BrokerSettings {
  const rf = Math.min(3, n);
  const minIsr = n >= 3 ? 2 : 1;
  return {
    'default.replication.factor': rf,
    'min.insync.replicas': minIsr,
    'offsets.topic.replication.factor': rf,
    'transaction.state.log.replication.factor': rf,
    'transaction.state.log.min.isr': minIsr,
    'tributary.aggregation.replication.factor': rf,
    'share.coordinator.state.topic.replication.factor': rf,
    'share.coordinator.state.topic.min.isr': minIsr,
  };
}

export class LocalCluster {
  readonly brokers: LocalBroker[];
  readonly store: string;
  private readonly host: string;
  private closed = false;
  /** One operation per broker at a time (a restart racing a kill would start two brokers). */
  private readonly busy = new Map<number, Promise<unknown>>();

  private constructor(private readonly opts: LocalClusterOptions) {
    this.host = opts.host ?? '127.0.0.1';
    this.store = opts.store ?? `memory:local-${randomBytes(6).toString('hex')}`;
    this.brokers = opts.brokers.map((b) => ({ nodeId: b.nodeId, dataDir: b.dataDir, host: this.host, port: b.port, state: 'stopped' as LocalBrokerState, embedded: null }));
  }

  /** Starts every broker (in node id order) and waits until each sees all of them registered. */
  static async start(opts: LocalClusterOptions): Promise<LocalCluster> {
    const ids = opts.brokers.map((b) => b.nodeId);
    if (ids.length === 0) throw new Error('a cluster needs at least one broker');
    if (new Set(ids).size !== ids.length) throw new Error(`duplicate node ids: ${ids.join(', ')}`);
    const cluster = new LocalCluster(opts);
    try {
      for (const b of cluster.brokers) await cluster.startOne(b);
      await cluster.waitUntil(`${ids.length} brokers registered`, () => cluster.allRegistered(), opts.readyTimeoutMs ?? 30_000);
    } catch (err) {
      await cluster.close();
      throw err;
    }
    return cluster;
  }

  /** `host:port` of every broker, running or not (clients skip the ones that are down). */
  get bootstrap(): string {
    return this.brokers.map((b) => `${b.host}:${b.port}`).join(',');
  }

  get(nodeId: number): LocalBroker {
    const b = this.brokers.find((x) => x.nodeId === nodeId);
    if (!b) throw new Error(`no broker with node id ${nodeId} (the cluster has ${this.brokers.map((x) => x.nodeId).join(', ')})`);
    return b;
  }

  /** The broker's controller id as it sees it (-1 when none is known or it is down). */
  controllerId(): number {
    for (const b of this.brokers) if (b.embedded) return b.embedded.broker.controllerId;
    return -1;
  }

  /** A running broker stops: cleanly ('stopped') or as kill -9 would ('killed', no controlled shutdown). */
  private async halt(b: LocalBroker, how: 'stopped' | 'killed'): Promise<void> {
    if (b.state !== 'running') return;
    const e = b.embedded!;
    b.embedded = null;
    b.state = how;
    await (how === 'killed' ? e.broker.crash() : e.close());
  }

  /** Clean shutdown of one broker: the lease is revoked, its partitions get new leaders at once. */
  stop(nodeId: number): Promise<LocalBroker> {
    return this.exclusive(nodeId, async (b) => {
      await this.halt(b, 'stopped');
      return b;
    });
  }

  /**
   * kill -9 as far as the cluster can tell: no controlled shutdown, the registration lease is left
   * to expire (tributary.metadata.session.timeout.ms), so failover takes that long.
   */
  kill(nodeId: number): Promise<LocalBroker> {
    return this.exclusive(nodeId, async (b) => {
      await this.halt(b, 'killed');
      return b;
    });
  }

  /** Stops the broker if it runs (clean shutdown), then starts it again on the same data dir and port. */
  restart(nodeId: number): Promise<LocalBroker> {
    return this.exclusive(nodeId, async (b) => {
      await this.halt(b, 'stopped');
      await this.startOne(b);
      return b;
    });
  }

  /** Starts a broker that is stopped or killed (a no-op when it runs). */
  startBroker(nodeId: number): Promise<LocalBroker> {
    return this.exclusive(nodeId, async (b) => {
      if (b.state !== 'running') await this.startOne(b);
      return b;
    });
  }

  /** Stops every running broker (clean shutdown). Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.busy.values()]);
    // In reverse order: the controller (usually broker 1) goes last, so it moves leadership once.
    for (const b of [...this.brokers].reverse()) {
      const e = b.embedded;
      if (!e) continue;
      b.embedded = null;
      b.state = 'stopped';
      await e.close().catch(() => undefined);
    }
  }

  /** Polls `check` until it holds, or throws naming `what` after `timeoutMs`. */
  async waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Every running broker sees every running broker registered. */
  allRegistered(): boolean {
    const running = this.brokers.filter((b) => b.embedded);
    const ids = running.map((b) => b.nodeId).sort((a, c) => a - c).join();
    return running.every((b) => {
      const br = b.embedded!.broker;
      const seen = br.brokersFor(br.boundListeners[0]!.name).map((x) => x.nodeId).sort((a, c) => a - c).join();
      return seen === ids;
    });
  }

  private async startOne(b: LocalBroker): Promise<void> {
    if (this.closed) throw new Error('the cluster is closed');
    const o = this.opts;
    const hostPart = this.host.includes(':') ? `[${this.host}]` : this.host;
    const embedded = await startEmbedded(
      {
        config: {
          ...(o.config ?? {}),
          'node.id': b.nodeId,
          listeners: `PLAINTEXT://${hostPart}:${b.port}`,
          'log.dirs': b.dataDir,
          'tributary.metadata.store': this.store,
        },
        logLevel: o.logLevel,
        logFormat: o.logFormat,
        logStream: o.logStream?.(b.nodeId),
      },
      'silent',
    );
    b.port = embedded.port;
    b.embedded = embedded;
    b.state = 'running';
  }

  private exclusive<T>(nodeId: number, fn: (b: LocalBroker) => Promise<T>): Promise<T> {
    const b = this.get(nodeId);
    if (this.closed) return Promise.reject(new Error('the cluster is closed'));
    const prev = this.busy.get(nodeId) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(() => fn(b));
    this.busy.set(nodeId, next);
    void next.finally(() => {
      if (this.busy.get(nodeId) === next) this.busy.delete(nodeId);
    }).catch(() => undefined);
    return next;
  }
}
