// How the broker builds the share service from what it has (kept out of broker.ts, which others
// are refactoring): the Fetch path's reader, the append waiters for long polls, partition offsets
// through the runtime's partition access, and the other group coordinators for id conflicts.
import type { FetchReadOptions, PartitionFetch, PartitionFetchResult } from '../../fetch/fetch-reader.js';
import type { Logger } from '../../logging/logger.js';
import type { ConfigGetter } from '../common/config-getter.js';
import type { TopicsView } from '../consumer/consumer-core.js';
import type { ShareGroupHooks } from '../group/group-coordinator.js';
import type { CoordinatorRuntime } from '../runtime/coordinator-runtime.js';
import { coordinatorWriteError } from '../runtime/write-errors.js';
import type { CoordinatorRecord } from '../runtime/record-log.js';
import { isShareGroupKey } from './share-group-records.js';
import { ShareGroupLog } from './share-group-log.js';
import type { InterBrokerEndpoint } from '../../cluster/inter-broker-security.js';
import { ShareBrokerChannel } from './share-broker-channel.js';
import { ShareService, type ShareClusterDeps } from './share-service.js';

export type { ShareService };

export interface ShareWiringSource {
  readonly config: { readonly logDirs: string[]; isSet(key: never): boolean };
  readonly nodeId: number;
  /** Cluster mode: the inter-broker endpoints of the other brokers. */
  readonly cluster: { endpointOf(brokerId: number): InterBrokerEndpoint | undefined } | null;
  brokersFor(listenerName: string): { nodeId: number; host: string; port: number; rack: string | null }[];
  readonly partitionManager: {
    partition(topic: string, index: number): { readonly leaderId: number; readonly leaderEpoch: number } | undefined;
    fetchOffsetForTimestamp(topic: string, index: number, target: number, isolation: 'read_uncommitted', currentLeaderEpoch: number, remoteTimeoutMs: number): Promise<{ errorCode: number; offset: number }>;
  };
  readonly coordinatorRuntime: CoordinatorRuntime | null;
  readonly topicManager: { onTopicDeleted(listener: (t: { name: string; id: string }) => Promise<void> | void): void };
  readonly topics: TopicsView;
  readonly logger: Logger;
  readonly waiters: { watch(partitions: { topic: string; partition: number }[]): { wait(ms: number): Promise<boolean>; close(): void } };
  readonly groupCoordinator: { group(groupId: string): object | undefined; groupError(groupId: string): number; partitionFor(groupId: string): number; shareGroups: ShareGroupHooks | null };
  readonly consumerGroupCoordinator: { owns(groupId: string): boolean } | null;
}

/** The Fetch path's reader (readPartitions bound to the broker). */
export type ReadSource = (fetches: PartitionFetch[], opts: FetchReadOptions) => Promise<{ results: PartitionFetchResult[]; bytes: number }>;

/** The group coordinator as the share-group membership records need it. */
export interface GroupRecordsSource {
  readonly core: {
    foreignRecords: ((rec: CoordinatorRecord) => void) | null;
    append(groupId: string, records: CoordinatorRecord[]): Promise<number>;
  };
}

/**
 * Call before the group coordinator replays __consumer_offsets (and after the KIP-848 coordinator
 * hooked its records): share-group records (types 10-15) go to the returned log, every other
 * foreign record where it went before. Hand the log to startShareService.
 */
export function captureShareGroupRecords(groupCoordinator: GroupRecordsSource): ShareGroupLog {
  const core = groupCoordinator.core;
  const log = new ShareGroupLog(async (groupId, records) => coordinatorWriteError(await core.append(groupId, records)));
  const previous = core.foreignRecords;
  core.foreignRecords = (rec) => (isShareGroupKey(rec.key) ? log.replay(rec) : previous?.(rec));
  return log;
}

export async function startShareService(b: ShareWiringSource, config: ConfigGetter, readSource: ReadSource, groupLog: ShareGroupLog | null = null): Promise<ShareService> {
  const runtime = b.coordinatorRuntime;
  const service = await ShareService.start({
    config,
    brokerSettings: { get: (key) => safely(() => config(key)), isSet: (key) => safely(() => b.config.isSet(key as never)) === true },
    groupConfigDir: b.config.logDirs[0] ?? null,
    // share.auto.offset.reset=by_duration: ListOffsets by timestamp; no record at or after it = latest (-1).
    offsetForTimestamp: async (topic, partition, timestamp) => {
      const r = await b.partitionManager.fetchOffsetForTimestamp(topic, partition, timestamp, 'read_uncommitted', -1, 30000);
      return r.errorCode === 0 ? r.offset : -1;
    },
    topics: b.topics,
    otherGroupExists: (id) => b.groupCoordinator.group(id) !== undefined || (b.consumerGroupCoordinator?.owns(id) ?? false),
    coordinatorError: (id) => b.groupCoordinator.groupError(id),
    readSource,
    offsets: (topic, partition) => runtime?.access.offsets({ topic, partition }),
    watch: (parts) => b.waiters.watch(parts),
    runtime,
    groupLog,
    logger: b.logger.child({ component: 'share-coordinator' }),
    cluster: runtime?.clustered && b.cluster ? clusterDeps(b, config, b.cluster) : null,
  });
  // A deleted topic's share-partition state goes with it (Kafka deletes it through the share coordinator).
  b.topicManager.onTopicDeleted(async (t) => {
    try {
      const n = await service.admin.topicDeleted(t.id);
      if (n > 0) b.logger.info('share-partition state of a deleted topic removed', { topic: t.name, topicId: t.id, sharePartitions: n });
    } catch (err) {
      b.logger.warn('removing share state of a deleted topic failed', { topic: t.name, error: (err as Error).message });
    }
  });
  // ListGroups / DeleteGroups / the classic APIs see share groups through the group coordinator.
  b.groupCoordinator.shareGroups = {
    owns: (id) => service.groups.owns(id),
    list: () => service.groups.list(),
    deleteGroup: (id) => service.admin.deleteGroup(id),
    // Failover: share-group membership follows the leadership of the group's __consumer_offsets
    // partition, as the other groups do (its records were replayed into groupLog by the load).
    partitionLoaded: () => {
      if (groupLog) service.groups.restore(groupLog.restore());
      void service.admin.resumeDeletes().catch((err: Error) => b.logger.warn('finishing an interrupted DeleteShareGroupOffsets failed', { error: err.message }));
    },
    partitionUnloaded: (partition) => {
      for (const id of service.groups.dropGroups((g) => b.groupCoordinator.partitionFor(g) === partition)) groupLog?.forget(id);
    },
  };
  // Partitions loaded while the service started (cluster mode) had their records replayed meanwhile.
  if (groupLog) service.groups.restore(groupLog.restore());
  return service;
}

/** Cluster mode: share partitions follow their data partition's leader, their state the share coordinator. */
function clusterDeps(b: ShareWiringSource, config: ConfigGetter, cluster: NonNullable<ShareWiringSource['cluster']>): ShareClusterDeps {
  const channel = new ShareBrokerChannel(b.nodeId, (id) => cluster.endpointOf(id));
  return {
    nodeId: b.nodeId,
    stateTopic: {
      numPartitions: Number(config('share.coordinator.state.topic.num.partitions')),
      replicationFactor: Number(config('share.coordinator.state.topic.replication.factor')),
      minIsr: Number(config('share.coordinator.state.topic.min.isr')),
    },
    leaderEpoch: (topic, partition) => {
      const s = b.partitionManager.partition(topic, partition);
      return s && s.leaderId === b.nodeId ? s.leaderEpoch : -1;
    },
    leaderOf: (topic, partition) => b.partitionManager.partition(topic, partition)?.leaderId ?? -1,
    request: (id, key, v, body) => channel.request(id, key, v, body),
    close: () => channel.close(),
    leaderHint: (topic, partition) => {
      const s = b.partitionManager.partition(topic, partition);
      return s && s.leaderId >= 0 ? { leaderId: s.leaderId, leaderEpoch: s.leaderEpoch } : null;
    },
    endpoints: (listenerName) => b.brokersFor(listenerName),
  };
}

/** A config lookup that throws for keys this broker does not define: undefined instead. */
function safely<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
