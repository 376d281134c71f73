// Assembles a broker: log manager, topic registry, partitions, handlers and listeners.
// `startBroker` is the embedding API used by the CLI and by tests (port 0, temp dirs).
import path from 'node:path';
import { LogManager } from '../storage/log/log-manager.js';
import { lockLogDirs, type LogDirLock } from '../storage/log/log-dir-lock.js';
import { ConfigError, type BrokerConfig } from './config/broker-config.js';
import { resolveTopicConfig, toLogConfig, type ResolvedTopicConfig } from './config/topic-config.js';
import type { Logger } from './logging/logger.js';
import { DynamicConfigStore } from './metadata/dynamic-config-store.js';
import { ensureMetaProperties } from './metadata/meta-properties.js';
import { TopicRegistry, type TopicRecord } from './metadata/topic-registry.js';
import { randomUuid } from './metadata/uuid.js';
import { Partition, partitionKey } from './cluster/partition.js';
import { AppendWaiters } from './fetch/append-waiters.js';
import { readPartitions } from './fetch/fetch-reader.js';
import { FetchSessionCache } from './fetch/fetch-session-cache.js';
import { NetworkServer, type BoundListener, type NetworkStats } from './network/server.js';
import { RequestControls } from './network/request-control.js';
import { onCodecLoadFailure } from '../protocol/records/optional-codecs.js';
import { BrokerMetrics } from './metrics/broker-metrics.js';
import { MetricsExporter } from './metrics/http-exporter.js';
import { RequestMetrics } from './metrics/request-metrics.js';
import { version } from './version.js';
import { buildHandlers } from './handlers/registry.js';
import type { HandlerLookup } from './network/connection.js';
import { createGroupCoordinator, type GroupCoordinator } from './coordinator/group/group-coordinator.js';
import { createConsumerGroupCoordinator, type ConsumerGroupCoordinator } from './coordinator/consumer/consumer-coordinator.js';
import { TierManager } from './tier/tier-manager.js';
import { startAggregationStage, type AggregationManager } from './aggregation/manager.js';
import { createTransactionCoordinator, type TransactionCoordinator } from './coordinator/txn/txn-coordinator.js';
import { CoordinatorRuntime } from './coordinator/runtime/coordinator-runtime.js';
import { LegacyPartitionAccess } from './coordinator/runtime/legacy-partition-access.js';
import { OFFSETS_TOPIC } from './coordinator/common/internal-topics.js';
import { ScramCredentialStore } from './auth/scram-store.js';
import { jwksFetchers, listenerSpecs } from './auth/listener-specs.js';
import { AclStore } from './auth/acl/acl-store.js';
import { createAuthorizer, type Authorizer } from './auth/acl/authorizer-config.js';
import type { ListenerSpec } from './network/server.js';

export interface BrokerEndpoint {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export class Broker {
  readonly topics: TopicRegistry;
  /** Dynamic broker configs (AlterConfigs on BROKER resources), persisted in the first log dir. */
  readonly dynamicConfigs: DynamicConfigStore;
  /** SCRAM credentials (AlterUserScramCredentials), persisted in the first log dir. */
  readonly scramCredentials: ScramCredentialStore;
  /** ACLs (CreateAcls/DeleteAcls), persisted in the first log dir. */
  readonly acls: AclStore;
  /** Enforces the ACLs; null when authorizer.class.name is empty (everything allowed). */
  readonly authorizer: Authorizer | null;
  readonly logManager: LogManager;
  /** Tiered storage: copies rolled segments of remote.storage.enable topics to the object store. */
  readonly tier: TierManager;
  readonly waiters = new AppendWaiters();
  readonly fetchSessions: FetchSessionCache;
  /** The aggregation stage (null when tributary.aggregations.enable=false); set by start(). */
  aggregations: AggregationManager | null = null;
  /** Transactions and producer ids (InitProducerId, AddPartitionsToTxn, EndTxn, ...); set by start(). */
  txnCoordinator: TransactionCoordinator | null = null;
  /** The internal-topic runtime the coordinators and the aggregation stage run on (load/unload on failover); set by start(). */
  coordinatorRuntime: CoordinatorRuntime | null = null;
  readonly nodeId: number;
  clusterId = '';
  readonly startedAt = Date.now();
  private readonly partitions = new Map<string, Partition>();
  private readonly topicConfigCache = new Map<string, ResolvedTopicConfig>();
  /** Classic consumer groups; created in start() once the logs are open. */
  groupCoordinator!: GroupCoordinator;
  /** KIP-848 consumer groups (ConsumerGroupHeartbeat); null when group.coordinator.rebalance.protocols leaves "consumer" out. */
  consumerGroupCoordinator: ConsumerGroupCoordinator | null = null;
  private readonly creating = new Map<string, Promise<TopicRecord>>();
  private bound: BoundListener[] = [];
  private readonly jwks: { start(): Promise<void>; stop(): void }[] = [];
  private server: NetworkServer | null = null;
  private metrics: { collector: () => BrokerMetrics | null; exporter: MetricsExporter } | null = null;
  /** Request rate and latency per API (issue 16), timed by buildHandlers' wrapper; always on, it costs two clock reads a request. */
  readonly requestMetrics = new RequestMetrics();
  /** The request handlers, set once the broker is ready (connections wait for them). */
  private handlers: HandlerLookup | null = null;
  /** One per log dir, held from the first step of start() until close() is done. */
  private dirLocks: LogDirLock[] = [];
  private logManagerStarted = false;

  /** Port of the metrics endpoint, null when it is off (tributary.metrics.port = -1). */
  get metricsPort(): number | null {
    return this.metrics?.exporter.port ?? null;
  }

  /** Open client connections on all listeners. */
  get connectionCount(): number {
    return this.server?.connectionCount ?? 0;
  }

  /** Broker-wide network budgets as they stand (null before the listeners open). */
  get networkStats(): NetworkStats | null {
    return this.server?.stats() ?? null;
  }
  private closing: Promise<void> | null = null;
  private readonly stopCodecWatch: () => void;
  /** Request interception for createTestCluster().control; empty (and free) otherwise. */
  readonly requestControls: RequestControls;

  constructor(
    readonly config: BrokerConfig,
    readonly logger: Logger,
  ) {
    this.nodeId = config.nodeId;
    // Native codecs load on first use; say clearly when one is missing (clients get
    // UNSUPPORTED_COMPRESSION_TYPE for it).
    this.stopCodecWatch = onCodecLoadFailure((codec, pkg, error) =>
      logger.warn(`${codec} compression is unavailable: its optional dependency ${pkg} failed to load; producers using ${codec} get UNSUPPORTED_COMPRESSION_TYPE`, { codec, package: pkg, error }),
    );
    this.requestControls = new RequestControls((err, info) =>
      logger.error('request control function failed', { api: info.apiName, error: err.message }),
    );
    const logDirs = config.logDirs;
    this.topics = new TopicRegistry(path.join(logDirs[0]!, '__tributary_topics.json'));
    this.dynamicConfigs = DynamicConfigStore.inLogDir(logDirs[0]!);
    this.scramCredentials = ScramCredentialStore.inLogDir(logDirs[0]!);
    this.acls = AclStore.inLogDir(logDirs[0]!);
    this.authorizer = createAuthorizer(config, this.acls);
    this.logManager = new LogManager({
      logDirs,
      defaultConfig: toLogConfig(resolveTopicConfig(config, {})),
      // Logs load with their topic's config (topics are loaded first), so that no retention pass
      // can see broker defaults (e.g. tiering off) for a topic before openTopicPartitions runs.
      topicConfig: (topic) => {
        const t = this.topics.get(topic);
        return t ? toLogConfig(resolveTopicConfig(this.config, t.configs)) : undefined;
      },
      retentionCheckIntervalMs: config.get('log.retention.check.interval.ms') as number,
      validateAllOnStart: config.get('tributary.log.recover.on.start') as boolean,
      // Kafka runs the checkpoint task once when the period is 0; here 0 leaves only the shutdown checkpoint.
      recoveryPointCheckpointIntervalMs: (config.get('log.flush.offset.checkpoint.interval.ms') as number) || 2 ** 31 - 1,
      flushSchedulerIntervalMs: Math.min(config.get('log.flush.scheduler.interval.ms') as number, 2 ** 31 - 1),
      cleaner: {
        enabled: config.get('log.cleaner.enable') as boolean,
        backoffMs: Math.min(config.get('log.cleaner.backoff.ms') as number, 2 ** 31 - 1),
        producerIdExpirationMs: config.get('producer.id.expiration.ms') as number,
      },
      logger: logger.child({ component: 'log-manager' }),
    });
    this.fetchSessions = new FetchSessionCache(config.get('max.incremental.fetch.session.cache.slots') as number);
    this.tier = new TierManager({ config, logManager: this.logManager, topicIdOf: (t) => this.topics.get(t)?.id, logger: logger.child({ component: 'tier' }) });
  }

  /**
   * Start-up order matters for safety: (1) lock every log dir, before anything there is read or
   * written (a second broker on the same dirs stops here); (2) bind the listeners and the metrics
   * port, so that a busy port stops the broker before it writes any data; (3) load logs and
   * coordinators (which may create internal topics); (4) serve. A failure releases what was taken.
   */
  async start(): Promise<void> {
    // First: bad TLS/SASL settings (missing key file, bad JAAS) fail before anything is opened.
    const listeners = listenerSpecs(this.config, this.scramCredentials, (msg) => this.logger.warn(msg));
    this.jwks.push(...jwksFetchers(listeners));
    try {
      this.dirLocks = await lockLogDirs(this.config.logDirs);
      await this.bindPorts(listeners);
      await this.loadAndStartServices();
    } catch (err) {
      await this.abortStart();
      throw err;
    }
    this.server!.open(this.handlers!);
    this.logger.info('broker started', { nodeId: this.nodeId, clusterId: this.clusterId, topics: this.topics.all().length });
  }

  private async bindPorts(listeners: ListenerSpec[]): Promise<void> {
    this.server = new NetworkServer(
      null,
      {
        maxRequestBytes: this.config.get('socket.request.max.bytes') as number,
        maxInflightRequests: this.config.get('tributary.max.inflight.requests.per.connection') as number,
        maxUnsentResponseBytes: this.config.get('tributary.max.unsent.response.bytes') as number,
        idleTimeoutMs: this.config.get('connections.max.idle.ms') as number,
      },
      this.logger.child({ component: 'network' }),
      {
        // Read at every accept: these keys can be changed dynamically (AlterConfigs).
        quotas: () => ({
          maxConnections: this.config.get('max.connections') as number,
          maxConnectionsPerIp: this.config.get('max.connections.per.ip') as number,
          perIpOverrides: this.config.get('max.connections.per.ip.overrides') as string,
        }),
        queuedMaxRequests: this.config.get('queued.max.requests') as number,
        queuedMaxRequestBytes: this.config.get('queued.max.request.bytes') as number,
        requestReceiveTimeoutMs: this.config.get('tributary.request.receive.timeout.ms') as number,
        listenBacklog: this.config.get('socket.listen.backlog.size') as number,
      },
    );
    this.bound = await this.server.bind(listeners);
    const metricsPort = this.config.get('tributary.metrics.port') as number;
    if (metricsPort >= 0) {
      let collector: BrokerMetrics | null = null;
      const exporter = await MetricsExporter.start(this.config.get('tributary.metrics.host') as string, metricsPort, () => {
        collector ??= this.server && this.handlers ? new BrokerMetrics(this, version(), this.config.get('tributary.metrics.internal.topics') as boolean) : null;
        if (!collector) throw new Error('the broker is still starting');
        return collector.collect();
      });
      this.metrics = { collector: () => collector, exporter };
      this.logger.info('metrics endpoint listening', { port: exporter.port, path: '/metrics' });
    }
  }

  private async loadAndStartServices(): Promise<void> {
    const meta = await ensureMetaProperties(this.config.logDirs, this.nodeId, (this.config.get('cluster.id') as string | null) ?? null);
    this.clusterId = meta.clusterId;
    // Dynamic broker configs first: topic defaults resolved below must see them.
    await this.dynamicConfigs.load(this.config, (msg, fields) => this.logger.warn(msg, fields));
    await this.topics.load();
    await this.scramCredentials.load();
    await this.acls.load();
    // OAUTHBEARER with JWKS: the keys must be there before the first login.
    for (const jwks of this.jwks) await jwks.start();
    this.logManagerStarted = true;
    await this.logManager.startup();
    for (const t of this.topics.all()) await this.openTopicPartitions(t, 0);
    // Before listeners open: the first Fetch/ListOffsets must already see remote data.
    await this.tier.start();
    // Created before the group coordinator replays __consumer_offsets (which hands it the offsets
    // of still-open transactions); started after, so it resumes transactions a crash left in
    // PrepareCommit/PrepareAbort with the groups loaded and before clients connect.
    // The coordinators run on one runtime over the partition layer (issue 12); until that layer
    // lands, LegacyPartitionAccess adapts this broker's partition map (the lead swaps it at merge).
    const coordinatorConfig = (key: string) => this.config.get(key as never);
    this.coordinatorRuntime = new CoordinatorRuntime({ access: new LegacyPartitionAccess(this), topics: this, logger: this.logger.child({ component: 'coordinator-runtime' }) });
    this.txnCoordinator = await createTransactionCoordinator(this.coordinatorRuntime, {
      config: coordinatorConfig,
      logDir: this.config.logDirs[0]!,
      offsetsPartitions: () => this.topics.get(OFFSETS_TOPIC)?.partitions ?? this.config.get('offsets.topic.num.partitions'),
      logs: () => this.logManager.allLogs(),
      groups: () => this.groupCoordinator,
      logger: this.logger.child({ component: 'txn-coordinator' }),
    });
    this.groupCoordinator = await createGroupCoordinator(this.coordinatorRuntime, { config: coordinatorConfig, logger: this.logger.child({ component: 'group-coordinator' }) });
    this.groupCoordinator.core.pendingTxnOffsets = this.txnCoordinator.offsets;
    // Hooked into the classic coordinator before its replay, which hands it the consumer group records.
    this.consumerGroupCoordinator = createConsumerGroupCoordinator(
      { config: coordinatorConfig, topics: this.topics, logger: this.logger.child({ component: 'consumer-group-coordinator' }) },
      this.groupCoordinator,
    );
    await this.groupCoordinator.startup();
    await this.consumerGroupCoordinator?.startup();
    await this.txnCoordinator.startup();
    // After the coordinators, before listeners: clients must find the definitions topic compacted.
    if (this.config.get('tributary.aggregations.enable') as boolean) {
      // The stage runs on the coordinator runtime (owner of the definitions topic), with narrow deps.
      this.aggregations = await startAggregationStage({
        runtime: this.coordinatorRuntime,
        topicAdmin: this,
        waiters: this.waiters,
        readSource: (fetches, opts) => readPartitions(this, fetches, opts),
        config: coordinatorConfig,
        logger: this.logger,
      });
    }
    this.handlers = this.requestControls.wrap(buildHandlers(this));
  }

  /** Undoes a start that failed part-way: ports closed, logs closed (if opened), dir locks released. */
  private async abortStart(): Promise<void> {
    const quietly = (p: Promise<unknown> | undefined) => p?.catch((e) => this.logger.warn('cleanup after failed start', { error: String(e) }));
    await quietly(this.metrics?.exporter.close());
    for (const j of this.jwks) j.stop();
    await quietly(this.server?.close(0));
    await quietly(this.aggregations?.stop());
    await quietly(this.txnCoordinator?.shutdown());
    await quietly(this.consumerGroupCoordinator?.shutdown());
    await quietly(this.groupCoordinator?.shutdown());
    await quietly(this.tier.stop());
    if (this.logManagerStarted) await quietly(this.logManager.shutdown());
    for (const l of this.dirLocks) await l.release();
    this.dirLocks = [];
  }

  /** The first listener's bound port (tests listen on port 0). */
  get port(): number {
    return this.bound[0]?.boundPort ?? 0;
  }

  get boundListeners(): BoundListener[] {
    return this.bound;
  }

  /** How clients should reach this broker through `listenerName` (advertised.listeners, port 0 resolved). */
  endpointFor(listenerName: string): BrokerEndpoint {
    const adv = this.config.advertisedListeners.find((l) => l.name === listenerName) ?? this.config.advertisedListeners[0]!;
    const bound = this.bound.find((b) => b.name === adv.name) ?? this.bound[0];
    let host = adv.host;
    if (host === '' || host === '0.0.0.0' || host === '::') host = '127.0.0.1';
    const port = adv.port === 0 ? (bound?.boundPort ?? 0) : adv.port;
    return { nodeId: this.nodeId, host, port, rack: (this.config.get('broker.rack') as string | null) ?? null };
  }

  /** All brokers of the cluster as seen through `listenerName`. One today; replication adds more. */
  brokersFor(listenerName: string): BrokerEndpoint[] {
    return [this.endpointFor(listenerName)];
  }

  partition(topic: string, index: number): Partition | undefined {
    return this.partitions.get(partitionKey(topic, index));
  }

  topicConfig(topic: string): ResolvedTopicConfig {
    let c = this.topicConfigCache.get(topic);
    if (!c) {
      c = resolveTopicConfig(this.config, this.topics.get(topic)?.configs ?? {});
      this.topicConfigCache.set(topic, c);
    }
    return c;
  }

  async createTopic(name: string, numPartitions: number, replicationFactor: number, configs: Record<string, string>): Promise<TopicRecord> {
    const record: TopicRecord = { name, id: randomUuid(), partitions: numPartitions, replicationFactor, configs, createdAt: Date.now() };
    // Logs first, then the registry: a crash in between leaves stray dirs (ignored), never a
    // registered topic without its logs.
    await this.openTopicPartitions(record, 0);
    await this.topics.put(record);
    this.logger.info('topic created', { topic: name, partitions: numPartitions, topicId: record.id });
    return record;
  }

  /**
   * Creates `name` with the broker defaults unless it exists; concurrent callers share one
   * creation (several clients' Metadata requests can race to auto-create the same topic).
   */
  autoCreateTopic(name: string): Promise<TopicRecord> {
    const existing = this.topics.get(name);
    if (existing) return Promise.resolve(existing);
    let p = this.creating.get(name);
    if (!p) {
      p = this.createTopic(
        name,
        this.config.get('num.partitions') as number,
        this.config.get('default.replication.factor') as number,
        {},
      ).finally(() => this.creating.delete(name));
      this.creating.set(name, p);
    }
    return p;
  }

  async createPartitions(name: string, newTotal: number): Promise<void> {
    const t = this.topics.get(name)!;
    const updated = { ...t, partitions: newTotal };
    await this.openTopicPartitions(updated, t.partitions);
    await this.topics.put(updated);
    this.logger.info('partitions added', { topic: name, partitions: newTotal });
  }

  async deleteTopic(name: string): Promise<void> {
    const t = this.topics.get(name);
    if (!t) return;
    await this.topics.remove(name);
    this.topicConfigCache.delete(name);
    for (let p = 0; p < t.partitions; p++) {
      this.partitions.delete(partitionKey(name, p));
      await this.logManager.deleteLog(name, p);
      this.waiters.notify(name, p);
    }
    await this.tier.onTopicDeleted(name, t.id, t.configs);
    this.groupCoordinator?.onTopicsDeleted([name]);
    this.logger.info('topic deleted', { topic: name, topicId: t.id });
  }

  /** Re-resolves every topic's config after a broker-level default changed (dynamic broker configs). */
  refreshTopicConfigs(): void {
    this.topicConfigCache.clear();
    for (const t of this.topics.all()) {
      const logConfig = toLogConfig(this.topicConfig(t.name));
      for (let p = 0; p < t.partitions; p++) this.partition(t.name, p)?.log.updateConfig(logConfig);
    }
  }

  async alterTopicConfigs(name: string, configs: Record<string, string>): Promise<void> {
    const t = this.topics.get(name)!;
    const wasTiered = this.topicConfig(name).get('remote.storage.enable') === true;
    await this.topics.put({ ...t, configs });
    this.topicConfigCache.delete(name);
    const resolved = this.topicConfig(name);
    const logConfig = toLogConfig(resolved);
    for (let p = 0; p < t.partitions; p++) this.partition(name, p)?.log.updateConfig(logConfig);
    // KIP-950: turning tiering off (allowed only with remote.log.delete.on.disable=true, see
    // remote-storage-rules.ts) deletes the topic's remote data.
    if (wasTiered && resolved.get('remote.storage.enable') !== true) await this.tier.onRemoteStorageDisabled(name, t.id);
  }

  private async openTopicPartitions(t: TopicRecord, from: number): Promise<void> {
    const logConfig = toLogConfig(resolveTopicConfig(this.config, t.configs));
    for (let p = from; p < t.partitions; p++) {
      let log = this.logManager.getLog(t.name, p);
      if (log) log.updateConfig(logConfig);
      else log = await this.logManager.createLog(t.name, p, t.id, logConfig);
      const partition = new Partition(t.name, p, t.id, log, this.nodeId);
      log.onHighWatermark = () => this.waiters.notify(t.name, p);
      this.partitions.set(partitionKey(t.name, p), partition);
    }
  }

  get isClosing(): boolean {
    return this.closing !== null;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await this.shutdownServices();
      } finally {
        // Even after a failed shutdown: this process is done with the dirs.
        for (const l of this.dirLocks) await l.release();
        this.dirLocks = [];
      }
      this.logger.info('shutdown complete');
    })();
    return this.closing;
  }

  private async shutdownServices(): Promise<void> {
    this.logger.info('shutting down');
    this.metrics?.collector()?.close();
    await this.metrics?.exporter.close();
    for (const j of this.jwks) j.stop();
    // Processors append to local logs: stop them while the logs are open.
    await this.aggregations?.stop();
    // Release parked JoinGroups first so in-flight requests can finish within the grace period.
    await this.txnCoordinator?.shutdown();
    await this.consumerGroupCoordinator?.shutdown();
    await this.groupCoordinator?.shutdown();
    await this.server?.close();
    this.waiters.notifyAll();
    await this.tier.stop();
    await this.logManager.shutdown();
    this.stopCodecWatch();
  }
}

export async function startBroker(config: BrokerConfig, logger: Logger): Promise<{ broker: Broker; port: number; bootstrap: string; close(): Promise<void> }> {
  const broker = new Broker(config, logger);
  await broker.start();
  const endpoint = broker.endpointFor(broker.boundListeners[0]!.name);
  return { broker, port: broker.port, bootstrap: `${endpoint.host}:${endpoint.port}`, close: () => broker.close() };
}
