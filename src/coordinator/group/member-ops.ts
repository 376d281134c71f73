// SyncGroup, Heartbeat and LeaveGroup for classic groups.
import { ErrorCode } from '../../../protocol/errors.js';
import type { ClassicGroup } from './classic-group.js';
import type { CoordinatorCore } from './coordinator-core.js';
import { joinError, syncError, type SyncGroupOutcome } from './group-member.js';

export interface SyncGroupParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** SyncGroup v5+: checked against the group's when non-null. */
  protocolType: string | null;
  protocolName: string | null;
  /** Only the leader's are used. */
  assignments: { memberId: string; assignment: Buffer }[];
}

export interface HeartbeatParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface LeaveMember {
  memberId: string;
  groupInstanceId: string | null;
  reason?: string | null;
}

export interface LeaveGroupOutcome {
  errorCode: number;
  members: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

const inconsistent = (a: string | null, b: string | null): boolean => a !== null && b !== null && a !== b;

export function syncGroup(core: CoordinatorCore, p: SyncGroupParams): Promise<SyncGroupOutcome> {
  const unavailable = core.groupError(p.groupId);
  if (unavailable !== ErrorCode.NONE) return Promise.resolve(syncError(unavailable));
  if (p.groupId === '') return Promise.resolve(syncError(ErrorCode.INVALID_GROUP_ID));
  const group = core.groups.get(p.groupId);
  if (!group) return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
  if (group.is('Dead')) return Promise.resolve(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
  const memberError = group.memberError(p.memberId, p.groupInstanceId);
  if (memberError !== null) return Promise.resolve(syncError(ErrorCode[memberError]));
  if (p.generationId !== group.generationId) return Promise.resolve(syncError(ErrorCode.ILLEGAL_GENERATION));
  if (inconsistent(p.protocolType, group.protocolType) || inconsistent(p.protocolName, group.protocolName)) {
    return Promise.resolve(syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
  }
  const member = group.members.get(p.memberId)!;
  switch (group.state) {
    case 'Empty':
      return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    case 'PreparingRebalance':
      return Promise.resolve(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
    case 'Stable':
      core.removePendingSyncMember(group, p.memberId);
      core.rescheduleHeartbeat(group, member);
      return Promise.resolve({ errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment });
    default:
      break;
  }
  // CompletingRebalance: park until the leader's assignment is persisted.
  return new Promise<SyncGroupOutcome>((resolve) => {
    member.completeSync(syncError(ErrorCode.REBALANCE_IN_PROGRESS)); // a duplicate SyncGroup
    member.syncWaiter = resolve;
    core.removePendingSyncMember(group, p.memberId);
    if (group.isLeader(p.memberId)) applyLeaderAssignment(core, group, p);
  });
}

function applyLeaderAssignment(core: CoordinatorCore, group: ClassicGroup, p: SyncGroupParams): void {
  core.logger.info('assignment received from leader', { group: group.groupId, generation: group.generationId });
  // Members the leader left out get an empty assignment; entries for non-members are ignored.
  // Copies: the request's buffers are views into its network frame.
  const assignment = new Map<string, Buffer>();
  for (const a of p.assignments) if (group.has(a.memberId)) assignment.set(a.memberId, Buffer.from(a.assignment));
  const generation = group.generationId;
  void core.storeGroup(group, assignment).then((err) => {
    // Another member may have joined meanwhile: only the same generation, still completing, counts.
    if (!group.is('CompletingRebalance') || group.generationId !== generation) return;
    if (err !== ErrorCode.NONE) {
      core.resetAndPropagateAssignmentError(group, err);
      core.maybePrepareRebalanceOrCompleteJoin(group, `error ${err} when storing group assignment during SyncGroup (member: ${p.memberId})`);
    } else {
      core.setAndPropagateAssignment(group, assignment);
      group.transitionTo('Stable', core.now());
    }
  });
}

export function heartbeat(core: CoordinatorCore, p: HeartbeatParams): number {
  const unavailable = core.groupError(p.groupId);
  if (unavailable !== ErrorCode.NONE) return unavailable;
  if (p.groupId === '') return ErrorCode.INVALID_GROUP_ID;
  const group = core.groups.get(p.groupId);
  if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
  if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  const memberError = group.memberError(p.memberId, p.groupInstanceId);
  if (memberError !== null) return ErrorCode[memberError];
  if (p.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
  const member = group.members.get(p.memberId)!;
  switch (group.state) {
    case 'Empty':
      return ErrorCode.UNKNOWN_MEMBER_ID;
    case 'PreparingRebalance':
      core.rescheduleHeartbeat(group, member);
      return ErrorCode.REBALANCE_IN_PROGRESS;
    default:
      // CompletingRebalance included: clients may start heartbeating right after JoinGroup.
      core.rescheduleHeartbeat(group, member);
      return ErrorCode.NONE;
  }
}

/**
 * Removes each listed member: dynamic ones by member id, static ones by instance id (a
 * member id that is given must match, else FENCED_INSTANCE_ID). One rebalance for the batch.
 */
export function leaveGroup(core: CoordinatorCore, groupId: string, leaving: LeaveMember[]): LeaveGroupOutcome {
  const unavailable = core.groupError(groupId);
  if (unavailable !== ErrorCode.NONE) return { errorCode: unavailable, members: [] };
  if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, members: [] };
  const group = core.groups.get(groupId);
  const answer = (l: LeaveMember, errorCode: number) => ({ memberId: l.memberId, groupInstanceId: l.groupInstanceId, errorCode });
  if (!group) return { errorCode: ErrorCode.NONE, members: leaving.map((l) => answer(l, ErrorCode.UNKNOWN_MEMBER_ID)) };
  if (group.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
  const results = [];
  let removed = 0;
  for (const l of leaving) {
    if (l.groupInstanceId === null) {
      if (group.pendingJoinMembers.has(l.memberId)) {
        core.removePendingMember(group, l.memberId);
        results.push(answer(l, ErrorCode.NONE));
        continue;
      }
      const m = group.members.get(l.memberId);
      if (!m) {
        results.push(answer(l, ErrorCode.UNKNOWN_MEMBER_ID));
        continue;
      }
      removeLeaving(core, group, m.memberId);
      removed++;
      results.push(answer(l, ErrorCode.NONE));
    } else {
      const id = group.staticMemberId(l.groupInstanceId);
      if (id === undefined) results.push(answer(l, ErrorCode.UNKNOWN_MEMBER_ID));
      else if (l.memberId !== '' && l.memberId !== id) results.push(answer(l, ErrorCode.FENCED_INSTANCE_ID));
      else {
        removeLeaving(core, group, id);
        removed++;
        results.push(answer(l, ErrorCode.NONE));
      }
    }
  }
  if (removed > 0) {
    core.logger.info('members left the group', { group: groupId, count: removed });
    core.afterMembershipShrank(group, `removing ${removed} member(s) on LeaveGroup`);
  }
  return { errorCode: ErrorCode.NONE, members: results };
}

function removeLeaving(core: CoordinatorCore, group: ClassicGroup, memberId: string): void {
  const m = group.members.get(memberId)!;
  m.completeJoin(joinError('', ErrorCode.UNKNOWN_MEMBER_ID));
  m.completeSync(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
  group.remove(memberId);
  core.cancelHeartbeat(group, memberId);
}
