// Topic lifecycle (issue 12, moved out of broker.ts): create (and auto-create), delete, add
// partitions, alter configs, and the cache of resolved topic configs. The topic registry is the
// record of which topics exist; the partition manager opens and deletes their logs. Method names
// are the ones Broker had, so narrow interfaces over them fit both.
import { ErrorCode } from '../../protocol/errors.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { resolveTopicConfig, toLogConfig, type ResolvedTopicConfig } from '../config/topic-config.js';
import type { Logger } from '../logging/logger.js';
import type { TopicRecord, TopicRegistry } from '../metadata/topic-registry.js';
import { randomUuid } from '../metadata/uuid.js';
import type { PartitionManager } from './partition-manager.js';
import type { TopicRecord as StoreTopicRecord } from './metadata-store/types.js';

/** Cluster mode: where topic creation goes (the controller, see cluster-node.ts). */
export interface ClusterTopicRouter {
  nodeId: number;
  createTopic(name: string, numPartitions: number, replicationFactor: number, configs: Record<string, string>, assignment?: number[][]): Promise<{ errorCode: number; errorMessage?: string }>;
  /** Sets `set` and removes `remove` among a topic's overrides (a delta: concurrent alters of other keys survive). */
  alterTopicConfigs(name: string, set: Record<string, string>, remove: string[]): Promise<{ errorCode: number; errorMessage?: string }>;
}

/** A topic the controller refused (the Kafka error code for CreateTopics). */
export class ClusterTopicError extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** How long a created topic may take to reach this broker through the store's watch. */
const CLUSTER_TOPIC_WAIT_MS = 10_000;

/** Told after a topic is gone (tiered data, committed offsets); failures are the listener's to log. */
export type TopicDeletedListener = (record: TopicRecord) => Promise<void> | void;

export interface TopicManagerOptions {
  config: BrokerConfig;
  topics: TopicRegistry;
  partitions: PartitionManager;
  logger: Logger;
  /** Tiering turned off on a topic (KIP-950): its remote data goes. */
  onRemoteStorageDisabled(topic: string, topicId: string): Promise<void>;
}

export class TopicManager {
  readonly topics: TopicRegistry;
  private readonly configCache = new Map<string, ResolvedTopicConfig>();
  private readonly creating = new Map<string, Promise<TopicRecord>>();
  private readonly deletedListeners: TopicDeletedListener[] = [];
  /** Cluster mode (null on a single broker): topics other than the broker-owned ones are the controller's. */
  private cluster: ClusterTopicRouter | null = null;
  private readonly appeared: { name: string; resolve: () => void }[] = [];

  constructor(private readonly opts: TopicManagerOptions) {
    this.topics = opts.topics;
  }

  /** Listeners run in registration order after the topic's logs are deleted. */
  onTopicDeleted(listener: TopicDeletedListener): void {
    this.deletedListeners.push(listener);
  }

  /** At start-up, after the registry and the log manager are loaded: leads every registered partition. */
  async openAll(): Promise<void> {
    // Cluster mode: the store's topics are opened as they are listed (applyClusterTopic).
    // (Runs before the broker joins the cluster, hence the config check: a replicated partition
    // opened here would lead locally, unreplicated.)
    const clustered = this.cluster !== null || this.opts.config.get('tributary.metadata.store') !== '';
    if (!clustered) for (const t of this.topics.all()) await this.openPartitions(t, 0);
  }

  topicConfig(topic: string): ResolvedTopicConfig {
    let c = this.configCache.get(topic);
    if (!c) {
      c = resolveTopicConfig(this.opts.config, this.topics.get(topic)?.configs ?? {});
      this.configCache.set(topic, c);
    }
    return c;
  }

  setCluster(router: ClusterTopicRouter): void {
    this.cluster = router;
  }

  /**
   * Cluster mode: a topic record from the store. Registers it locally and opens the logs of the
   * partitions assigned to this broker (the store's partition states then set their leaders).
   */
  async applyClusterTopic(t: StoreTopicRecord): Promise<void> {
    const nodeId = this.cluster!.nodeId;
    const existing = this.topics.get(t.name);
    if (existing && existing.id !== t.topicId) await this.deleteTopic(t.name);
    const same = existing !== undefined && existing.id === t.topicId;
    const wasTiered = same && this.topicConfig(t.name).get('remote.storage.enable') === true;
    // A reassignment that completed without this broker: its copies go (Kafka's StopReplica with delete).
    if (same) {
      for (let p = 0; p < Math.min(existing.partitions, t.replicas.length); p++) {
        if (!t.replicas[p]!.includes(nodeId) && this.opts.partitions.hostedPartition(t.name, p)) await this.opts.partitions.dropReplica(t.name, p);
      }
    }
    // Opens partitions assigned here and not yet open (new topic, CreatePartitions, a reassignment
    // adding this broker); hosted ones take the (possibly altered) configs.
    const record: TopicRecord = { name: t.name, id: t.topicId, partitions: t.replicas.length, replicationFactor: t.replicas[0]?.length ?? 0, configs: t.configs, createdAt: existing?.createdAt ?? Date.now() };
    await this.opts.partitions.openPartitions(record, 0, toLogConfig(resolveTopicConfig(this.opts.config, t.configs)), (p) => t.replicas[p]!.includes(nodeId));
    // Before and after: the registry may show the new record while put() persists it.
    this.configCache.delete(t.name);
    await this.topics.put(record);
    this.configCache.delete(t.name);
    if (wasTiered && this.topicConfig(t.name).get('remote.storage.enable') !== true) await this.opts.onRemoteStorageDisabled(t.name, t.topicId);
    for (let i = this.appeared.length - 1; i >= 0; i--) {
      if (this.appeared[i]!.name === t.name) this.appeared.splice(i, 1)[0]!.resolve();
    }
  }

  private async createInCluster(name: string, numPartitions: number, replicationFactor: number, configs: Record<string, string>, assignment?: number[][]): Promise<TopicRecord> {
    const arrived = new Promise<void>((resolve) => this.appeared.push({ name, resolve }));
    const r = await this.cluster!.createTopic(name, numPartitions, replicationFactor, configs, assignment);
    // TOPIC_ALREADY_EXISTS from a racing auto-creation: the topic still arrives.
    if (r.errorCode !== 0 && !(r.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS && this.creating.has(name))) {
      this.dropWaiter(name);
      throw new ClusterTopicError(r.errorCode, r.errorMessage ?? `topic creation failed with error ${r.errorCode}`);
    }
    if (!this.topics.get(name)) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLUSTER_TOPIC_WAIT_MS)));
      await Promise.race([arrived, timedOut]);
      clearTimeout(timer);
    }
    this.dropWaiter(name);
    const t = this.topics.get(name);
    if (!t) throw new ClusterTopicError(ErrorCode.REQUEST_TIMED_OUT, `topic ${name} was created but has not reached broker ${this.cluster!.nodeId} yet`);
    return t;
  }

  private dropWaiter(name: string): void {
    const i = this.appeared.findIndex((w) => w.name === name);
    if (i >= 0) this.appeared.splice(i, 1);
  }

  /** `assignment` (manual placement) matters in cluster mode only: a single broker holds every replica. */
  async createTopic(name: string, numPartitions: number, replicationFactor: number, configs: Record<string, string>, assignment?: number[][]): Promise<TopicRecord> {
    // The aggregation stage's bookkeeping stays local to each broker; Kafka's internal topics are cluster topics.
    if (this.cluster) return this.createInCluster(name, numPartitions, replicationFactor, configs, assignment);
    const record: TopicRecord = { name, id: randomUuid(), partitions: numPartitions, replicationFactor, configs, createdAt: Date.now() };
    // Logs first, then the registry: a crash in between leaves stray dirs (ignored), never a
    // registered topic without its logs.
    await this.openPartitions(record, 0);
    await this.topics.put(record);
    this.opts.logger.info('topic created', { topic: name, partitions: numPartitions, topicId: record.id });
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
      const { config } = this.opts;
      p = this.createTopic(name, config.get('num.partitions'), config.get('default.replication.factor'), {}).finally(() => this.creating.delete(name));
      this.creating.set(name, p);
    }
    return p;
  }

  async createPartitions(name: string, newTotal: number): Promise<void> {
    const t = this.topics.get(name)!;
    const updated = { ...t, partitions: newTotal };
    await this.openPartitions(updated, t.partitions);
    await this.topics.put(updated);
    this.opts.logger.info('partitions added', { topic: name, partitions: newTotal });
  }

  async deleteTopic(name: string): Promise<void> {
    const t = this.topics.get(name);
    if (!t) return;
    await this.topics.remove(name);
    this.configCache.delete(name);
    await this.opts.partitions.deletePartitions(name, t.partitions);
    for (const listener of this.deletedListeners) await listener(t);
    this.opts.logger.info('topic deleted', { topic: name, topicId: t.id });
  }

  /** Re-resolves every topic's config after a broker-level default changed (dynamic broker configs). */
  refreshTopicConfigs(): void {
    this.configCache.clear();
    for (const t of this.topics.all()) this.opts.partitions.updateLogConfig(t.name, t.partitions, toLogConfig(this.topicConfig(t.name)));
  }

  async alterTopicConfigs(name: string, configs: Record<string, string>): Promise<void> {
    if (this.cluster) return this.alterInCluster(name, configs);
    const t = this.topics.get(name)!;
    const wasTiered = this.topicConfig(name).get('remote.storage.enable') === true;
    await this.topics.put({ ...t, configs });
    this.configCache.delete(name);
    const resolved = this.topicConfig(name);
    this.opts.partitions.updateLogConfig(name, t.partitions, toLogConfig(resolved));
    // KIP-950: turning tiering off (allowed only with remote.log.delete.on.disable=true, see
    // remote-storage-rules.ts) deletes the topic's remote data.
    if (wasTiered && resolved.get('remote.storage.enable') !== true) await this.opts.onRemoteStorageDisabled(name, t.id);
  }

  /**
   * Cluster mode: the controller applies the change to the store's overrides and every broker
   * applies them from its watch; this broker waits (bounded) until it has, so a DescribeConfigs
   * sent to it right after sees the change. What goes to the controller is the difference from
   * the overrides this broker knows (read in the same tick as the handler computed `configs`), so
   * concurrent alters of other keys through other brokers are not overwritten.
   */
  private async alterInCluster(name: string, configs: Record<string, string>): Promise<void> {
    const current = this.topics.get(name)?.configs ?? {};
    const set: Record<string, string> = {};
    for (const [k, v] of Object.entries(configs)) if (current[k] !== v) set[k] = v;
    const remove = Object.keys(current).filter((k) => !(k in configs));
    const r = await this.cluster!.alterTopicConfigs(name, set, remove);
    if (r.errorCode !== ErrorCode.NONE) throw new ClusterTopicError(r.errorCode, r.errorMessage ?? `altering the configs of ${name} failed with error ${r.errorCode}`);
    const deadline = Date.now() + CLUSTER_TOPIC_WAIT_MS;
    while (Date.now() < deadline) {
      const t = this.topics.get(name);
      if (!t || (Object.entries(set).every(([k, v]) => t.configs[k] === v) && remove.every((k) => !(k in t.configs)))) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  private openPartitions(t: TopicRecord, from: number): Promise<void> {
    return this.opts.partitions.openPartitions(t, from, toLogConfig(resolveTopicConfig(this.opts.config, t.configs)));
  }
}
