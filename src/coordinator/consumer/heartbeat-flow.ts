// ConsumerGroupHeartbeat, after Kafka's GroupMetadataManager.consumerGroupHeartbeat. One request
// does everything a classic JoinGroup/SyncGroup/Heartbeat/LeaveGroup round did:
//
//   memberEpoch  0  join (or rejoin after being fenced): the member subscribes, owns nothing yet
//               >0  heartbeat: report owned partitions / changed subscription, get the assignment
//               -1  leave: the member's partitions are released at once
//               -2  static member leaves for now: it keeps its partitions until its session
//                   expires, and an instance with the same group.instance.id takes them over
//
//   1. member   created or updated; subscription change → ConsumerGroupMemberMetadata, group epoch + 1
//   2. metadata the subscribed topics that exist (ids, partition counts) recomputed on every
//               heartbeat; a change (topic created, partitions added) → group epoch + 1
//   3. target   group epoch > assignment epoch → the assignor computes a new target assignment
//   4. member   reconciled towards its target (reconcile.ts) → ConsumerGroupCurrentMemberAssignment
//   5. answer   member id, epoch, heartbeat interval, and the partitions it may use now (when
//               it joined, reported its partitions, or its assignment changed)
import { ErrorCode } from '../../../protocol/errors.js';
import { randomUuid } from '../../metadata/uuid.js';
import { clone, isSubset, toList, type TopicPartitionsList } from './assignment.js';
import { compileTopicRegex, type ConsumerCore } from './consumer-core.js';
import { cloneMember, ConsumerGroup, currentAssignmentOf, LEAVE_GROUP_MEMBER_EPOCH, LEAVE_GROUP_STATIC_MEMBER_EPOCH, newMember, subscriptionOf, type ConsumerMember } from './consumer-group.js';
import { MemberState } from './consumer-records.js';
import { reconcile } from './reconcile.js';

export interface ConsumerHeartbeatParams {
  groupId: string;
  memberId: string;
  memberEpoch: number;
  instanceId: string | null;
  rackId: string | null;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: string[] | null;
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  topicPartitions: TopicPartitionsList[] | null;
  clientId: string;
  clientHost: string;
}

export interface ConsumerHeartbeatOutcome {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: { topicPartitions: TopicPartitionsList[] } | null;
}

export function heartbeatError(errorCode: number, errorMessage: string | null = null): ConsumerHeartbeatOutcome {
  return { errorCode, errorMessage, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
}

class HeartbeatError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const fail = (code: number, message: string): never => {
  throw new HeartbeatError(code, message);
};

export async function consumerGroupHeartbeat(core: ConsumerCore, p: ConsumerHeartbeatParams): Promise<ConsumerHeartbeatOutcome> {
  if (!core.active) return heartbeatError(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  // Its __consumer_offsets partition may be loading or unloaded (the classic coordinator owns the states).
  const unavailable = core.classic.core.groupError(p.groupId);
  if (unavailable !== ErrorCode.NONE) return heartbeatError(unavailable);
  let outcome: ConsumerHeartbeatOutcome;
  let commit: () => Promise<number>;
  try {
    validate(core, p);
    // Everything up to commit() runs without an await: the check-then-mutate is atomic.
    ({ outcome, commit } = p.memberEpoch < 0 ? leave(core, p) : join(core, p));
  } catch (err) {
    if (err instanceof HeartbeatError) return heartbeatError(err.code, err.message);
    throw err;
  }
  const writeError = await commit();
  return writeError === ErrorCode.NONE ? outcome : heartbeatError(writeError);
}

/** Kafka's throwIfConsumerGroupHeartbeatRequestIsInvalid. */
function validate(core: ConsumerCore, p: ConsumerHeartbeatParams): void {
  const blank = (s: string | null) => s !== null && s.trim() === '';
  if (blank(p.groupId)) fail(ErrorCode.INVALID_REQUEST, "GroupId can't be empty.");
  if (blank(p.instanceId)) fail(ErrorCode.INVALID_REQUEST, "InstanceId can't be empty.");
  if (blank(p.rackId)) fail(ErrorCode.INVALID_REQUEST, "RackId can't be empty.");
  if (p.memberEpoch > 0 || p.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH) {
    if (blank(p.memberId)) fail(ErrorCode.INVALID_REQUEST, "MemberId can't be empty.");
  } else if (p.memberEpoch === 0) {
    if (p.rebalanceTimeoutMs === -1) fail(ErrorCode.INVALID_REQUEST, 'RebalanceTimeoutMs must be provided in first request.');
    if (p.topicPartitions === null || p.topicPartitions.some((t) => t.partitions.length > 0)) fail(ErrorCode.INVALID_REQUEST, 'TopicPartitions must be empty when (re-)joining.');
    if ((p.subscribedTopicNames === null || p.subscribedTopicNames.length === 0) && !p.subscribedTopicRegex) {
      fail(ErrorCode.INVALID_REQUEST, 'SubscribedTopicNames or SubscribedTopicRegex must be set in first request.');
    }
  } else if (p.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
    if (blank(p.memberId)) fail(ErrorCode.INVALID_REQUEST, "MemberId can't be empty.");
    if (p.instanceId === null) fail(ErrorCode.INVALID_REQUEST, "InstanceId can't be null.");
  } else {
    fail(ErrorCode.INVALID_REQUEST, 'MemberEpoch is invalid.');
  }
  if (p.serverAssignor !== null && !core.assignors.has(p.serverAssignor)) {
    fail(ErrorCode.UNSUPPORTED_ASSIGNOR, `ServerAssignor ${p.serverAssignor} is not supported. Supported assignors: ${[...core.assignors.keys()].join(', ')}.`);
  }
  if (p.subscribedTopicRegex && compileTopicRegex(p.subscribedTopicRegex) === null) {
    fail(ErrorCode.INVALID_REGULAR_EXPRESSION, `SubscribedTopicRegex ${p.subscribedTopicRegex} is not a valid regular expression.`);
  }
}

/** The consumer group for `groupId`, created (not yet registered) when joining. */
function groupFor(core: ConsumerCore, groupId: string, create: boolean): { group: ConsumerGroup; fromClassic: boolean } {
  const existing = core.groups.get(groupId);
  if (existing) return { group: existing, fromClassic: false };
  // A share group (KIP-932) owns the id: Kafka answers GROUP_ID_NOT_FOUND, as for a classic group.
  if (core.classic.shareGroups?.owns(groupId)) fail(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} is not a consumer group.`);
  const classic = core.classicState(groupId);
  if (classic === 'active' || (classic === 'empty' && !create)) fail(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} is not a consumer group.`);
  if (!create) fail(ErrorCode.GROUP_ID_NOT_FOUND, `Consumer group ${groupId} not found.`);
  return { group: new ConsumerGroup(groupId), fromClassic: classic === 'empty' };
}

/** Kafka's throwIfMemberEpochIsInvalid: a stale epoch is accepted only as the previous one with a subset of the assignment. */
function checkEpoch(m: ConsumerMember, epoch: number, owned: TopicPartitionsList[] | null): void {
  if (epoch > m.memberEpoch) {
    fail(ErrorCode.FENCED_MEMBER_EPOCH, `The consumer group member has a greater member epoch (${epoch}) than the one known by the group coordinator (${m.memberEpoch}). The member must abandon all its partitions and rejoin.`);
  }
  if (epoch < m.memberEpoch && (epoch !== m.previousMemberEpoch || !isSubset(owned, m.assignedPartitions))) {
    fail(ErrorCode.FENCED_MEMBER_EPOCH, `The consumer group member has a smaller member epoch (${epoch}) than the one known by the group coordinator (${m.memberEpoch}). The member must abandon all its partitions and rejoin.`);
  }
}

function leave(core: ConsumerCore, p: ConsumerHeartbeatParams): { outcome: ConsumerHeartbeatOutcome; commit: () => Promise<number> } {
  const { group } = groupFor(core, p.groupId, false);
  let member: ConsumerMember | undefined;
  if (p.instanceId === null) {
    member = group.members.get(p.memberId) ?? fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${p.memberId} is not a member of group ${p.groupId}.`);
  } else {
    member = group.staticMember(p.instanceId) ?? fail(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${p.instanceId} is unknown.`);
    if (member.memberId !== p.memberId) fail(ErrorCode.FENCED_INSTANCE_ID, `Static member ${p.memberId} with instance id ${p.instanceId} was fenced by member ${member.memberId}.`);
  }
  const txn = core.txn(group);
  if (p.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
    // The instance keeps its assigned partitions (not those it was revoking) for whoever comes back as it.
    core.logger.info('static member leaves the consumer group for now', { group: p.groupId, member: member.memberId, instance: p.instanceId });
    txn.emit({
      type: 'currentAssignment',
      groupId: group.groupId,
      memberId: member.memberId,
      value: { ...currentAssignmentOf(member), memberEpoch: LEAVE_GROUP_STATIC_MEMBER_EPOCH, previousMemberEpoch: member.memberEpoch, partitionsPendingRevocation: new Map() },
    });
    core.cancelRevocationTimeout(group.groupId, member.memberId);
  } else {
    core.logger.info('member left the consumer group', { group: p.groupId, member: member.memberId });
    core.fenceMember(txn, member.memberId);
  }
  return {
    outcome: { errorCode: ErrorCode.NONE, errorMessage: null, memberId: p.memberId, memberEpoch: p.memberEpoch, heartbeatIntervalMs: 0, assignment: null },
    commit: () => txn.commit(),
  };
}

function join(core: ConsumerCore, p: ConsumerHeartbeatParams): { outcome: ConsumerHeartbeatOutcome; commit: () => Promise<number> } {
  const joining = p.memberEpoch === 0;
  const { group, fromClassic } = groupFor(core, p.groupId, joining);
  if (group.members.size >= core.config.maxSize && (p.memberId === '' || !group.members.has(p.memberId))) {
    fail(ErrorCode.GROUP_MAX_SIZE_REACHED, `The consumer group has reached its maximum capacity of ${core.config.maxSize} members.`);
  }
  const memberId = p.memberId === '' ? randomUuid() : p.memberId;

  // Who is this? `existing` is the member as the group knows it (undefined for a new one);
  // `replaced` a static member's previous instance, whose place this one takes.
  let existing: ConsumerMember | undefined;
  let replaced: ConsumerMember | undefined;
  if (p.instanceId === null) {
    existing = group.members.get(memberId);
    if (!existing && !joining) fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${memberId} is not a member of group ${p.groupId}.`);
  } else {
    const holder = group.staticMember(p.instanceId);
    if (joining) {
      if (holder && holder.memberId !== memberId) {
        if (holder.memberEpoch !== LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
          fail(ErrorCode.UNRELEASED_INSTANCE_ID, `Static member ${memberId} with instance id ${p.instanceId} cannot join the group because the instance id is owned by ${holder.memberId} member.`);
        }
        replaced = holder;
      } else {
        existing = holder ?? group.members.get(memberId);
      }
    } else {
      if (!holder) fail(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${p.instanceId} is unknown.`);
      if (holder!.memberId !== memberId) fail(ErrorCode.FENCED_INSTANCE_ID, `Static member ${memberId} with instance id ${p.instanceId} was fenced by member ${holder!.memberId}.`);
      existing = holder;
    }
  }
  if (existing && !joining) checkEpoch(existing, p.memberEpoch, p.topicPartitions);

  // ---- from here on, records are emitted (no failures past this point) ----
  const txn = core.txn(group);
  if (fromClassic && !core.adoptEmptyClassicGroup(txn)) fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'Offsets of the classic group are still being written.');
  if (joining && existing && (existing.memberEpoch !== 0 || existing.assignedPartitions.size > 0 || existing.partitionsPendingRevocation.size > 0)) {
    // A known member rejoining with epoch 0 has given up its partitions (it must report none):
    // release them now so that it (or others) can be assigned them straight away.
    core.logger.info('member rejoins the consumer group', { group: p.groupId, member: memberId });
    txn.emit({ type: 'currentAssignment', groupId: group.groupId, memberId, value: { memberEpoch: 0, previousMemberEpoch: -1, state: MemberState.STABLE, assignedPartitions: new Map(), partitionsPendingRevocation: new Map() } });
    core.cancelRevocationTimeout(group.groupId, memberId);
  }
  // Captured before the previous instance's tombstones clear it.
  const inheritedTarget = replaced ? clone(group.targetOf(replaced.memberId)) : undefined;
  const inheritedAssigned = replaced ? clone(replaced.assignedPartitions) : undefined;
  const replacedSubscription = replaced ? { ...subscriptionOf(replaced) } : null;
  if (replaced) {
    core.logger.info('static member replaces its previous instance', { group: p.groupId, member: memberId, previous: replaced.memberId, instance: p.instanceId });
    core.removeMemberRecords(txn, replaced.memberId);
  }

  // 1. The member's subscription.
  const before = existing ? group.members.get(existing.memberId)! : undefined;
  const working = before ? cloneMember(before) : newMember(memberId);
  if (p.instanceId !== null) working.instanceId = p.instanceId;
  if (p.rackId !== null) working.rackId = p.rackId;
  if (p.rebalanceTimeoutMs !== -1) working.rebalanceTimeoutMs = p.rebalanceTimeoutMs;
  if (p.serverAssignor !== null) working.serverAssignor = p.serverAssignor;
  if (p.subscribedTopicNames !== null) working.subscribedTopicNames = [...new Set(p.subscribedTopicNames)].sort();
  if (p.subscribedTopicRegex !== null) working.subscribedTopicRegex = p.subscribedTopicRegex === '' ? null : p.subscribedTopicRegex;
  working.clientId = p.clientId;
  working.clientHost = p.clientHost;
  let bump = false;
  const sub = subscriptionOf(working);
  // A replacing instance is compared with the instance it replaces: same subscription, no new epoch.
  const old = before ? subscriptionOf(before) : replacedSubscription;
  if (!before || JSON.stringify(sub) !== JSON.stringify(old)) {
    txn.emit({ type: 'member', groupId: group.groupId, memberId, value: sub });
    if (!old || sub.subscribedTopicNames.join('\u0000') !== old.subscribedTopicNames.join('\u0000') || sub.subscribedTopicRegex !== old.subscribedTopicRegex) bump = true;
  }

  // 2. Subscription metadata, 3. target assignment.
  if (core.maybeUpdateSubscriptionMetadata(txn)) bump = true;
  if (bump) core.bumpGroupEpoch(txn);
  if (group.groupEpoch > group.assignmentEpoch || replaced) {
    core.updateTargetAssignment(txn, inheritedTarget ? { memberId, target: inheritedTarget } : undefined);
  }

  // 4. Reconciliation. A new member (or a replacing instance) has no current assignment record yet.
  const live = group.members.get(memberId)!;
  const current = inheritedAssigned ? { ...currentAssignmentOf(live), assignedPartitions: inheritedAssigned } : currentAssignmentOf(live);
  const isNew = !before || replaced !== undefined;
  let assignmentUpdated = false;
  if (isNew || current.state !== MemberState.STABLE || current.memberEpoch !== group.assignmentEpoch) {
    const next = reconcile({
      current,
      targetEpoch: group.assignmentEpoch,
      target: group.targetOf(memberId),
      partitionEpoch: (t, x) => group.currentPartitionEpoch(t, x),
      owned: p.topicPartitions,
    });
    if (next !== current || isNew) {
      assignmentUpdated = true;
      txn.emit({ type: 'currentAssignment', groupId: group.groupId, memberId, value: next });
      if (next.state === MemberState.UNREVOKED_PARTITIONS) core.scheduleRevocationTimeout(group.groupId, live);
      else core.cancelRevocationTimeout(group.groupId, memberId);
    }
  }
  core.scheduleSessionTimeout(group.groupId, memberId);

  // 5. The answer.
  const sendAssignment = p.topicPartitions !== null || joining || assignmentUpdated;
  return {
    outcome: {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId,
      memberEpoch: live.memberEpoch,
      heartbeatIntervalMs: core.config.heartbeatIntervalMs,
      assignment: sendAssignment ? { topicPartitions: toList(live.assignedPartitions) } : null,
    },
    commit: () => txn.commit(),
  };
}
