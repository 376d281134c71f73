// Assembles a broker: log manager, partition layer and topic manager (src/cluster/), coordinators,
// handlers and listeners. Wiring only: what a part does lives in that part; the methods below that
// delegate to the topic and partition managers keep Broker's old names for callers not yet moved.
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
import type { Partition } from './cluster/partition.js';
import { PartitionManager } from './cluster/partition-manager.js';
import { TopicManager } from './cluster/topic-manager.js';
import type { AppendWaiters } from './cluster/append-waiters.js';
import { verifyTxnPartition } from './coordinator/txn/txn-verify.js';
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
import { TierManager, tierRole } from './tier/tier-manager.js';
import { applyClusterModeDefaults } from './config/cluster-defaults.js';
import type { BrokerKey } from './config/broker-keys.js';
import { startAggregationStage, type AggregationManager } from './aggregation/manager.js';
import { createTransactionCoordinator, type TransactionCoordinator } from './coordinator/txn/txn-coordinator.js';
import { CoordinatorRuntime } from './coordinator/runtime/coordinator-runtime.js';
import { captureShareGroupRecords, startShareService, type ShareService } from './coordinator/share/share-wiring.js';
import { SHARE_STATE_TOPIC } from './coordinator/share/share-state-store.js';
import { OFFSETS_TOPIC, TXN_STATE_TOPIC } from './coordinator/common/internal-topics.js';
import { ScramCredentialStore } from './auth/scram-store.js';
import { jwksFetchers, listenerSpecs } from './auth/listener-specs.js';
import { AclStore } from './auth/acl/acl-store.js';
import { createAuthorizer, type Authorizer } from './auth/acl/authorizer-config.js';
import type { ListenerSpec } from './network/server.js';
import type { BrokerEndpoint } from './cluster/cluster-view.js';
import { QuotaStore } from './quota/quota-store.js'; // client quotas (fix-quotas)
import { ipConnectionRate } from './quota/ip-connection-rate.js'; // connection_creation_rate (fix-quotas)
import { ClusterNode } from './cluster/cluster-node.js';
import { mirrorSecurityMetadata } from './cluster/security-metadata.js';
import { mirrorDynamicBrokerConfigs } from './cluster/dynamic-broker-configs.js';
import { DelegationTokenStore } from './auth/delegation-token-store.js';
import { ReplicaFetchers, type InterBrokerAuthStats } from './cluster/replication/replica-fetchers.js';
import { ReplicationQuotaManager, type ReplicationSide } from './cluster/replication/replication-quota.js';
import { replicaSelectorFor } from './cluster/replica-selector.js';
import { resolveInterBrokerSecurity } from './cluster/inter-broker-security.js';
import { isInternalTopic } from './metadata/topic-name.js';
import { remoteMarkerWriter } from './cluster/txn-marker-sender.js';

export type { BrokerEndpoint } from './cluster/cluster-view.js';

export class Broker {
  readonly topics: TopicRegistry;
  /** Dynamic broker configs (AlterConfigs on BROKER resources), persisted in the first log dir. */
  readonly dynamicConfigs: DynamicConfigStore;
  /** SCRAM credentials (AlterUserScramCredentials), persisted in the first log dir. */
  readonly scramCredentials: ScramCredentialStore;
  /** ACLs (CreateAcls/DeleteAcls), persisted in the first log dir. */
  readonly acls: AclStore;
  /** Client quotas (AlterClientQuotas), persisted in the first log dir; enforced by the handler table. */
  readonly quotaStore: QuotaStore;
  /** Delegation tokens (KIP-48), enabled by delegation.token.secret.key. */
  readonly delegationTokens: DelegationTokenStore;
  /** Enforces the ACLs; null when authorizer.class.name is empty (everything allowed). */
  readonly authorizer: Authorizer | null;
  readonly logManager: LogManager;
  /** Tiered storage: copies rolled segments of remote.storage.enable topics to the object store. */
  readonly tier: TierManager;
  /** The partition layer: the only way anything appends to or reads from a partition. */
  readonly partitionManager: PartitionManager;
  /** Topic lifecycle and the resolved topic configs. */
  readonly topicManager: TopicManager;
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
  /** Classic consumer groups; created in start() once the logs are open. */
  groupCoordinator!: GroupCoordinator;
  /** KIP-848 consumer groups (ConsumerGroupHeartbeat); null when group.coordinator.rebalance.protocols leaves "consumer" out. */
  consumerGroupCoordinator: ConsumerGroupCoordinator | null = null;
  /** Share groups (KIP-932: ShareGroupHeartbeat, ShareFetch, ...); set by start(). */
  shareService: ShareService | null = null;
  /** Cluster mode (tributary.metadata.store set): this broker's membership; null on a single broker. */
  cluster: ClusterNode | null = null;
  private replicaFetchers: ReplicaFetchers | null = null;
  /** Cluster mode: KIP-73 replication quotas of this broker (leader and follower side). */
  replicationQuotas: { leader: ReplicationQuotaManager; follower: ReplicationQuotaManager } | null = null;
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

  /** Failed inter-broker logins of this broker's replica fetchers (cluster mode), null on a single broker. */
  get interBrokerAuthStats(): InterBrokerAuthStats | null {
    return this.replicaFetchers?.authStats ?? null;
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
    this.quotaStore = QuotaStore.inLogDir(logDirs[0]!);
    this.delegationTokens = DelegationTokenStore.inLogDir(logDirs[0]!, config.get('delegation.token.secret.key') ?? config.get('delegation.token.master.key') ?? null);
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
      retentionCheckIntervalMs: config.get('log.retention.check.interval.ms'),
      validateAllOnStart: config.get('tributary.log.recover.on.start'),
      tailCacheBytes: config.get('tributary.log.tail.cache.bytes'),
      // Cluster mode: replication moves the high watermark of every topic.
      autoAdvanceHighWatermark: config.get('tributary.metadata.store') === '',
      // Kafka runs the checkpoint task once when the period is 0; here 0 leaves only the shutdown checkpoint.
      recoveryPointCheckpointIntervalMs: config.get('log.flush.offset.checkpoint.interval.ms') || 2 ** 31 - 1,
      flushSchedulerIntervalMs: Math.min(config.get('log.flush.scheduler.interval.ms'), 2 ** 31 - 1),
      cleaner: {
        enabled: config.get('log.cleaner.enable'),
        backoffMs: Math.min(config.get('log.cleaner.backoff.ms'), 2 ** 31 - 1),
        producerIdExpirationMs: config.get('producer.id.expiration.ms'),
      },
      logger: logger.child({ component: 'log-manager' }),
    });
    this.partitionManager = new PartitionManager({
      nodeId: this.nodeId,
      logManager: this.logManager,
      topicConfig: (topic) => this.topicManager.topicConfig(topic),
      logger: logger.child({ component: 'partitions' }),
      // Coordinator acks=all writes wait as Kafka's: offsets.commit.timeout.ms, request.timeout.ms for transactions.
      internalWriteTimeoutMs: (topic) => (topic === TXN_STATE_TOPIC ? config.get('request.timeout.ms') : config.get('offsets.commit.timeout.ms')),
    });
    // KIP-890: a producer's first transactional write to a partition is checked with the
    // transaction coordinator (created in start(); until then nothing is verified).
    this.partitionManager.setTransactionVerifier((tid, pid, epoch, topic, p, version) => verifyTxnPartition(this, tid, pid, epoch, topic, p, version));
    this.topicManager = new TopicManager({
      config,
      topics: this.topics,
      partitions: this.partitionManager,
      logger,
      onRemoteStorageDisabled: (topic, topicId) => this.tier.onRemoteStorageDisabled(topic, topicId),
    });
    // After a topic's logs are gone: its remote data, then the groups' committed offsets.
    this.topicManager.onTopicDeleted((t) => this.tier.onTopicDeleted(t.name, t.id, t.configs));
    this.topicManager.onTopicDeleted((t) => void this.groupCoordinator?.onTopicsDeleted([t.name]));
    this.fetchSessions = new FetchSessionCache(config.get('max.incremental.fetch.session.cache.slots'));
    const clustered = config.get('tributary.metadata.store') !== '';
    // Cluster mode: unset internal-topic replication factors (and min.isr) take Kafka's defaults.
    if (clustered) applyClusterModeDefaults(config);
    this.tier = new TierManager({
      config,
      logManager: this.logManager,
      topicIdOf: (t) => this.topics.get(t)?.id,
      logger: logger.child({ component: 'tier' }),
      // Cluster mode: only the partition leader uploads (fenced by leader epoch); the controller deletes deleted topics' data.
      ...(clustered ? { role: (t: string, p: number) => tierRole(this.partitionManager.hostedPartition(t, p), this.nodeId), isController: () => this.cluster?.currentControllerId === this.nodeId } : {}),
    });
  }

  /**
   * Start-up order matters for safety: (1) lock every log dir, before anything there is read or
   * written (a second broker on the same dirs stops here); (2) bind the listeners and the metrics
   * port, so that a busy port stops the broker before it writes any data; (3) load logs and
   * coordinators (which may create internal topics); (4) serve. A failure releases what was taken.
   */
  async start(): Promise<void> {
    // First: bad TLS/SASL settings (missing key file, bad JAAS) fail before anything is opened.
    const listeners = listenerSpecs(this.config, this.scramCredentials, (msg) => this.logger.warn(msg), this.delegationTokens);
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
    const connectionRate = ipConnectionRate(this.quotaStore, this.config); // client quotas (fix-quotas)
    this.server = new NetworkServer(
      null,
      {
        maxRequestBytes: this.config.get('socket.request.max.bytes'),
        maxInflightRequests: this.config.get('tributary.max.inflight.requests.per.connection'),
        maxUnsentResponseBytes: this.config.get('tributary.max.unsent.response.bytes'),
        turnRequestBytes: this.config.get('tributary.connection.turn.request.bytes'),
        idleTimeoutMs: this.config.get('connections.max.idle.ms'),
      },
      this.logger.child({ component: 'network' }),
      {
        // Read at every accept: these keys can be changed dynamically (AlterConfigs).
        quotas: () => ({
          maxConnections: this.config.get('max.connections'),
          maxConnectionsPerIp: this.config.get('max.connections.per.ip'),
          perIpOverrides: this.config.get('max.connections.per.ip.overrides'),
          admitConnection: (address: string) => connectionRate.admit(address),
        }),
        queuedMaxRequests: this.config.get('queued.max.requests'),
        queuedMaxRequestBytes: this.config.get('queued.max.request.bytes'),
        requestReceiveTimeoutMs: this.config.get('tributary.request.receive.timeout.ms'),
        listenBacklog: this.config.get('socket.listen.backlog.size'),
      },
    );
    this.bound = await this.server.bind(listeners);
    const metricsPort = this.config.get('tributary.metrics.port');
    if (metricsPort >= 0) {
      let collector: BrokerMetrics | null = null;
      const exporter = await MetricsExporter.start(this.config.get('tributary.metrics.host'), metricsPort, () => {
        collector ??= this.server && this.handlers ? new BrokerMetrics(this, version(), this.config.get('tributary.metrics.internal.topics')) : null;
        if (!collector) throw new Error('the broker is still starting');
        return collector.collect();
      });
      this.metrics = { collector: () => collector, exporter };
      this.logger.info('metrics endpoint listening', { port: exporter.port, path: '/metrics' });
    }
  }

  private async loadAndStartServices(): Promise<void> {
    const meta = await ensureMetaProperties(this.config.logDirs, this.nodeId, this.config.get('cluster.id') ?? null);
    this.clusterId = meta.clusterId;
    // Dynamic broker configs first: topic defaults resolved below must see them.
    await this.dynamicConfigs.load(this.config, (msg, fields) => this.logger.warn(msg, fields));
    await this.topics.load();
    await this.scramCredentials.load();
    await this.acls.load();
    await this.quotaStore.load();
    await this.delegationTokens.load();
    // OAUTHBEARER with JWKS: the keys must be there before the first login.
    for (const jwks of this.jwks) await jwks.start();
    this.logManagerStarted = true;
    await this.logManager.startup();
    // Cluster mode is known before the logs are opened: a restarted broker must not open its
    // replicated topics from disk as single-broker partitions (they would never follow a leader).
    const clustered = this.config.get('tributary.metadata.store') !== '';
    if (clustered) this.enterClusterMode();
    await this.topicManager.openAll();
    // Before joining: in cluster mode the store's partition states tell it which coordinator partitions to load.
    this.coordinatorRuntime = new CoordinatorRuntime({ access: this.partitionManager, topics: this.topicManager, logger: this.logger.child({ component: 'coordinator-runtime' }), clustered });
    if (clustered) await this.joinCluster();
    // Before listeners open: the first Fetch/ListOffsets must already see remote data.
    await this.tier.start();
    // Created before the group coordinator replays __consumer_offsets (which hands it the offsets
    // of still-open transactions); started after, so it resumes transactions a crash left in
    // PrepareCommit/PrepareAbort with the groups loaded and before clients connect.
    // The coordinators and the aggregation stage run on one runtime over the partition layer.
    const coordinatorConfig = (key: string) => this.config.get(key as BrokerKey);
    this.txnCoordinator = await createTransactionCoordinator(this.coordinatorRuntime, {
      config: coordinatorConfig,
      ...(this.cluster ? { nodeId: this.nodeId, markers: remoteMarkerWriter(this.partitionManager, this.cluster, this.logger.child({ component: 'txn-markers' })) } : {}),
      logDir: this.config.logDirs[0]!,
      offsetsPartitions: () => this.topics.get(OFFSETS_TOPIC)?.partitions ?? this.config.get('offsets.topic.num.partitions'),
      producerUpkeep: this.partitionManager,
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
    // Share-group membership records are replayed with the rest of __consumer_offsets.
    const shareGroupLog = captureShareGroupRecords(this.groupCoordinator);
    await this.groupCoordinator.startup();
    await this.consumerGroupCoordinator?.startup();
    await this.txnCoordinator.startup();
    // Cluster mode: from here on the coordinators load the partitions this broker leads (and unload lost ones).
    if (this.cluster) this.coordinatorRuntime.followLeadership();
    // Share groups (KIP-932), after the group coordinators: they share the group-id namespace.
    this.shareService = await startShareService(this, coordinatorConfig, (fetches, opts) => readPartitions(this, fetches, opts), shareGroupLog);
    // After the coordinators, before listeners: clients must find the definitions topic compacted.
    if (this.config.get('tributary.aggregations.enable')) {
      // The stage runs on the coordinator runtime (owner of the definitions topic), with narrow deps.
      this.aggregations = await startAggregationStage({
        runtime: this.coordinatorRuntime,
        topicAdmin: this,
        waiters: this.waiters,
        readSource: (fetches, opts) => readPartitions(this, fetches, opts),
        config: coordinatorConfig,
        logger: this.logger,
        // Cluster mode: the stage runs on the leader of __tributary_aggregations-0 and reaches other leaders itself.
        ...(this.cluster ? { cluster: { nodeId: this.nodeId, leaderOf: (t: string, p: number) => this.partitionManager.partition(t, p)?.leaderId ?? -1, endpointOf: (id: number) => this.cluster!.endpointOf(id) } } : {}),
      });
    }
    this.handlers = this.requestControls.wrap(buildHandlers(this));
  }

  /**
   * Cluster mode: register with the metadata store and campaign for controller; the store's
   * topics and partition states become local topics and Partition leadership (cluster-node.ts).
   */
  private enterClusterMode(): void {
    this.partitionManager.clustered = true;
    this.topicManager.setCluster({ nodeId: this.nodeId, createTopic: (...a) => this.cluster!.createTopic(...a), alterTopicConfigs: (...a) => this.cluster!.alterTopicConfigs(...a) });
  }

  /** KIP-73: one side's replication quota, reading the rate and the topics' lists live. */
  private replicationQuota(side: ReplicationSide): ReplicationQuotaManager {
    return new ReplicationQuotaManager({
      brokerId: this.nodeId,
      side,
      windows: { samples: this.config.get('replication.quota.window.num'), windowMs: this.config.get('replication.quota.window.size.seconds') * 1000 },
      rateBound: () => this.config.get(side === 'leader' ? 'leader.replication.throttled.rate' : 'follower.replication.throttled.rate'),
      throttledReplicas: (topic) =>
        this.topics.get(topic) ? this.topicManager.topicConfig(topic).get(side === 'leader' ? 'leader.replication.throttled.replicas' : 'follower.replication.throttled.replicas') : [],
    });
  }

  private async joinCluster(): Promise<void> {
    const nodeId = this.nodeId;
    const topicReplicas = new Map<string, number[][]>();
    this.replicationQuotas = { leader: this.replicationQuota('leader'), follower: this.replicationQuota('follower') };
    this.partitionManager.leaderReplicationQuota = this.replicationQuotas.leader;
    const fetchers = new ReplicaFetchers({
      quota: this.replicationQuotas.follower,
      nodeId,
      endpointOf: (id) => this.cluster?.endpointOf(id),
      partitionMaxBytes: this.config.get('replica.fetch.max.bytes'),
      responseMaxBytes: this.config.get('replica.fetch.response.max.bytes'),
      maxWaitMs: this.config.get('replica.fetch.wait.max.ms'),
      backoffMs: this.config.get('replica.fetch.backoff.ms'),
      logger: this.logger.child({ component: 'replica-fetcher' }),
    });
    this.replicaFetchers = fetchers;
    this.partitionManager.setReplication({
      follow: (p) => fetchers.follow(p),
      unfollow: (p) => fetchers.unfollow(p),
      alterIsr: (p, isr) => void this.cluster?.alterIsr(p.topic, p.index, p.leaderEpoch, isr),
      lagTimeMaxMs: this.config.get('replica.lag.time.max.ms'),
    });
    // KIP-392: with replica.selector.class set, leaders name a preferred read replica by rack.
    const selector = replicaSelectorFor(this.config.get('replica.selector.class') ?? null);
    if (selector) this.partitionManager.setReadReplicaSelection({ selector, rackOf: (id) => this.cluster?.liveBrokers().find((b) => b.brokerId === id)?.rack });
    this.cluster = new ClusterNode({
      storeUrl: this.config.get('tributary.metadata.store'),
      root: this.config.get('tributary.metadata.root'),
      sessionTtlMs: this.config.get('tributary.metadata.session.timeout.ms'),
      uncleanLeaderElectionEnable: this.config.get('unclean.leader.election.enable'),
      ...(this.config.get('auto.leader.rebalance.enable')
        ? { autoLeaderRebalance: { intervalMs: this.config.get('leader.imbalance.check.interval.seconds') * 1000, imbalancePercent: this.config.get('leader.imbalance.per.broker.percentage') } }
        : {}),
      controlledShutdown: {
        enable: this.config.get('controlled.shutdown.enable'),
        maxRetries: this.config.get('controlled.shutdown.max.retries'),
        backoffMs: this.config.get('controlled.shutdown.retry.backoff.ms'),
      },
      interBroker: resolveInterBrokerSecurity(this.config),
      registration: {
        brokerId: nodeId,
        rack: this.config.get('broker.rack') ?? null,
        listeners: this.config.advertisedListeners.map((l) => {
          const e = this.endpointFor(l.name);
          return { name: l.name, host: e.host, port: e.port, securityProtocol: l.securityProtocol };
        }),
      },
      logger: this.logger.child({ component: 'cluster' }),
      onTopic: async (t) => {
        topicReplicas.set(t.name, t.replicas);
        await this.topicManager.applyClusterTopic(t);
        this.partitionManager.setClusterReplicas(t.name, t.replicas);
      },
      onTopicDeleted: async (name) => {
        topicReplicas.delete(name);
        await this.topicManager.deleteTopic(name);
      },
      onSessionLost: () => {
        this.partitionManager.resignLeadership();
        this.coordinatorRuntime?.resignAll();
      },
      onPartition: (v) => {
        const t = this.topics.get(v.topic);
        this.partitionManager.applyClusterState({
          topic: v.topic,
          index: v.partition,
          topicId: t?.id ?? '',
          leaderId: v.state.leader,
          leaderEpoch: v.state.leaderEpoch,
          replicas: topicReplicas.get(v.topic)?.[v.partition] ?? [],
          isr: v.state.isr,
          partitionEpoch: v.state.partitionEpoch,
        });
        // Coordinators follow the leadership of their internal-topic partitions.
        if (isInternalTopic(v.topic) || v.topic === SHARE_STATE_TOPIC || v.topic === '__tributary_aggregations') this.coordinatorRuntime?.leadershipChanged(v.topic, v.partition, v.state.leader === nodeId);
      },
    });
    this.clusterId = await this.cluster.start(this.clusterId);
    // ACLs, SCRAM credentials, client quotas and delegation tokens from the store, before any client is served.
    await this.cluster.watchStore((store) => mirrorSecurityMetadata(store, { acls: this.acls, scram: this.scramCredentials, client_quotas: this.quotaStore, delegation_tokens: this.delegationTokens }));
    // Dynamic broker configs (cluster default and this broker's own) from the store as well.
    await this.cluster.watchStore((store) =>
      mirrorDynamicBrokerConfigs(store, {
        nodeId,
        config: this.config,
        dynamicConfigs: this.dynamicConfigs,
        onChanged: () => this.refreshTopicConfigs(),
        warn: (msg, fields) => this.logger.warn(msg, fields),
      }),
    );
  }

  private stopReplication(): void {
    this.replicaFetchers?.stop();
    this.partitionManager.stopReplication();
  }

  /** The controller's id (this broker on a single broker). */
  get controllerId(): number {
    return this.cluster ? this.cluster.currentControllerId : this.nodeId;
  }

  /** Undoes a start that failed part-way: ports closed, logs closed (if opened), dir locks released. */
  private async abortStart(): Promise<void> {
    const quietly = (p: Promise<unknown> | undefined) => p?.catch((e) => this.logger.warn('cleanup after failed start', { error: String(e) }));
    await quietly(this.metrics?.exporter.close());
    for (const j of this.jwks) j.stop();
    await quietly(this.server?.close(0));
    await quietly(this.aggregations?.stop());
    await quietly(this.txnCoordinator?.shutdown());
    await quietly(this.shareService?.shutdown());
    await quietly(this.consumerGroupCoordinator?.shutdown());
    await quietly(this.groupCoordinator?.shutdown());
    this.stopReplication();
    await quietly(this.cluster?.stop());
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
    return { nodeId: this.nodeId, host, port, rack: this.config.get('broker.rack') ?? null };
  }

  /** All brokers of the cluster as seen through `listenerName`. One today; replication adds more. */
  brokersFor(listenerName: string): BrokerEndpoint[] {
    if (this.cluster) {
      return this.cluster.liveBrokers().map((b) => {
        const l = b.listeners.find((x) => x.name === listenerName) ?? b.listeners[0]!;
        return { nodeId: b.brokerId, host: l.host, port: l.port, rack: b.rack };
      });
    }
    return [this.endpointFor(listenerName)];
  }

  /**
   * DescribeCluster v2 with includeFencedBrokers (KIP-1073): every registered broker, fenced ones
   * (stopped, not unregistered) flagged. A single broker is never fenced.
   */
  async registeredBrokersFor(listenerName: string): Promise<(BrokerEndpoint & { fenced: boolean })[]> {
    if (!this.cluster) return this.brokersFor(listenerName).map((b) => ({ ...b, fenced: false }));
    return (await this.cluster.registeredBrokers()).map((b) => {
      const l = b.listeners.find((x) => x.name === listenerName) ?? b.listeners[0]!;
      return { nodeId: b.brokerId, host: l.host, port: l.port, rack: b.rack, fenced: b.fenced };
    });
  }

  /** Long-polling fetches wait here (owned by the partition layer). */
  get waiters(): AppendWaiters {
    return this.partitionManager.waiters;
  }

  // Topic lifecycle and partitions: delegations under Broker's old names (issue 12's contract),
  // for callers that still take a Broker; new code takes the managers' narrow interfaces.

  partition(topic: string, index: number): Partition | undefined {
    return this.partitionManager.hostedPartition(topic, index);
  }

  topicConfig(topic: string): ResolvedTopicConfig {
    return this.topicManager.topicConfig(topic);
  }

  createTopic(name: string, numPartitions: number, replicationFactor: number, configs: Record<string, string>, assignment?: number[][]): Promise<TopicRecord> {
    return this.topicManager.createTopic(name, numPartitions, replicationFactor, configs, assignment);
  }

  autoCreateTopic(name: string): Promise<TopicRecord> {
    return this.topicManager.autoCreateTopic(name);
  }

  createPartitions(name: string, newTotal: number): Promise<void> {
    return this.topicManager.createPartitions(name, newTotal);
  }

  deleteTopic(name: string): Promise<void> {
    return this.topicManager.deleteTopic(name);
  }

  refreshTopicConfigs(): void {
    this.topicManager.refreshTopicConfigs();
  }

  alterTopicConfigs(name: string, configs: Record<string, string>): Promise<void> {
    return this.topicManager.alterTopicConfigs(name, configs);
  }

  /**
   * Cluster mode, for failover drills: stops as kill -9 would as far as the cluster can tell (the
   * lease is left to expire, no controlled shutdown), then closes the logs.
   */
  async crash(): Promise<void> {
    this.stopReplication();
    await this.cluster?.crash();
    await this.close();
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
    // Cluster mode: leadership moves off this broker while it still serves (clients get
    // NOT_LEADER_OR_FOLLOWER naming the new leader, not a timeout).
    await this.cluster?.controlledShutdown().catch((e) => this.logger.warn('controlled shutdown failed', { error: String(e) }));
    this.metrics?.collector()?.close();
    await this.metrics?.exporter.close();
    for (const j of this.jwks) j.stop();
    // Processors append to local logs: stop them while the logs are open.
    await this.aggregations?.stop();
    // Release parked JoinGroups first so in-flight requests can finish within the grace period.
    await this.coordinatorRuntime?.stopFollowing();
    await this.txnCoordinator?.shutdown();
    await this.shareService?.shutdown();
    await this.consumerGroupCoordinator?.shutdown();
    await this.groupCoordinator?.shutdown();
    this.stopReplication();
    await this.server?.close();
    // Leaving the cluster revokes the lease: the controller moves leadership at once.
    await this.cluster?.stop();
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
