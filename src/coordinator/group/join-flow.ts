// JoinGroup, after Kafka's classic group coordinator (GroupMetadataManager.classicGroupJoin*).
//
//   memberId == ""  ──┬─ static (group.instance.id set)
//                     │    ├─ instance known   → replace the old member id (old requests fenced);
//                     │    │                     Stable and protocol unchanged → no rebalance,
//                     │    │                     the member keeps its assignment
//                     │    └─ instance unknown → add member, rebalance
//                     ├─ dynamic, v4+        → MEMBER_ID_REQUIRED with a new id (pending member)
//                     └─ dynamic, v0-3       → add member, rebalance
//   memberId != ""  ──┬─ pending member      → add member, rebalance
//                     ├─ unknown / fenced    → UNKNOWN_MEMBER_ID / FENCED_INSTANCE_ID
//                     └─ known: PreparingRebalance → park; CompletingRebalance with unchanged
//                        metadata → current generation again; Stable follower with unchanged
//                        metadata → current generation; otherwise (leader, changed) rebalance
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../../../protocol/errors.js';
import { ClassicGroup } from './classic-group.js';
import type { CoordinatorCore } from './coordinator-core.js';
import { GroupMember, joinError, syncError, type GroupProtocol, type JoinGroupOutcome } from './group-member.js';

export interface JoinGroupParams {
  groupId: string;
  /** "" for a member joining for the first time. */
  memberId: string;
  groupInstanceId: string | null;
  /** JoinGroup v4+: dynamic members without an id get MEMBER_ID_REQUIRED first. */
  requireKnownMemberId: boolean;
  /** JoinGroup v9+: a static leader rejoining a Stable group is told to skip the assignment. */
  supportsSkipAssignment: boolean;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocolType: string;
  protocols: GroupProtocol[];
  reason?: string | null;
}

type Resolve = (r: JoinGroupOutcome) => void;

/**
 * Request fields are views into the network frame; members keep their metadata for the life of
 * the group, so they get their own copies (and do not pin the frame).
 */
function ownProtocols(protocols: GroupProtocol[]): GroupProtocol[] {
  return protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) }));
}

export function joinGroup(core: CoordinatorCore, p: JoinGroupParams): Promise<JoinGroupOutcome> {
  const unavailable = core.groupError(p.groupId);
  if (unavailable !== ErrorCode.NONE) return Promise.resolve(joinError(p.memberId, unavailable));
  if (p.groupId === '') return Promise.resolve(joinError(p.memberId, ErrorCode.INVALID_GROUP_ID));
  const cfg = core.config;
  if (p.sessionTimeoutMs < cfg.minSessionTimeoutMs || p.sessionTimeoutMs > cfg.maxSessionTimeoutMs) {
    return Promise.resolve(joinError(p.memberId, ErrorCode.INVALID_SESSION_TIMEOUT));
  }
  const isUnknown = p.memberId === '';
  let group = core.groups.get(p.groupId);
  let created = false;
  if (!group) {
    if (!isUnknown) return Promise.resolve(joinError(p.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    group = new ClassicGroup(p.groupId, core.now());
    core.groups.set(p.groupId, group);
    created = true;
  }
  const g = group;
  if (g.is('Dead')) return Promise.resolve(joinError(p.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));

  return new Promise<JoinGroupOutcome>((resolve) => {
    if (!acceptJoiningMember(core, g, p.memberId)) {
      const removed = g.remove(p.memberId);
      if (removed) core.cancelHeartbeat(g, removed.memberId);
      resolve(joinError('', ErrorCode.GROUP_MAX_SIZE_REACHED));
    } else if (isUnknown) {
      joinNewMember(core, g, p, resolve);
    } else {
      joinExistingMember(core, g, p, resolve);
    }
    if (g.is('PreparingRebalance')) core.maybeCompleteJoinPhase(g);
    // A group created only to answer an error must not linger.
    if (created && g.is('Empty') && g.size === 0 && g.pendingJoinMembers.size === 0 && !g.hasOffsets) core.groups.delete(g.groupId);
  });
}

/**
 * Kafka's acceptJoiningMember (group.max.size): while preparing a rebalance, members already
 * parked are kept and others admitted up to the limit counted in parked members (so a lowered
 * limit sheds the last rejoiners); otherwise known members stay and new ones fill up to the limit.
 */
function acceptJoiningMember(core: CoordinatorCore, group: ClassicGroup, memberId: string): boolean {
  const max = core.config.maxSize;
  switch (group.state) {
    case 'Empty':
    case 'Dead':
      return true;
    case 'PreparingRebalance':
      return group.members.get(memberId)?.isAwaitingJoin === true || group.numAwaitingJoin < max;
    default:
      return group.has(memberId) || group.size < max;
  }
}

function joinNewMember(core: CoordinatorCore, group: ClassicGroup, p: JoinGroupParams, resolve: Resolve): void {
  if (!group.supportsProtocols(p.protocolType, p.protocols.map((x) => x.name))) {
    resolve(joinError('', ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    return;
  }
  const newMemberId = `${p.groupInstanceId ?? p.clientId}-${randomUUID()}`;
  if (p.groupInstanceId !== null) {
    const oldMemberId = group.staticMemberId(p.groupInstanceId);
    if (oldMemberId !== undefined) rejoinStaticMember(core, group, p, oldMemberId, newMemberId, resolve);
    else addMemberAndRebalance(core, group, p, newMemberId, resolve);
  } else if (p.requireKnownMemberId) {
    // KIP-394: the client must come back with this id; until it does (or its session timeout
    // passes) the group waits for it like for any member.
    group.pendingJoinMembers.add(newMemberId);
    core.schedulePendingMemberExpiry(group, newMemberId, p.sessionTimeoutMs);
    resolve(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
  } else {
    addMemberAndRebalance(core, group, p, newMemberId, resolve);
  }
}

function joinExistingMember(core: CoordinatorCore, group: ClassicGroup, p: JoinGroupParams, resolve: Resolve): void {
  if (!group.supportsProtocols(p.protocolType, p.protocols.map((x) => x.name))) {
    resolve(joinError(p.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    return;
  }
  if (group.pendingJoinMembers.has(p.memberId)) {
    // Pending members are always dynamic; one that now claims an instance id is someone else.
    if (p.groupInstanceId !== null) resolve(joinError(p.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    else addMemberAndRebalance(core, group, p, p.memberId, resolve);
    return;
  }
  const memberError = group.memberError(p.memberId, p.groupInstanceId);
  if (memberError !== null) {
    resolve(joinError(p.memberId, ErrorCode[memberError]));
    return;
  }
  const member = group.members.get(p.memberId)!;
  const current = (members: boolean): JoinGroupOutcome => ({
    errorCode: ErrorCode.NONE,
    generationId: group.generationId,
    protocolType: group.protocolType,
    protocolName: group.protocolName,
    leader: group.leaderId ?? '',
    skipAssignment: false,
    memberId: p.memberId,
    members: members ? group.currentMemberMetadata() : [],
  });
  switch (group.state) {
    case 'PreparingRebalance':
      updateMemberAndRebalance(core, group, member, p, resolve);
      break;
    case 'CompletingRebalance':
      // Same metadata: the member probably lost the JoinGroup response; answer it again.
      if (member.matches(p.protocols)) resolve(current(group.isLeader(p.memberId)));
      else updateMemberAndRebalance(core, group, member, p, resolve);
      break;
    case 'Stable':
      // The leader's JoinGroup forces a rebalance: that is how a consumer leader reacts to
      // metadata changes (new partitions) that do not change any member's subscription.
      if (group.isLeader(p.memberId) || !member.matches(p.protocols)) updateMemberAndRebalance(core, group, member, p, resolve);
      else resolve(current(false));
      break;
    default:
      // Empty with a "known" member cannot happen; let the client reset and rejoin.
      resolve(joinError(p.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
  }
}

function addMemberAndRebalance(core: CoordinatorCore, group: ClassicGroup, p: JoinGroupParams, memberId: string, resolve: Resolve): void {
  const member = new GroupMember(memberId, p.groupInstanceId, p.clientId, p.clientHost, p.rebalanceTimeoutMs, p.sessionTimeoutMs, p.protocolType, ownProtocols(p.protocols));
  member.isNew = true;
  // During the first rebalance of a new group, each arrival extends the initial delay.
  if (group.is('PreparingRebalance') && group.generationId === 0) group.newMemberAdded = true;
  group.add(member);
  member.joinWaiter = resolve;
  group.pendingJoinMembers.delete(memberId);
  // A new member cannot heartbeat before its JoinGroup response; bound how long it may wait.
  core.rescheduleHeartbeat(group, member, core.config.newMemberJoinTimeoutMs);
  core.maybePrepareRebalanceOrCompleteJoin(group, `adding new member ${memberId} with group instance id ${p.groupInstanceId}; client reason: ${p.reason ?? 'not provided'}`);
}

function updateMember(member: GroupMember, p: JoinGroupParams, resolve: Resolve | null): void {
  member.protocols = ownProtocols(p.protocols);
  member.rebalanceTimeoutMs = p.rebalanceTimeoutMs;
  member.sessionTimeoutMs = p.sessionTimeoutMs;
  member.clientId = p.clientId;
  member.clientHost = p.clientHost;
  // A second JoinGroup replaces the first; the first must still be answered (responses on a
  // connection go out in request order).
  if (resolve) member.completeJoin(joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
  member.joinWaiter = resolve;
}

function updateMemberAndRebalance(core: CoordinatorCore, group: ClassicGroup, member: GroupMember, p: JoinGroupParams, resolve: Resolve): void {
  updateMember(member, p, resolve);
  core.maybePrepareRebalanceOrCompleteJoin(group, `updating metadata for member ${member.memberId}; client reason: ${p.reason ?? 'not provided'}`);
}

/**
 * A static member rejoined without its member id (e.g. after a restart): it takes over its old
 * entry under a new id; requests still parked under the old id are fenced. In a Stable group
 * whose selected protocol would not change, there is no rebalance: the group is persisted with
 * the new id and the member gets the current generation, then its old assignment from SyncGroup.
 */
function rejoinStaticMember(core: CoordinatorCore, group: ClassicGroup, p: JoinGroupParams, oldMemberId: string, newMemberId: string, resolve: Resolve): void {
  const instanceId = p.groupInstanceId!;
  const currentLeader = group.leaderId ?? '';
  const old = group.members.get(oldMemberId)!;
  old.completeJoin(joinError(oldMemberId, ErrorCode.FENCED_INSTANCE_ID));
  old.completeSync(syncError(ErrorCode.FENCED_INSTANCE_ID));
  core.cancelHeartbeat(group, oldMemberId);
  const saved = { protocols: old.protocols, rebalanceTimeoutMs: old.rebalanceTimeoutMs, sessionTimeoutMs: old.sessionTimeoutMs, clientId: old.clientId, clientHost: old.clientHost };
  const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId);
  core.rescheduleHeartbeat(group, member);
  updateMember(member, p, resolve);

  switch (group.state) {
    case 'Stable': {
      if (group.protocolName !== group.selectProtocol()) {
        core.maybePrepareRebalanceOrCompleteJoin(group, `static member ${newMemberId} with instance id ${instanceId} joined with a change of protocol`);
        return;
      }
      // Answered once the group (with the new member id) is persisted.
      member.joinWaiter = null;
      const generation = group.generationId;
      void core.storeGroup(group).then((err) => {
        if (err !== ErrorCode.NONE) {
          core.logger.warn('failed to persist static member rejoin; reverting to the old member id', { group: group.groupId, instance: instanceId, error: err });
          if (group.members.get(newMemberId) === member) {
            Object.assign(member, saved);
            group.replaceStaticMember(instanceId, newMemberId, oldMemberId);
            core.cancelHeartbeat(group, newMemberId);
            core.rescheduleHeartbeat(group, member);
          }
          resolve({ ...joinError('', err), generationId: generation, protocolType: group.protocolType, protocolName: group.protocolName, leader: currentLeader });
          return;
        }
        const isLeader = group.isLeader(newMemberId);
        const skip = p.supportsSkipAssignment && isLeader;
        resolve({
          errorCode: ErrorCode.NONE,
          generationId: generation,
          protocolType: group.protocolType,
          protocolName: group.protocolName,
          // Older clients get the old leader id so a rejoining static leader does not run a
          // pointless assignment the Stable group would not broadcast; v9+ clients are told
          // explicitly to skip it.
          leader: skip ? newMemberId : currentLeader,
          skipAssignment: skip,
          memberId: newMemberId,
          members: skip ? group.currentMemberMetadata() : [],
        });
      });
      return;
    }
    case 'CompletingRebalance':
      // The leader may already be assigning with the old id: rebalance so ids match.
      core.prepareRebalance(group, `updating metadata for static member ${newMemberId} with instance id ${instanceId}`);
      return;
    default:
      // PreparingRebalance: parked like everyone else.
      return;
  }
}
