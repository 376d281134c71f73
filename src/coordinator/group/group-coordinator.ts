// The classic group coordinator: membership (JoinGroup/SyncGroup/Heartbeat/LeaveGroup), group
// administration (DescribeGroups/ListGroups/DeleteGroups) and committed offsets, all persisted in
// __consumer_offsets and recovered by replay on startup. This broker coordinates every group.
//
// It runs on the coordinator runtime (src/coordinator/runtime/): each __consumer_offsets partition
// is loaded (replayed) and can be unloaded at run time; a group whose partition is loading
// answers COORDINATOR_LOAD_IN_PROGRESS, one whose partition is unloaded NOT_COORDINATOR.
//
// Lifecycle (wired in Broker.start / Broker.close):
//   const gc = await createGroupCoordinator(runtime, deps)  // after logs load, before listening
//   await gc.startup()                                 // loads every __consumer_offsets partition
//   ... handlers call the methods below; runtime.load/unload(OFFSETS_TOPIC, p) on failover ...
//   await gc.shutdown()                                // before the network server closes
import { ErrorCode } from '../../../protocol/errors.js';
import type { ConfigGetter } from '../common/config-getter.js';
import type { TxnOffsetsGroups } from '../common/group-txn-links.js';
import { OFFSETS_TOPIC, offsetsTopicSpec } from '../common/internal-topics.js';
import type { CoordinatorRuntime, CoordinatorShard } from '../runtime/coordinator-runtime.js';
import type { CoordinatorRecord, CoordinatorRecordLog } from '../runtime/record-log.js';
import { coordinatorWriteError } from '../runtime/write-errors.js';
import { ClassicGroup, type CommittedOffset } from './classic-group.js';
import { CoordinatorCore, type CoordinatorLogger } from './coordinator-core.js';
import { readGroupConfig, type GroupCoordinatorConfig } from './group-config.js';
import { joinError, syncError, type JoinGroupOutcome, type SyncGroupOutcome } from './group-member.js';
import { joinGroup, type JoinGroupParams } from './join-flow.js';
import { heartbeat, leaveGroup, syncGroup, type HeartbeatParams, type LeaveGroupOutcome, type LeaveMember, type SyncGroupParams } from './member-ops.js';
import { commitOffsets, deleteOffsets, deleteTopicOffsets, expireOffsets, fetchOffsets, type FetchedOffsets, type OffsetCommitParams, type OffsetDeleteOutcome, type TopicErrors } from './offset-ops.js';
import { loadPartition } from './offsets-load.js';
import { encodeGroupMetadataKey, encodeOffsetCommitKey } from '../common/offsets-records.js';

export type { JoinGroupParams } from './join-flow.js';
export type { HeartbeatParams, LeaveGroupOutcome, LeaveMember, SyncGroupParams } from './member-ops.js';
export type { FetchedOffsets, OffsetCommitParams, OffsetDeleteOutcome, TopicErrors } from './offset-ops.js';
export type { JoinGroupOutcome, SyncGroupOutcome } from './group-member.js';

/** The group type ListGroups v5 reports for classic groups (KIP-848 groups report "consumer"). */
export const CLASSIC_GROUP_TYPE = 'classic';

/**
 * KIP-848 consumer groups (src/coordinator/consumer/) share this coordinator's group ids,
 * __consumer_offsets and offset APIs. When set, requests for a group id they own go to them;
 * classic group APIs on such an id fail as in Kafka (JoinGroup: INCONSISTENT_GROUP_PROTOCOL unless
 * the consumer group is Empty, SyncGroup/Heartbeat/LeaveGroup: GROUP_ID_NOT_FOUND).
 */
export interface ModernGroupHooks {
  owns(groupId: string): boolean;
  /** JoinGroup: frees the id of an Empty consumer group (its offsets move to a classic group); false while it has members. */
  yieldToClassic(groupId: string): boolean;
  commitOffsets(p: OffsetCommitParams): Promise<TopicErrors[]>;
  fetchOffsets(groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null, member?: { memberId: string | null; memberEpoch: number }): FetchedOffsets;
  deleteOffsets(groupId: string, topics: { name: string; partitions: number[] }[]): Promise<OffsetDeleteOutcome>;
  deleteGroup(groupId: string): Promise<number>;
  listGroups(states: ReadonlySet<string>, types: ReadonlySet<string>): ListedGroup[];
  onTopicsDeleted(topics: string[]): number;
  expireOffsets(): number;
  /** TxnOffsetCommit checks for a consumer group: ErrorCode.NONE, UNKNOWN_MEMBER_ID or STALE_MEMBER_EPOCH. */
  validateTxnOffsetCommit(groupId: string, memberId: string, memberEpoch: number): number;
  /** Offsets of a committed transaction, applied to the consumer group's memory (already in the log). */
  applyCommittedOffsets(groupId: string, offsets: Iterable<{ topic: string; partition: number; value: CommittedOffset }>): void;
  /** __consumer_offsets-`partition` was replayed at run time (failover): its consumer groups start serving. */
  partitionLoaded(partition: number): void;
  /** __consumer_offsets-`partition` was unloaded: its consumer groups and their timers go. */
  partitionUnloaded(partition: number): void;
}

/**
 * Share groups (KIP-932, src/coordinator/share/) in the one group-id namespace: classic APIs on a
 * share group id answer as Kafka does (JoinGroup INCONSISTENT_GROUP_PROTOCOL, the others
 * GROUP_ID_NOT_FOUND), and ListGroups / DeleteGroups cover share groups. Set by the share service.
 */
export interface ShareGroupHooks {
  owns(groupId: string): boolean;
  list(): ListedGroup[];
  /** DeleteGroups of a share group: NON_EMPTY_GROUP while it has members. */
  deleteGroup(groupId: string): Promise<number>;
  /** __consumer_offsets-`partition` was replayed at run time (failover): its share groups start serving. */
  partitionLoaded?(partition: number): void;
  /** __consumer_offsets-`partition` was unloaded: its share groups go. */
  partitionUnloaded?(partition: number): void;
}

export interface DescribedGroup {
  errorCode: number;
  /** DescribeGroups v6+ (KIP-1043): why a group could not be described. */
  errorMessage: string | null;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: { memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; memberMetadata: Buffer; memberAssignment: Buffer }[];
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  groupState: string;
  groupType: string;
}

export interface GroupCoordinatorOptions {
  config: GroupCoordinatorConfig;
  log: CoordinatorRecordLog;
  logger: CoordinatorLogger;
  /** Cluster mode: startup loads nothing; the runtime loads the partitions this broker leads. */
  followLeadership?: boolean;
}

export class GroupCoordinator implements CoordinatorShard, TxnOffsetsGroups {
  readonly core: CoordinatorCore;
  private expiryTimer: NodeJS.Timeout | null = null;
  /** Set by the consumer group coordinator (see ModernGroupHooks). */
  modernGroups: ModernGroupHooks | null = null;
  /** Set by the share service (see ShareGroupHooks). */
  shareGroups: ShareGroupHooks | null = null;

  /** Cluster mode: partitions are loaded as this broker becomes their leader (the runtime), not all at startup. */
  private readonly followLeadership: boolean;

  constructor(opts: GroupCoordinatorOptions) {
    this.core = new CoordinatorCore(opts.config, opts.log, opts.logger);
    this.followLeadership = opts.followLeadership === true;
  }

  get config(): GroupCoordinatorConfig {
    return this.core.config;
  }

  get isActive(): boolean {
    return this.core.active;
  }

  /** The __consumer_offsets partition holding `groupId`. */
  partitionFor(groupId: string): number {
    return this.core.partitionFor(groupId);
  }

  get offsetMetadataMaxBytes(): number {
    return this.core.config.offsetMetadataMaxBytes;
  }

  /** ErrorCode.NONE when `groupId` is served here (see CoordinatorCore.groupError). */
  groupError(groupId: string): number {
    return this.core.groupError(groupId);
  }

  /** Loads every __consumer_offsets partition (each answers COORDINATOR_LOAD_IN_PROGRESS until replayed), then the expiry task. */
  async startup(): Promise<void> {
    this.core.active = true;
    let groups = 0;
    for (let p = 0; p < this.core.log.numPartitions && !this.followLeadership; p++) {
      await this.core.states.load(p, async () => {
        groups += await loadPartition(this.core, p);
      });
    }
    const interval = this.core.config.offsetsRetentionCheckIntervalMs;
    this.expiryTimer = setInterval(() => this.expireOffsets(), Math.min(interval, 2 ** 31 - 1));
    this.expiryTimer.unref?.();
    this.core.logger.info('group coordinator started', { groups, partitions: this.core.log.numPartitions });
  }

  /** Stops serving: parked JoinGroup/SyncGroup requests get NOT_COORDINATOR; waits for in-flight writes. */
  async shutdown(): Promise<void> {
    this.core.active = false;
    if (this.expiryTimer) clearInterval(this.expiryTimer);
    this.expiryTimer = null;
    for (const g of this.core.groups.values()) this.core.unloadGroup(g, ErrorCode.NOT_COORDINATOR);
    this.core.timers.cancelAll();
    await this.core.drainWrites();
    this.core.groups.clear();
    this.core.states.clear();
  }

  /**
   * The runtime's load (failover made this broker leader of __consumer_offsets-`partition`):
   * replays it; meanwhile its groups answer COORDINATOR_LOAD_IN_PROGRESS.
   */
  async loadPartition(partition: number, ready?: () => Promise<boolean>): Promise<void> {
    if (!Number.isInteger(partition) || partition < 0 || partition >= this.core.log.numPartitions) throw new RangeError(`no partition ${partition} of ${OFFSETS_TOPIC}`);
    if (!this.core.active) return; // not started (startup loads every partition) or shut down
    let groups = 0;
    const loaded = await this.core.states.load(partition, async () => {
      if (ready && !(await ready())) return false;
      groups = await loadPartition(this.core, partition);
      return true;
    });
    if (!loaded) return;
    this.modernGroups?.partitionLoaded(partition);
    this.shareGroups?.partitionLoaded?.(partition);
    this.core.logger.info('loaded __consumer_offsets partition', { partition, groups });
  }

  /**
   * The runtime's unload: the partition's groups leave memory (parked JoinGroup/SyncGroup get
   * NOT_COORDINATOR) and its requests answer NOT_COORDINATOR until it is loaded again.
   */
  async unloadPartition(partition: number): Promise<void> {
    if (!this.core.states.unload(partition)) return;
    let groups = 0;
    for (const g of [...this.core.groups.values()]) {
      if (this.core.partitionFor(g.groupId) !== partition) continue;
      this.core.groups.delete(g.groupId);
      this.core.unloadGroup(g, ErrorCode.NOT_COORDINATOR);
      groups++;
    }
    this.modernGroups?.partitionUnloaded(partition);
    this.shareGroups?.partitionUnloaded?.(partition);
    this.core.pendingTxnOffsets?.dropPartition(partition);
    this.core.logger.info('unloaded __consumer_offsets partition', { partition, groups });
  }

  joinGroup(p: JoinGroupParams): Promise<JoinGroupOutcome> {
    if (this.shareGroups?.owns(p.groupId)) return Promise.resolve(joinError(p.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    if (this.modernGroups && !this.modernGroups.yieldToClassic(p.groupId)) return Promise.resolve(joinError(p.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    return joinGroup(this.core, p);
  }

  syncGroup(p: SyncGroupParams): Promise<SyncGroupOutcome> {
    if (this.modernGroups?.owns(p.groupId) || this.shareGroups?.owns(p.groupId)) return Promise.resolve(syncError(ErrorCode.GROUP_ID_NOT_FOUND));
    return syncGroup(this.core, p);
  }

  heartbeat(p: HeartbeatParams): number {
    if (this.modernGroups?.owns(p.groupId) || this.shareGroups?.owns(p.groupId)) return ErrorCode.GROUP_ID_NOT_FOUND;
    return heartbeat(this.core, p);
  }

  leaveGroup(groupId: string, members: LeaveMember[]): LeaveGroupOutcome {
    if (this.modernGroups?.owns(groupId) || this.shareGroups?.owns(groupId)) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, members: [] };
    return leaveGroup(this.core, groupId, members);
  }

  commitOffsets(p: OffsetCommitParams): Promise<TopicErrors[]> {
    if (this.modernGroups?.owns(p.groupId)) return this.modernGroups.commitOffsets(p);
    return commitOffsets(this.core, p);
  }

  /** `member` (OffsetFetch v9 member id / epoch) is checked for consumer groups only, as in Kafka. */
  fetchOffsets(groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null, member?: { memberId: string | null; memberEpoch: number }): FetchedOffsets {
    if (this.modernGroups?.owns(groupId)) return this.modernGroups.fetchOffsets(groupId, topics, member);
    return fetchOffsets(this.core, groupId, topics);
  }

  deleteOffsets(groupId: string, topics: { name: string; partitions: number[] }[]): Promise<OffsetDeleteOutcome> {
    if (this.modernGroups?.owns(groupId)) return this.modernGroups.deleteOffsets(groupId, topics);
    return deleteOffsets(this.core, groupId, topics);
  }

  /** Call when topics are deleted: their committed offsets are dropped from every group. */
  onTopicsDeleted(topics: string[]): number {
    if (!this.core.active) return 0;
    return deleteTopicOffsets(this.core, topics) + (this.modernGroups?.onTopicsDeleted(topics) ?? 0);
  }

  /** Runs one offsets-retention pass now (also runs every offsets.retention.check.interval.ms). */
  expireOffsets(): number {
    if (!this.core.active) return 0;
    return expireOffsets(this.core) + (this.modernGroups?.expireOffsets() ?? 0);
  }

  /**
   * DescribeGroups. A group that does not exist (or is a KIP-848 consumer group) is described as
   * Dead without error before v6; from v6 (KIP-1043) it is GROUP_ID_NOT_FOUND with Kafka's message.
   */
  describeGroup(groupId: string, apiVersion = 0): DescribedGroup {
    const none = { groupId, protocolType: '', protocolData: '', members: [], errorMessage: null };
    const unavailable = this.core.groupError(groupId);
    if (unavailable !== ErrorCode.NONE) return { ...none, errorCode: unavailable, groupState: '' };
    const g = this.core.groups.get(groupId);
    if (!g || (apiVersion >= 6 && g.is('Dead'))) {
      if (apiVersion < 6) return { ...none, errorCode: ErrorCode.NONE, groupState: 'Dead' };
      const errorMessage = this.modernGroups?.owns(groupId) || this.shareGroups?.owns(groupId) ? `Group ${groupId} is not a classic group.` : `Group ${groupId} not found.`;
      return { ...none, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage, groupState: 'Dead' };
    }
    const stable = g.is('Stable');
    const protocol = g.protocolName ?? '';
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      groupId,
      groupState: g.state,
      protocolType: g.protocolType ?? '',
      // Metadata and assignments are only meaningful for a generation whose assignment is out.
      protocolData: stable ? protocol : '',
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable ? m.metadataFor(protocol) : Buffer.alloc(0),
        memberAssignment: stable ? m.assignment : Buffer.alloc(0),
      })),
    };
  }

  /**
   * ListGroups: filters match case-insensitively, and state names also with underscores
   * ("PREPARING_REBALANCE", as some clients spell the enum); empty filters match everything.
   */
  listGroups(statesFilter: string[] = [], typesFilter: string[] = []): { errorCode: number; groups: ListedGroup[] } {
    if (!this.core.active) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] };
    const norm = (s: string) => s.toLowerCase().replaceAll('_', '');
    const states = new Set(statesFilter.map(norm));
    const types = new Set(typesFilter.map((s) => s.toLowerCase()));
    const groups: ListedGroup[] = this.modernGroups?.listGroups(states, types) ?? [];
    for (const g of this.shareGroups?.list() ?? []) {
      if ((types.size === 0 || types.has(g.groupType)) && (states.size === 0 || states.has(norm(g.groupState)))) groups.push(g);
    }
    if (types.size > 0 && !types.has(CLASSIC_GROUP_TYPE)) return { errorCode: ErrorCode.NONE, groups };
    for (const g of this.core.groups.values()) {
      if (g.is('Dead')) continue;
      if (states.size > 0 && !states.has(norm(g.state))) continue;
      groups.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state, groupType: CLASSIC_GROUP_TYPE });
    }
    return { errorCode: ErrorCode.NONE, groups };
  }

  /**
   * DeleteGroups: only Empty groups (NON_EMPTY_GROUP otherwise, GROUP_ID_NOT_FOUND when
   * unknown). The group and its offsets are tombstoned; the answer waits for the write.
   */
  async deleteGroups(groupIds: string[]): Promise<{ groupId: string; errorCode: number }[]> {
    const pending: Promise<{ groupId: string; errorCode: number }>[] = [];
    const seen = new Set<string>();
    for (const groupId of groupIds) {
      if (seen.has(groupId)) continue;
      seen.add(groupId);
      const unavailable = this.core.groupError(groupId);
      if (unavailable !== ErrorCode.NONE) {
        pending.push(Promise.resolve({ groupId, errorCode: unavailable }));
        continue;
      }
      if (this.shareGroups?.owns(groupId)) {
        pending.push(this.shareGroups.deleteGroup(groupId).then((errorCode) => ({ groupId, errorCode })));
        continue;
      }
      if (this.modernGroups?.owns(groupId)) {
        pending.push(this.modernGroups.deleteGroup(groupId).then((errorCode) => ({ groupId, errorCode })));
        continue;
      }
      const g = this.core.groups.get(groupId);
      if (!g || g.is('Dead')) pending.push(Promise.resolve({ groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND }));
      else if (!g.is('Empty')) pending.push(Promise.resolve({ groupId, errorCode: ErrorCode.NON_EMPTY_GROUP }));
      else pending.push(this.removeGroup(g).then((errorCode) => ({ groupId, errorCode })));
    }
    return Promise.all(pending);
  }

  private removeGroup(g: ClassicGroup): Promise<number> {
    const records: CoordinatorRecord[] = [];
    for (const [topic, parts] of g.offsets) for (const p of parts.keys()) records.push({ key: encodeOffsetCommitKey(g.groupId, topic, p), value: null });
    records.push({ key: encodeGroupMetadataKey(g.groupId), value: null });
    g.transitionTo('Dead', this.core.now());
    this.core.groups.delete(g.groupId);
    this.core.unloadGroup(g, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    return this.core.append(g.groupId, records).then(coordinatorWriteError);
  }

  /** For tests and tools: the live group object, if any. */
  group(groupId: string): ClassicGroup | undefined {
    return this.core.groups.get(groupId);
  }

  // ---- TxnOffsetCommit (TxnOffsetsGroups, used by the transaction coordinator) -------------------

  validateTxnOffsetCommit(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number): number {
    if (this.modernGroups?.owns(groupId)) {
      if (generationId < 0 && memberId === '') return ErrorCode.NONE;
      // A KIP-848 group: the generation field carries the member epoch. Kafka answers a stale
      // epoch with ILLEGAL_GENERATION on this API (validateTransactionalOffsetCommit).
      const err = this.modernGroups.validateTxnOffsetCommit(groupId, memberId, generationId);
      return err === ErrorCode.STALE_MEMBER_EPOCH || err === ErrorCode.GROUP_ID_NOT_FOUND ? ErrorCode.ILLEGAL_GENERATION : err;
    }
    if (generationId < 0 && memberId === '' && groupInstanceId === null) return ErrorCode.NONE; // v0-2 clients: no membership check
    const group = this.core.groups.get(groupId);
    if (!group || group.is('Dead')) return ErrorCode.ILLEGAL_GENERATION;
    const memberError = group.memberError(memberId, groupInstanceId);
    if (memberError !== null) return ErrorCode[memberError];
    return generationId !== group.generationId ? ErrorCode.ILLEGAL_GENERATION : ErrorCode.NONE;
  }

  applyTxnOffsets(groupId: string, offsets: Iterable<{ topic: string; partition: number; value: CommittedOffset }>): void {
    // Its partition went away meanwhile: the offsets are in the log, the next load replays them.
    if (this.core.states.state(this.partitionFor(groupId)) === 'unloaded') return;
    if (this.modernGroups?.owns(groupId)) {
      this.modernGroups.applyCommittedOffsets(groupId, offsets);
      return;
    }
    let group = this.core.groups.get(groupId);
    if (!group || group.is('Dead')) {
      group = new ClassicGroup(groupId, this.core.now());
      this.core.groups.set(groupId, group);
    }
    for (const o of offsets) group.putOffset(o.topic, o.partition, o.value);
  }
}

export interface GroupCoordinatorDeps {
  config: ConfigGetter;
  logger: CoordinatorLogger;
}

/**
 * Builds the broker's coordinator over __consumer_offsets (created here, compacted, if missing;
 * an existing topic keeps its partition count) and registers it with the runtime. Call startup() next.
 */
export async function createGroupCoordinator(runtime: CoordinatorRuntime, deps: GroupCoordinatorDeps): Promise<GroupCoordinator> {
  const config = readGroupConfig(deps.config);
  const log = await runtime.open(offsetsTopicSpec(config.offsetsTopicNumPartitions, config.offsetsTopicSegmentBytes, runtime.clustered ? config.offsetsTopicReplicationFactor : 1));
  const gc = new GroupCoordinator({ config, log: log!, logger: deps.logger, followLeadership: runtime.clustered });
  runtime.register(OFFSETS_TOPIC, gc);
  return gc;
}
