// The group coordinator's shared state and its rebalance primitives, after Kafka's
// GroupMetadataManager (classic groups): prepare a rebalance, complete the join phase, hand out
// assignments, expire members, expire members that never sent SyncGroup. The request flows
// (join-flow.ts, member-ops.ts, offset-ops.ts) are built from these.
//
// Everything here runs on the event loop without awaits between a check and its mutation, which
// gives the same atomicity as Kafka's per-group lock. Timers (keyed-timers.ts):
//   join:<group>        the join phase deadline (rebalance timeout, or the initial delay)
//   sync:<group>        members that got a JoinGroup response must SyncGroup before this
//   hb:<group>:<member> the member's session deadline (a new member's join deadline)
import { ErrorCode } from '../../../protocol/errors.js';
import type { Logger } from '../../logging/logger.js';
import { ClassicGroup } from './classic-group.js';
import type { GroupCoordinatorConfig } from './group-config.js';
import { EMPTY_BYTES, GroupMember, joinError, syncError, type JoinGroupOutcome } from './group-member.js';
import { heartbeatKey, joinKey, KeyedTimers, syncKey } from './keyed-timers.js';
import { decodeOffsetsRecordKey, encodeGroupMetadataKey, encodeGroupMetadataValue } from '../common/offsets-records.js';
import type { PendingTxnOffsets } from '../common/group-txn-links.js';
import { partitionForGroup } from '../common/partition-for.js';
import { PartitionStates } from '../runtime/partition-states.js';
import type { CoordinatorRecordLog } from '../runtime/record-log.js';
import { coordinatorWriteError } from '../runtime/write-errors.js';

export type CoordinatorLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

function supersedeTxnOffsets(pending: PendingTxnOffsets, records: { key: Buffer }[], before: number): void {
  for (const r of records) {
    let key: ReturnType<typeof decodeOffsetsRecordKey>;
    try {
      key = decodeOffsetsRecordKey(r.key);
    } catch {
      continue;
    }
    if (key?.type === 'offset') pending.supersede(key.group, key.topic, key.partition, before);
  }
}

export class CoordinatorCore {
  readonly groups = new Map<string, ClassicGroup>();
  readonly timers = new KeyedTimers();
  /** Between startup and shutdown. */
  active = false;
  /** Which __consumer_offsets partitions are loaded here (the runtime loads and unloads them). */
  readonly states = new PartitionStates();
  /** The transaction coordinator's pending transactional offsets (replay restores them, unload drops them). */
  pendingTxnOffsets: PendingTxnOffsets | null = null;
  /** Replayed records whose key this coordinator does not own (KIP-848 consumer groups take theirs). */
  foreignRecords: ((rec: { key: Buffer; value: Buffer | null }) => void) | null = null;
  private readonly inflightWrites = new Set<Promise<number>>();

  constructor(
    readonly config: GroupCoordinatorConfig,
    readonly log: CoordinatorRecordLog,
    readonly logger: CoordinatorLogger,
  ) {}

  now(): number {
    return Date.now();
  }

  partitionFor(groupId: string): number {
    return partitionForGroup(groupId, this.log.numPartitions);
  }

  /**
   * ErrorCode.NONE when `groupId` is served here; else COORDINATOR_NOT_AVAILABLE (not started or
   * shut down), COORDINATOR_LOAD_IN_PROGRESS (its partition is loading) or NOT_COORDINATOR (unloaded).
   */
  groupError(groupId: string): number {
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    return this.states.errorFor(this.partitionFor(groupId));
  }

  /**
   * Appends to the group's partition; tracked so shutdown can wait for it. Once written, plain
   * offset commits and tombstones supersede the transactional offsets of their keys written before
   * them (the later record wins, as in Kafka).
   */
  append(groupId: string, records: { key: Buffer; value: Buffer | null }[]): Promise<number> {
    const pending = this.pendingTxnOffsets;
    const before = pending?.position() ?? 0;
    const p = this.log.append(this.partitionFor(groupId), records);
    this.inflightWrites.add(p);
    void p.finally(() => this.inflightWrites.delete(p));
    if (!pending) return p;
    return p.then((code) => {
      if (code === ErrorCode.NONE) supersedeTxnOffsets(pending, records, before);
      return code;
    });
  }

  async drainWrites(): Promise<void> {
    while (this.inflightWrites.size > 0) await Promise.all([...this.inflightWrites]);
  }

  /**
   * Persists the group (generation, protocol, leader, members with their subscription for the
   * selected protocol and `assignment`, or each member's current assignment). Resolves with a
   * client-facing error code.
   */
  async storeGroup(group: ClassicGroup, assignment?: Map<string, Buffer>): Promise<number> {
    const protocol = group.protocolName;
    const value = encodeGroupMetadataValue({
      protocolType: group.protocolType ?? '',
      generation: group.generationId,
      protocol,
      leader: group.leaderId,
      currentStateTimestamp: group.currentStateTimestamp ?? -1,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.sessionTimeoutMs,
        subscription: protocol === null ? EMPTY_BYTES : m.metadataFor(protocol),
        assignment: assignment ? (assignment.get(m.memberId) ?? EMPTY_BYTES) : m.assignment,
      })),
    });
    return coordinatorWriteError(await this.append(group.groupId, [{ key: encodeGroupMetadataKey(group.groupId), value }]));
  }

  // ---- heartbeats ----------------------------------------------------------------------------

  /** The member proved it is alive: its next deadline is `timeoutMs` (default: session timeout) away. */
  rescheduleHeartbeat(group: ClassicGroup, member: GroupMember, timeoutMs = member.sessionTimeoutMs): void {
    const groupId = group.groupId;
    const memberId = member.memberId;
    this.timers.schedule(heartbeatKey(groupId, memberId), timeoutMs, () => this.onHeartbeatExpired(groupId, memberId));
  }

  cancelHeartbeat(group: ClassicGroup, memberId: string): void {
    this.timers.cancel(heartbeatKey(group.groupId, memberId));
  }

  /** A pending (MEMBER_ID_REQUIRED) member must come back within its session timeout. */
  schedulePendingMemberExpiry(group: ClassicGroup, memberId: string, timeoutMs: number): void {
    const groupId = group.groupId;
    this.timers.schedule(heartbeatKey(groupId, memberId), timeoutMs, () => this.onHeartbeatExpired(groupId, memberId));
  }

  private onHeartbeatExpired(groupId: string, memberId: string): void {
    const group = this.groups.get(groupId);
    if (!group || group.is('Dead')) return;
    if (group.pendingJoinMembers.has(memberId)) {
      this.logger.info('pending member expired', { group: groupId, member: memberId });
      this.removePendingMember(group, memberId);
      return;
    }
    const member = group.members.get(memberId);
    if (!member || member.hasSatisfiedHeartbeat()) return;
    this.logger.info('member session expired, removing it', { group: groupId, member: memberId });
    this.removeMemberAndUpdateGroup(group, member, `removing member ${memberId} on heartbeat expiration`);
  }

  removePendingMember(group: ClassicGroup, memberId: string): void {
    group.pendingJoinMembers.delete(memberId);
    this.cancelHeartbeat(group, memberId);
    if (group.is('PreparingRebalance')) this.maybeCompleteJoinPhase(group);
  }

  /**
   * Removes a member that left or expired. A parked JoinGroup gets UNKNOWN_MEMBER_ID so a live
   * client retries; the group then rebalances (or completes the join phase it was waiting for).
   */
  removeMemberAndUpdateGroup(group: ClassicGroup, member: GroupMember, reason: string): void {
    member.completeJoin(joinError('', ErrorCode.UNKNOWN_MEMBER_ID));
    member.completeSync(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    group.remove(member.memberId);
    this.cancelHeartbeat(group, member.memberId);
    this.afterMembershipShrank(group, reason);
  }

  afterMembershipShrank(group: ClassicGroup, reason: string): void {
    if (group.is('Stable') || group.is('CompletingRebalance')) this.prepareRebalance(group, reason);
    else if (group.is('PreparingRebalance') && group.hasAllMembersJoined()) this.completeJoin(group);
  }

  // ---- rebalance -----------------------------------------------------------------------------

  maybePrepareRebalanceOrCompleteJoin(group: ClassicGroup, reason: string): void {
    if (group.canRebalance) this.prepareRebalance(group, reason);
    else this.maybeCompleteJoinPhase(group);
  }

  /**
   * Completes the join phase early when everyone has rejoined, except during the initial
   * rebalance of an Empty group, which always waits out group.initial.rebalance.delay.ms.
   */
  maybeCompleteJoinPhase(group: ClassicGroup): void {
    if (group.is('PreparingRebalance') && group.hasAllMembersJoined() && group.previousState !== 'Empty') this.completeJoin(group);
  }

  prepareRebalance(group: ClassicGroup, reason: string): void {
    // Members parked in SyncGroup must rejoin: their generation is over.
    if (group.is('CompletingRebalance')) this.resetAndPropagateAssignmentError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    this.timers.cancel(syncKey(group.groupId));
    const initial = group.is('Empty');
    if (initial) {
      const delay = this.config.initialRebalanceDelayMs;
      const remaining = Math.max(group.rebalanceTimeoutMs - delay, 0);
      this.scheduleInitialJoin(group, delay, remaining);
    }
    group.transitionTo('PreparingRebalance', this.now());
    this.logger.info('preparing to rebalance group', { group: group.groupId, generation: group.generationId, reason });
    if (!initial) this.maybeCompleteJoinElseSchedule(group);
  }

  private maybeCompleteJoinElseSchedule(group: ClassicGroup): void {
    if (group.is('PreparingRebalance') && group.hasAllMembersJoined()) {
      this.completeJoin(group);
    } else {
      const groupId = group.groupId;
      this.timers.schedule(joinKey(groupId), group.rebalanceTimeoutMs, () => this.onJoinDeadline(groupId));
    }
  }

  /**
   * The initial rebalance waits `delayMs`, and again (up to the rebalance timeout in total)
   * for as long as new members keep arriving within each delay (Kafka's InitialDelayedJoin).
   */
  private scheduleInitialJoin(group: ClassicGroup, delayMs: number, remainingMs: number): void {
    const groupId = group.groupId;
    this.timers.schedule(joinKey(groupId), delayMs, () => {
      const g = this.groups.get(groupId);
      if (!g || !g.is('PreparingRebalance')) return;
      if (g.newMemberAdded && remainingMs !== 0) {
        g.newMemberAdded = false;
        const nextDelay = Math.min(this.config.initialRebalanceDelayMs, remainingMs);
        this.scheduleInitialJoin(g, nextDelay, Math.max(remainingMs - delayMs, 0));
      } else {
        this.completeJoin(g);
      }
    });
  }

  private onJoinDeadline(groupId: string): void {
    const g = this.groups.get(groupId);
    if (g?.is('PreparingRebalance')) this.completeJoin(g);
  }

  /**
   * Ends the join phase: dynamic members that did not rejoin are dropped (static ones keep
   * their place until their session expires), the next generation starts, and every parked
   * JoinGroup is answered; the leader gets the member list to assign from.
   */
  completeJoin(group: ClassicGroup): void {
    this.timers.cancel(joinKey(group.groupId));
    for (const m of group.notYetRejoinedMembers()) {
      if (m.isStatic) continue;
      group.remove(m.memberId);
      this.cancelHeartbeat(group, m.memberId);
    }
    if (group.is('Dead')) return;
    if (!group.maybeElectNewJoinedLeader() && group.size > 0) {
      // Only static members that did not rejoin are left: wait another rebalance timeout, by
      // which time their sessions will have expired or they will have rejoined.
      this.logger.warn('group could not complete rebalance because no members rejoined', { group: group.groupId });
      const groupId = group.groupId;
      this.timers.schedule(joinKey(groupId), group.rebalanceTimeoutMs, () => this.onJoinDeadline(groupId));
      return;
    }
    group.initNextGeneration(this.now());
    if (group.is('Empty')) {
      this.logger.info('group is now empty', { group: group.groupId, generation: group.generationId });
      void this.storeGroup(group, new Map()).then((err) => {
        if (err !== ErrorCode.NONE) this.logger.warn('failed to write empty group metadata', { group: group.groupId, error: err });
      });
      return;
    }
    this.logger.info('stabilized group', { group: group.groupId, generation: group.generationId, protocol: group.protocolName, members: group.size });
    for (const m of group.members.values()) {
      const outcome: JoinGroupOutcome = {
        errorCode: ErrorCode.NONE,
        generationId: group.generationId,
        protocolType: group.protocolType,
        protocolName: group.protocolName,
        leader: group.leaderId ?? '',
        skipAssignment: false,
        memberId: m.memberId,
        members: group.isLeader(m.memberId) ? group.currentMemberMetadata() : [],
      };
      m.completeJoin(outcome);
      this.rescheduleHeartbeat(group, m);
      m.isNew = false;
      group.pendingSyncMembers.add(m.memberId);
    }
    this.schedulePendingSync(group);
  }

  /** Members that do not SyncGroup within the rebalance timeout are removed (KIP-814's pending sync). */
  private schedulePendingSync(group: ClassicGroup): void {
    const groupId = group.groupId;
    const generation = group.generationId;
    this.timers.schedule(syncKey(groupId), group.rebalanceTimeoutMs, () => {
      const g = this.groups.get(groupId);
      if (!g || g.generationId !== generation) return;
      if (!(g.is('CompletingRebalance') || g.is('Stable')) || g.pendingSyncMembers.size === 0) return;
      const missing = [...g.pendingSyncMembers];
      for (const id of missing) {
        const m = g.members.get(id);
        m?.completeSync(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
        g.remove(id);
        this.cancelHeartbeat(g, id);
      }
      this.prepareRebalance(g, `removing ${missing.join(', ')} on pending sync request expiration`);
    });
  }

  removePendingSyncMember(group: ClassicGroup, memberId: string): void {
    group.pendingSyncMembers.delete(memberId);
    if (group.pendingSyncMembers.size === 0 || !(group.is('CompletingRebalance') || group.is('Stable'))) {
      this.timers.cancel(syncKey(group.groupId));
    }
  }

  resetAndPropagateAssignmentError(group: ClassicGroup, errorCode: number): void {
    for (const m of group.members.values()) m.assignment = EMPTY_BYTES;
    this.propagateAssignment(group, errorCode);
  }

  setAndPropagateAssignment(group: ClassicGroup, assignment: Map<string, Buffer>): void {
    for (const m of group.members.values()) m.assignment = assignment.get(m.memberId) ?? EMPTY_BYTES;
    this.propagateAssignment(group, ErrorCode.NONE);
  }

  private propagateAssignment(group: ClassicGroup, errorCode: number): void {
    for (const m of group.members.values()) {
      const answered = m.completeSync(
        errorCode === ErrorCode.NONE
          ? { errorCode, protocolType: group.protocolType, protocolName: group.protocolName, assignment: m.assignment }
          : syncError(errorCode),
      );
      // A member whose session ran out while it waited was kept alive by the wait: restart its clock.
      if (answered) this.rescheduleHeartbeat(group, m);
    }
  }

  /** Removes a group from memory (DeleteGroups, expiry): timers cancelled, parked requests answered. */
  unloadGroup(group: ClassicGroup, errorCode: number): void {
    for (const m of group.members.values()) {
      m.completeJoin(joinError(m.memberId, errorCode));
      m.completeSync(syncError(errorCode));
      this.cancelHeartbeat(group, m.memberId);
    }
    for (const id of group.pendingJoinMembers) this.cancelHeartbeat(group, id);
    this.timers.cancel(joinKey(group.groupId));
    this.timers.cancel(syncKey(group.groupId));
  }
}
