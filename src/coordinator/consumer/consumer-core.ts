// The consumer group coordinator's shared state and primitives: the groups, their timers, record
// transactions (emit = replay into memory + queue for __consumer_offsets), subscription metadata
// (which subscribed topics exist and how many partitions they have), target assignment and
// member fencing. The request flows (heartbeat-flow.ts, consumer-offsets.ts) are built from these.
//
// As in the classic coordinator, nothing awaits between a check and its mutation, which gives
// the atomicity of Kafka's per-partition coordinator thread. Timers (keyed-timers.ts):
//   cg-session:<group>:<member>  the member's session deadline (group.consumer.session.timeout.ms)
//   cg-revoke:<group>:<member>   the deadline to revoke partitions (the member's rebalance timeout)
import { ErrorCode } from '../../../protocol/errors.js';
import { ClassicGroup } from '../group/classic-group.js';
import type { CoordinatorLogger } from '../group/coordinator-core.js';
import { coordinatorWriteError } from '../runtime/write-errors.js';
import type { GroupCoordinator } from '../group/group-coordinator.js';
import { KeyedTimers } from '../group/keyed-timers.js';
import type { CoordinatorRecord } from '../runtime/record-log.js';
import { encodeGroupMetadataKey } from '../common/offsets-records.js';
import { equals, type Assignment } from './assignment.js';
import type { PartitionAssignor } from './assignors.js';
import type { ConsumerGroupConfig } from './consumer-config.js';
import { ConsumerGroup, type ConsumerMember } from './consumer-group.js';
import { MemberState, toLogRecord, type ConsumerGroupRecord, type SubscribedTopic } from './consumer-records.js';

export interface TopicInfo {
  name: string;
  id: string;
  partitions: number;
}

/** What the coordinator needs of the topic registry (TopicRegistry satisfies it). */
export interface TopicsView {
  get(name: string): TopicInfo | undefined;
  getById(id: string): TopicInfo | undefined;
  all(): TopicInfo[];
}

/** How long a regex's matches are reused: topic creation is noticed within this time. */
const REGEX_CACHE_MS = 1000;

const sessionKey = (g: string, m: string) => `cg-session\u0000${g}\u0000${m}`;
const revokeKey = (g: string, m: string) => `cg-revoke\u0000${g}\u0000${m}`;

/** Compiles a subscription regex the way Kafka matches it: against the whole topic name. */
export function compileTopicRegex(regex: string): RegExp | null {
  try {
    return new RegExp(`^(?:${regex})$`, 'u');
  } catch {
    return null;
  }
}

/**
 * The records of one operation on one group. emit() applies a record to memory at once (so the
 * rest of the operation sees it) and queues it; commit() appends everything as one batch.
 */
export class GroupTxn {
  readonly records: ConsumerGroupRecord[] = [];
  /** Raw records of other owners written in the same batch (a converted classic group's tombstone). */
  readonly extra: CoordinatorRecord[] = [];

  constructor(
    private readonly core: ConsumerCore,
    readonly group: ConsumerGroup,
  ) {}

  emit(rec: ConsumerGroupRecord): void {
    this.records.push(rec);
    if (!this.group.replay(rec)) this.core.dropGroup(this.group);
    else if (this.core.groups.get(this.group.groupId) !== this.group) this.core.groups.set(this.group.groupId, this.group);
  }

  /**
   * Appends the batch; resolves with a client-facing error code once it is written. With nothing
   * to write it still waits for the group's last write, so no answer reveals unwritten state.
   * (A failed write is reported but not undone in memory: Kafka would revert to a snapshot.)
   */
  async commit(): Promise<number> {
    const g = this.group;
    if (this.records.length === 0 && this.extra.length === 0) {
      if (g.lastWrite) await g.lastWrite;
      return ErrorCode.NONE;
    }
    const p = this.core.classic.core.append(g.groupId, [...this.extra, ...this.records.map(toLogRecord)]);
    g.lastWrite = p;
    const code = await p;
    if (g.lastWrite === p) g.lastWrite = null;
    return coordinatorWriteError(code);
  }
}

export class ConsumerCore {
  readonly groups = new Map<string, ConsumerGroup>();
  readonly timers = new KeyedTimers();
  active = false;
  private readonly regexCache = new Map<string, { at: number; topics: Set<string> }>();

  constructor(
    readonly config: ConsumerGroupConfig,
    /** Assignors by name; the first is the default. */
    readonly assignors: Map<string, PartitionAssignor>,
    readonly topics: TopicsView,
    /** The classic coordinator: shared log, id namespace and offsets configuration. */
    readonly classic: GroupCoordinator,
    readonly logger: CoordinatorLogger,
  ) {}

  now(): number {
    return Date.now();
  }

  get defaultAssignor(): PartitionAssignor {
    return this.assignors.values().next().value!;
  }

  txn(group: ConsumerGroup): GroupTxn {
    return new GroupTxn(this, group);
  }

  /** Forgets a group (deleted, converted, or its metadata tombstoned) and its timers. */
  dropGroup(group: ConsumerGroup): void {
    if (this.groups.get(group.groupId) === group) this.groups.delete(group.groupId);
    for (const id of group.members.keys()) this.cancelTimers(group.groupId, id);
  }

  // ---- the classic id namespace ------------------------------------------------------------------

  /** The classic group holding `groupId`, if any ('empty': no members, nobody joining). */
  classicState(groupId: string): 'none' | 'empty' | 'active' {
    const g = this.classic.group(groupId);
    if (!g || g.is('Dead')) return 'none';
    return g.is('Empty') && g.pendingJoinMembers.size === 0 ? 'empty' : 'active';
  }

  /**
   * An Empty classic group becomes this consumer group (Kafka deletes the classic group and keeps
   * the offsets): its offsets move over and its GroupMetadata is tombstoned in the same batch.
   * False while classic commits are still being written (the caller answers a retriable error).
   */
  adoptEmptyClassicGroup(txn: GroupTxn): boolean {
    const classic = this.classic.group(txn.group.groupId);
    if (!classic) return true;
    if (classic.pendingOffsetCommits.size > 0) return false;
    for (const [topic, parts] of classic.offsets) for (const [p, o] of parts) txn.group.putOffset(topic, p, o);
    this.classic.core.groups.delete(classic.groupId);
    this.classic.core.unloadGroup(classic, ErrorCode.NOT_COORDINATOR);
    txn.extra.push({ key: encodeGroupMetadataKey(classic.groupId), value: null });
    return true;
  }

  /** The opposite move, for a classic JoinGroup on an Empty consumer group: a ClassicGroup with the offsets. */
  toClassicGroup(group: ConsumerGroup): ClassicGroup {
    const g = new ClassicGroup(group.groupId, this.now());
    for (const [topic, parts] of group.offsets) for (const [p, o] of parts) g.putOffset(topic, p, o);
    return g;
  }

  // ---- subscriptions -----------------------------------------------------------------------------

  resolveRegex(regex: string): Set<string> {
    const now = this.now();
    const hit = this.regexCache.get(regex);
    if (hit && now - hit.at < REGEX_CACHE_MS) return hit.topics;
    const re = compileTopicRegex(regex);
    const topics = new Set<string>();
    // Every topic, internal ones included: Kafka's refreshRegularExpressions does not skip them.
    if (re) for (const t of this.topics.all()) if (re.test(t.name)) topics.add(t.name);
    if (this.regexCache.size > 1000) this.regexCache.clear();
    this.regexCache.set(regex, { at: now, topics });
    return topics;
  }

  /** Topic names a member subscribes to (names plus regex matches). */
  memberTopicNames(m: ConsumerMember): Set<string> {
    const out = new Set(m.subscribedTopicNames);
    if (m.subscribedTopicRegex !== null) for (const t of this.resolveRegex(m.subscribedTopicRegex)) out.add(t);
    return out;
  }

  /** The existing topics the group subscribes to, with their ids and partition counts. */
  computeSubscriptionMetadata(group: ConsumerGroup): Map<string, SubscribedTopic> {
    const names = new Set<string>();
    for (const m of group.members.values()) for (const t of this.memberTopicNames(m)) names.add(t);
    const out = new Map<string, SubscribedTopic>();
    for (const name of [...names].sort()) {
      const t = this.topics.get(name);
      if (t) out.set(name, { topicId: t.id, topicName: name, numPartitions: t.partitions });
    }
    return out;
  }

  /** Emits ConsumerGroupPartitionMetadata when the subscribed topics changed; true if so (the epoch must be bumped). */
  maybeUpdateSubscriptionMetadata(txn: GroupTxn): boolean {
    const g = txn.group;
    const next = this.computeSubscriptionMetadata(g);
    const same = next.size === g.subscriptionMetadata.size && [...next].every(([n, t]) => {
      const o = g.subscriptionMetadata.get(n);
      return o !== undefined && o.topicId === t.topicId && o.numPartitions === t.numPartitions;
    });
    if (same) return false;
    txn.emit({ type: 'partitionMetadata', groupId: g.groupId, value: { epoch: g.groupEpoch, topics: [...next.values()] } });
    return true;
  }

  bumpGroupEpoch(txn: GroupTxn): void {
    txn.emit({ type: 'metadata', groupId: txn.group.groupId, value: { epoch: txn.group.groupEpoch + 1 } });
  }

  // ---- target assignment -------------------------------------------------------------------------

  /**
   * Computes the target assignment for the group epoch and emits the members whose target
   * changed, then the new assignment epoch. `inherit`: a static member replacing an older
   * instance starts from that instance's target (so nothing moves).
   */
  updateTargetAssignment(txn: GroupTxn, inherit?: { memberId: string; target: Assignment }): void {
    const g = txn.group;
    const assignor = this.assignors.get(g.preferredAssignor() ?? '') ?? this.defaultAssignor;
    const topicIds = new Map([...g.subscriptionMetadata.values()].map((t) => [t.topicName, t.topicId]));
    const targets = assignor.assign({
      topics: new Map([...g.subscriptionMetadata.values()].map((t) => [t.topicId, t.numPartitions])),
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        instanceId: m.instanceId,
        rackId: m.rackId,
        topics: new Set([...this.memberTopicNames(m)].map((n) => topicIds.get(n)).filter((id): id is string => id !== undefined)),
        previous: inherit?.memberId === m.memberId ? inherit.target : g.targetOf(m.memberId),
      })),
    });
    for (const id of g.members.keys()) {
      const t = targets.get(id) ?? new Map();
      if (!g.targetAssignment.has(id) || !equals(t, g.targetOf(id))) txn.emit({ type: 'targetMember', groupId: g.groupId, memberId: id, value: t });
    }
    for (const id of [...g.targetAssignment.keys()]) if (!g.members.has(id)) txn.emit({ type: 'targetMember', groupId: g.groupId, memberId: id, value: null });
    txn.emit({ type: 'targetMetadata', groupId: g.groupId, value: { assignmentEpoch: g.groupEpoch } });
    this.logger.info('computed a new target assignment', { group: g.groupId, epoch: g.groupEpoch, assignor: assignor.name, members: g.members.size });
  }

  // ---- membership ------------------------------------------------------------------------------

  /** Tombstones for a member (order as Kafka: current assignment, target, subscription); no epoch bump. */
  removeMemberRecords(txn: GroupTxn, memberId: string): void {
    const groupId = txn.group.groupId;
    txn.emit({ type: 'currentAssignment', groupId, memberId, value: null });
    txn.emit({ type: 'targetMember', groupId, memberId, value: null });
    txn.emit({ type: 'member', groupId, memberId, value: null });
    this.cancelTimers(groupId, memberId);
  }

  /** Removes a member (leave, session or revocation timeout): its partitions are free at once, the group epoch moves on. */
  fenceMember(txn: GroupTxn, memberId: string): void {
    this.removeMemberRecords(txn, memberId);
    this.maybeUpdateSubscriptionMetadata(txn);
    this.bumpGroupEpoch(txn);
  }

  scheduleSessionTimeout(groupId: string, memberId: string): void {
    this.timers.schedule(sessionKey(groupId, memberId), this.config.sessionTimeoutMs, () => this.expireMember(groupId, memberId, null, 'session expired'));
  }

  /** A member that must revoke partitions has its rebalance timeout to do so, at this epoch. */
  scheduleRevocationTimeout(groupId: string, member: ConsumerMember): void {
    const epoch = member.memberEpoch;
    const timeout = member.rebalanceTimeoutMs > 0 ? member.rebalanceTimeoutMs : this.config.sessionTimeoutMs;
    this.timers.schedule(revokeKey(groupId, member.memberId), timeout, () => this.expireMember(groupId, member.memberId, epoch, 'failed to revoke partitions in time'));
  }

  cancelRevocationTimeout(groupId: string, memberId: string): void {
    this.timers.cancel(revokeKey(groupId, memberId));
  }

  cancelTimers(groupId: string, memberId: string): void {
    this.timers.cancel(sessionKey(groupId, memberId));
    this.timers.cancel(revokeKey(groupId, memberId));
  }

  private expireMember(groupId: string, memberId: string, revokingAtEpoch: number | null, reason: string): void {
    if (!this.active) return;
    const g = this.groups.get(groupId);
    const m = g?.members.get(memberId);
    if (!g || !m) return;
    if (revokingAtEpoch !== null && (m.state !== MemberState.UNREVOKED_PARTITIONS || m.memberEpoch !== revokingAtEpoch)) return;
    this.logger.info('member fenced from the consumer group', { group: groupId, member: memberId, reason });
    const txn = this.txn(g);
    this.fenceMember(txn, memberId);
    void txn.commit().then((err) => {
      if (err !== ErrorCode.NONE) this.logger.warn('failed to write the removal of an expired member', { group: groupId, member: memberId, error: err });
    });
  }
}
