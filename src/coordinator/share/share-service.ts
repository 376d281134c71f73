// Share groups (KIP-932) as one service the broker creates and the share handlers take: the
// membership coordinator, the share-partition manager (ShareFetch/ShareAcknowledge) and the
// persisted share-partition state, wired so a member leaving releases its records.
import type { CoordinatorRuntime } from '../runtime/coordinator-runtime.js';
import type { CoordinatorLogger } from '../group/coordinator-core.js';
import type { ConfigGetter } from '../common/config-getter.js';
import { readShareGroupConfig, type ShareGroupConfig } from './share-config.js';
import { ShareAdmin } from './share-admin.js';
import { ShareGroupConfigs, type BrokerSettings } from './share-group-configs.js';
import type { ShareGroupLog } from './share-group-log.js';
import { ShareGroupCoordinator, type ShareTopicsView } from './share-group-coordinator.js';
import { SharePartitionManager, type ShareReadDeps } from './share-partition-manager.js';
import { ClusterSharePersister } from './share-persister.js';
import { SHARE_STATE_TOPIC, ShareStateStore, type ClusterStateTopic } from './share-state-store.js';

/** Cluster mode: share partitions live with their data partition's leader, their state with the share coordinator. */
export interface ShareClusterDeps {
  nodeId: number;
  /** share.coordinator.state.topic.* */
  stateTopic: ClusterStateTopic;
  /** The leader epoch of a data partition led here; -1 when another broker (or none) leads it. */
  leaderEpoch(topic: string, partition: number): number;
  /** The leader of a partition as this broker knows it (-1: none). */
  leaderOf(topic: string, partition: number): number;
  /** One request to another broker over an inter-broker connection: its answer or an error code. */
  request<T>(brokerId: number, apiKey: number, version: number, body: object): Promise<T | number>;
  /** Closes the inter-broker connections (shutdown). */
  close?(): void;
  /** The leader and leader epoch of a partition as this broker knows it (NOT_LEADER_OR_FOLLOWER hints). */
  leaderHint?(topic: string, partition: number): { leaderId: number; leaderEpoch: number } | null;
  /** Every live broker's endpoint on a listener. */
  endpoints?(listenerName: string): { nodeId: number; host: string; port: number; rack: string | null }[];
}

export interface ShareServiceDeps {
  config: ConfigGetter;
  /** Broker values and whether they were set (DescribeConfigs of GROUP resources, group config bounds). */
  brokerSettings: BrokerSettings;
  /** Where the per-group configs are persisted (the first log dir); null: memory only. */
  groupConfigDir: string | null;
  offsetForTimestamp?: ShareReadDeps['offsetForTimestamp'];
  topics: ShareTopicsView;
  otherGroupExists: (groupId: string) => boolean;
  readSource: ShareReadDeps['readSource'];
  offsets: ShareReadDeps['offsets'];
  watch: ShareReadDeps['watch'];
  /** Null: state kept in memory only (unit tests). */
  runtime: CoordinatorRuntime | null;
  /** Membership records in __consumer_offsets (replayed by the group coordinator's load); null: memory only. */
  groupLog?: ShareGroupLog | null;
  logger: CoordinatorLogger;
  /** Set in cluster mode. */
  cluster?: ShareClusterDeps | null;
  /** Whether this broker coordinates a group (its __consumer_offsets partition is loaded here): a Kafka error code. */
  coordinatorError?: (groupId: string) => number;
}

export class ShareService {
  readonly groups: ShareGroupCoordinator;
  readonly partitions: SharePartitionManager;
  readonly store: ShareStateStore | null;
  readonly admin: ShareAdmin;
  /** Per-group share.* configs (IncrementalAlterConfigs / DescribeConfigs on GROUP resources). */
  readonly groupConfigs: ShareGroupConfigs;
  private cfg: ShareGroupConfig;

  /** Cluster mode: share-partition state read and written through the share coordinators. */
  readonly persister: ClusterSharePersister | null;
  private readonly cluster: ShareClusterDeps | null;
  private readonly topics: ShareTopicsView;

  private constructor(deps: ShareServiceDeps, store: ShareStateStore | null, groupConfigs: ShareGroupConfigs) {
    this.cfg = readShareGroupConfig(deps.config);
    this.groupConfigs = groupConfigs;
    // Re-read per use so dynamic broker config changes and group configs apply to live groups;
    // cheap (a handful of lookups).
    const config = (groupId: string) => groupConfigs.effective(groupId, (this.cfg = readShareGroupConfig(deps.config)));
    this.store = store;
    const cluster = deps.cluster && store && deps.runtime?.clustered ? deps.cluster : null;
    const runtime = deps.runtime;
    const persister = cluster && runtime && store
      ? new ClusterSharePersister({
          nodeId: cluster.nodeId,
          store,
          ensureTopic: () => runtime.createInternalTopic(SHARE_STATE_TOPIC),
          numPartitions: () => runtime.partitionCount(SHARE_STATE_TOPIC) ?? cluster.stateTopic.numPartitions,
          leaderOf: (p) => cluster.leaderOf(SHARE_STATE_TOPIC, p),
          request: (id, key, v, body) => cluster.request(id, key, v, body),
          logger: deps.logger,
        })
      : null;
    this.persister = persister;
    this.cluster = cluster;
    this.topics = deps.topics;
    this.partitions = new SharePartitionManager({
      config,
      offsetForTimestamp: deps.offsetForTimestamp,
      topics: deps.topics,
      readSource: deps.readSource,
      offsets: deps.offsets,
      watch: deps.watch,
      ...(persister && cluster
        ? {
            loadState: (g, t, p) => persister.get(g, t, p),
            stateChanged: (g, t, p, sp) => persister.changed(g, t, p, sp),
            persisted: () => persister.flush(),
            leaderEpoch: (topic, p) => cluster.leaderEpoch(topic, p),
            prepareState: (g, t, p, e) => persister.prepare(g, t, p, e),
            forgetState: (g, t, p) => persister.forget(g, t, p),
          }
        : {
            loadState: store ? (g, t, p) => store.get(g, t, p) : undefined,
            stateChanged: store ? (g, t, p, sp) => store.changed(g, t, p, sp) : undefined,
            persisted: store ? () => store.flush() : undefined,
          }),
    });
    if (persister) persister.onFenced = (g, t, p) => this.partitions.fenced(g, t, p);
    this.groups = new ShareGroupCoordinator({
      config,
      topics: deps.topics,
      otherGroupExists: deps.otherGroupExists,
      coordinatorError: deps.coordinatorError,
      onMemberRemoved: (g, m) => this.partitions.memberRemoved(g, m),
      log: deps.groupLog ?? null,
      warn: (msg, fields) => deps.logger.warn(msg, fields),
    });
    if (deps.groupLog) this.groups.restore(deps.groupLog.restore());
    this.admin = new ShareAdmin({ groups: this.groups, partitions: this.partitions, store, topics: deps.topics, offsets: deps.offsets, remote: persister });
    // Groups with share-partition state but no membership records (emptied, or written before
    // membership was persisted) come back empty, so the admin APIs and ListGroups see them.
    // (Single broker only: in a cluster the state here is the share coordinator's, of groups
    // coordinated anywhere.)
    if (!persister) for (const id of store?.groupIds() ?? []) this.groups.ensureEmptyOrNew(id);
  }

  static async start(deps: ShareServiceDeps): Promise<ShareService> {
    const store = deps.runtime ? await ShareStateStore.open(deps.runtime, deps.logger, () => readShareGroupConfig(deps.config).updatesPerSnapshot, deps.cluster?.stateTopic) : null;
    const groupConfigs = await ShareGroupConfigs.open(deps.groupConfigDir, deps.brokerSettings);
    return new ShareService(deps, store, groupConfigs);
  }

  /** Cluster mode: leader hints for ShareFetch / ShareAcknowledge answers on `listenerName`; null on a single broker. */
  leaderHints(listenerName: string): { leader(topicId: string, partition: number): { leaderId: number; leaderEpoch: number } | null; endpoints(): { nodeId: number; host: string; port: number; rack: string | null }[] } | null {
    const c = this.cluster;
    if (!c?.leaderHint || !c.endpoints) return null;
    const topics = this.topics;
    return {
      leader: (topicId, partition) => {
        const t = topics.getById(topicId);
        return t ? c.leaderHint!(t.name, partition) : null;
      },
      endpoints: () => c.endpoints!(listenerName),
    };
  }

  get config(): ShareGroupConfig {
    return this.cfg;
  }

  async shutdown(): Promise<void> {
    this.groups.shutdown();
    this.partitions.shutdown();
    await this.persister?.shutdown();
    this.cluster?.close?.();
    await this.store?.flush();
  }
}
