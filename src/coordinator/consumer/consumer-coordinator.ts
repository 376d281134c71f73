// The KIP-848 consumer group coordinator: ConsumerGroupHeartbeat and ConsumerGroupDescribe, plus
// the consumer-group side of the APIs it shares with the classic coordinator (OffsetCommit,
// OffsetFetch, OffsetDelete, DeleteGroups, ListGroups). Both coordinators share one group-id
// namespace and __consumer_offsets: this one plugs into the classic GroupCoordinator as its
// `modernGroups` hooks and receives the consumer group records the classic replay does not own.
//
// Lifecycle (Broker.start/close):
//   const cc = createConsumerGroupCoordinator(deps, gc)     // before gc.startup(): hooks the replay
//   await gc.startup(); await cc.startup()                  // cc takes over its groups' offsets
//   ... handlers call heartbeat() / describeGroups() ...
//   await cc.shutdown(); await gc.shutdown()
import { ErrorCode } from '../../../protocol/errors.js';
import type { ConsumerGroupDescribeResponseDescribedGroup } from '../../../protocol/generated/consumer-group-describe.js';
import type { ConfigGetter } from '../common/config-getter.js';
import type { CommittedOffset } from '../group/classic-group.js';
import type { CoordinatorLogger } from '../group/coordinator-core.js';
import type { GroupCoordinator, ListedGroup, ModernGroupHooks } from '../group/group-coordinator.js';
import type { FetchedOffsets, OffsetCommitParams, OffsetDeleteOutcome, TopicErrors } from '../group/offset-ops.js';
import type { CoordinatorRecord } from '../runtime/record-log.js';
import { toList, type Assignment } from './assignment.js';
import { assignorsByName } from './assignors.js';
import { readConsumerGroupConfig, type ConsumerGroupConfig } from './consumer-config.js';
import { ConsumerCore, type TopicsView } from './consumer-core.js';
import { CONSUMER_GROUP_TYPE, CONSUMER_PROTOCOL_TYPE, ConsumerGroup } from './consumer-group.js';
import { commitOffsets, deleteGroup, deleteOffsets, deleteTopicOffsets, expireOffsets, fetchOffsets, removeGroup, validateCommit } from './consumer-offsets.js';
import { decodeKey, decodeRecord, MemberState } from './consumer-records.js';
import { consumerGroupHeartbeat, type ConsumerHeartbeatOutcome, type ConsumerHeartbeatParams } from './heartbeat-flow.js';

export type { ConsumerHeartbeatOutcome, ConsumerHeartbeatParams } from './heartbeat-flow.js';
export type { ConsumerGroupConfig } from './consumer-config.js';
export type { TopicsView } from './consumer-core.js';

export type DescribedConsumerGroup = Omit<ConsumerGroupDescribeResponseDescribedGroup, 'authorizedOperations'>;

export interface ConsumerGroupCoordinatorOptions {
  config: ConsumerGroupConfig;
  topics: TopicsView;
  classic: GroupCoordinator;
  logger: CoordinatorLogger;
}

export class ConsumerGroupCoordinator implements ModernGroupHooks {
  readonly core: ConsumerCore;

  constructor(opts: ConsumerGroupCoordinatorOptions) {
    this.core = new ConsumerCore(opts.config, assignorsByName(opts.config.assignors), opts.topics, opts.classic, opts.logger);
    // Hooked before the classic startup replays __consumer_offsets.
    opts.classic.modernGroups = this;
    opts.classic.core.foreignRecords = (rec) => this.replayRecord(rec);
  }

  get config(): ConsumerGroupConfig {
    return this.core.config;
  }

  get isActive(): boolean {
    return this.core.active;
  }

  /** Call after the classic coordinator's startup (which replayed our records): takes the groups' offsets over and starts serving. */
  async startup(): Promise<void> {
    this.adopt(() => true);
    this.core.active = true;
    this.core.logger.info('consumer group coordinator started', { groups: this.core.groups.size });
  }

  /**
   * Replayed consumer groups (those `inScope`) take over the offsets the classic replay gave a
   * classic group of the same id, and every member gets a fresh session: those that come back
   * keep their partitions.
   */
  private adopt(inScope: (groupId: string) => boolean): void {
    const classic = this.core.classic;
    for (const group of [...this.core.groups.values()]) {
      if (!inScope(group.groupId)) continue;
      const cg = classic.group(group.groupId);
      if (cg && cg.size > 0) {
        // Both kinds of metadata survived (should not happen: conversions tombstone the other kind).
        this.core.logger.warn('group has both classic and consumer group records; keeping the classic group', { group: group.groupId });
        this.core.groups.delete(group.groupId);
        continue;
      }
      if (cg) {
        for (const [topic, parts] of cg.offsets) for (const [p, o] of parts) group.putOffset(topic, p, o);
        classic.core.groups.delete(group.groupId);
        classic.core.unloadGroup(cg, ErrorCode.NOT_COORDINATOR);
      }
      for (const m of group.members.values()) {
        this.core.scheduleSessionTimeout(group.groupId, m.memberId);
        if (m.state === MemberState.UNREVOKED_PARTITIONS) this.core.scheduleRevocationTimeout(group.groupId, m);
      }
    }
  }

  partitionLoaded(partition: number): void {
    if (this.core.active) this.adopt((groupId) => this.core.classic.partitionFor(groupId) === partition);
  }

  partitionUnloaded(partition: number): void {
    for (const group of [...this.core.groups.values()]) {
      if (this.core.classic.partitionFor(group.groupId) === partition) this.core.dropGroup(group);
    }
  }

  async shutdown(): Promise<void> {
    this.core.active = false;
    this.core.timers.cancelAll();
    await this.core.classic.core.drainWrites();
    this.core.groups.clear();
  }

  private replayRecord(rec: CoordinatorRecord): void {
    const key = decodeKey(rec.key);
    if (key === null) return;
    const decoded = decodeRecord(key, rec.value);
    let group = this.core.groups.get(key.groupId);
    if (!group) {
      if (rec.value === null) return;
      group = new ConsumerGroup(key.groupId);
      this.core.groups.set(key.groupId, group);
    }
    if (!group.replay(decoded)) this.core.groups.delete(key.groupId);
  }

  // ---- ConsumerGroupHeartbeat / ConsumerGroupDescribe ------------------------------------------

  heartbeat(p: ConsumerHeartbeatParams): Promise<ConsumerHeartbeatOutcome> {
    return consumerGroupHeartbeat(this.core, p);
  }

  describeGroups(groupIds: string[]): DescribedConsumerGroup[] {
    return groupIds.map((groupId) => this.describeGroup(groupId));
  }

  private describeGroup(groupId: string): DescribedConsumerGroup {
    const none = { groupId, groupState: '', groupEpoch: -1, assignmentEpoch: -1, assignorName: '', members: [] };
    const unavailable = this.core.active ? this.core.classic.core.groupError(groupId) : ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (unavailable !== ErrorCode.NONE) return { ...none, errorCode: unavailable, errorMessage: null };
    const g = this.core.groups.get(groupId);
    if (!g) {
      const message = this.core.classicState(groupId) === 'none' ? `Group ${groupId} not found.` : `Group ${groupId} is not a consumer group.`;
      return { ...none, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: message };
    }
    const names = new Map([...g.subscriptionMetadata.values()].map((t) => [t.topicId, t.topicName]));
    const withNames = (a: Assignment) => ({
      topicPartitions: toList(a).map((tp) => ({ topicId: tp.topicId, topicName: names.get(tp.topicId) ?? this.core.topics.getById(tp.topicId)?.name ?? '', partitions: tp.partitions })),
    });
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      groupId,
      groupState: g.state,
      groupEpoch: g.groupEpoch,
      assignmentEpoch: g.assignmentEpoch,
      assignorName: g.preferredAssignor() ?? this.core.defaultAssignor.name,
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        instanceId: m.instanceId,
        rackId: m.rackId,
        memberEpoch: m.memberEpoch,
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscribedTopicNames: m.subscribedTopicNames,
        subscribedTopicRegex: m.subscribedTopicRegex,
        assignment: withNames(m.assignedPartitions),
        targetAssignment: withNames(g.targetOf(m.memberId)),
        memberType: 1, // KIP-1099 CONSUMER: every member here joined through ConsumerGroupHeartbeat (sent from v1)
      })),
    };
  }

  // ---- hooks called by the classic GroupCoordinator ------------------------------------------

  owns(groupId: string): boolean {
    return this.core.groups.has(groupId);
  }

  /**
   * A classic JoinGroup for `groupId`: an Empty consumer group gives way (its records are
   * tombstoned, its offsets move to a classic group); false while it has members.
   */
  yieldToClassic(groupId: string): boolean {
    const g = this.core.groups.get(groupId);
    if (!g) return true;
    if (g.members.size > 0 || g.pendingOffsetCommits.size > 0) return false;
    this.core.logger.info('empty consumer group becomes a classic group', { group: groupId });
    this.core.classic.core.groups.set(groupId, this.core.toClassicGroup(g));
    void removeGroup(this.core, g, false).then((err) => {
      if (err !== ErrorCode.NONE) this.core.logger.warn('failed to write consumer group tombstones', { group: groupId, error: err });
    });
    return true;
  }

  commitOffsets(p: OffsetCommitParams): Promise<TopicErrors[]> {
    return commitOffsets(this.core, this.core.groups.get(p.groupId)!, p);
  }

  fetchOffsets(groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null, member?: { memberId: string | null; memberEpoch: number }): FetchedOffsets {
    return fetchOffsets(this.core, this.core.groups.get(groupId)!, topics, member);
  }

  deleteOffsets(groupId: string, topics: { name: string; partitions: number[] }[]): Promise<OffsetDeleteOutcome> {
    return deleteOffsets(this.core, this.core.groups.get(groupId)!, topics);
  }

  deleteGroup(groupId: string): Promise<number> {
    return deleteGroup(this.core, this.core.groups.get(groupId)!);
  }

  /** ListGroups entries: `states` lower-cased without underscores, `types` lower-cased; empty sets match all. */
  listGroups(states: ReadonlySet<string>, types: ReadonlySet<string>): ListedGroup[] {
    if (types.size > 0 && !types.has(CONSUMER_GROUP_TYPE)) return [];
    const out: ListedGroup[] = [];
    for (const g of this.core.groups.values()) {
      const state = g.state;
      if (states.size > 0 && !states.has(state.toLowerCase())) continue;
      out.push({ groupId: g.groupId, protocolType: CONSUMER_PROTOCOL_TYPE, groupState: state, groupType: CONSUMER_GROUP_TYPE });
    }
    return out;
  }

  onTopicsDeleted(topics: string[]): number {
    return this.core.active ? deleteTopicOffsets(this.core, topics) : 0;
  }

  expireOffsets(): number {
    return this.core.active ? expireOffsets(this.core) : 0;
  }

  validateTxnOffsetCommit(groupId: string, memberId: string, memberEpoch: number): number {
    const g = this.core.groups.get(groupId);
    if (!g) return ErrorCode.GROUP_ID_NOT_FOUND;
    // Transactional commits skip the OffsetCommit version check (Kafka's isTransactional).
    return validateCommit(g, memberId, memberEpoch, 9);
  }

  applyCommittedOffsets(groupId: string, offsets: Iterable<{ topic: string; partition: number; value: CommittedOffset }>): void {
    const g = this.core.groups.get(groupId);
    if (g) for (const o of offsets) g.putOffset(o.topic, o.partition, o.value);
  }

  /** For tests and tools: the live group, if any. */
  group(groupId: string): ConsumerGroup | undefined {
    return this.core.groups.get(groupId);
  }
}

/**
 * Builds the broker's consumer group coordinator over the classic one (call before
 * `classic.startup()`, then `startup()`). Null when group.coordinator.rebalance.protocols
 * leaves out "consumer": ConsumerGroupHeartbeat is then not served.
 */
export function createConsumerGroupCoordinator(deps: { config: ConfigGetter; topics: TopicsView; logger: CoordinatorLogger }, classic: GroupCoordinator): ConsumerGroupCoordinator | null {
  const config = readConsumerGroupConfig(deps.config);
  if (!config.enabled) return null;
  return new ConsumerGroupCoordinator({ config, topics: deps.topics, classic, logger: deps.logger });
}
