// Share group membership (KIP-932): ShareGroupHeartbeat, ShareGroupDescribe and the share side of
// ListGroups / DescribeGroups / DeleteGroups. Share groups have no reconciliation: a partition may
// be assigned to many members at once, so every member gets its target assignment at once and
// its epoch jumps to the group epoch (Kafka's GroupMetadataManager.shareGroupHeartbeat).
//
// Membership is written to __consumer_offsets in Kafka's share-group records (share-group-log.ts)
// whenever an epoch, a member or an assignment changes, and rebuilt from them on load: after a
// restart members go on heartbeating with the epochs they had. The share-partition state is
// persisted by share-state-store.ts.
import { ErrorCode } from '../../../protocol/errors.js';
import type { ShareGroupDescribeResponseDescribedGroup } from '../../../protocol/generated/share-group-describe.js';
import type { ShareGroupHeartbeatResponseAssignment } from '../../../protocol/generated/share-group-heartbeat.js';
import type { TopicInfo } from '../consumer/consumer-core.js';
import { simpleAssign } from './share-assignor.js';
import type { ShareGroupConfig } from './share-config.js';
import { topicsHash, type RestoredGroup, type ShareGroupLog } from './share-group-log.js';
import { ShareStatePartitions } from './share-state-partitions.js';

export const SHARE_GROUP_TYPE = 'share';

export interface ShareTopicsView {
  get(name: string): TopicInfo | undefined;
  getById(id: string): TopicInfo | undefined;
}

interface ShareMember {
  memberId: string;
  memberEpoch: number;
  previousMemberEpoch: number;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  assignment: Map<string, number[]>;
  timer: NodeJS.Timeout | null;
}

export interface ShareGroup {
  groupId: string;
  groupEpoch: number;
  assignmentEpoch: number;
  members: Map<string, ShareMember>;
  /** Subscribed topics' partition counts at the last assignment: a change (new partitions) reassigns. */
  topicsKey: string;
  /** The partitions with share state (ShareGroupStatePartitionMetadata). */
  states: ShareStatePartitions;
}

export interface ShareHeartbeatParams {
  groupId: string;
  memberId: string;
  memberEpoch: number;
  rackId: string | null;
  subscribedTopicNames: string[] | null;
  clientId: string;
  clientHost: string;
}

export interface ShareHeartbeatOutcome {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: ShareGroupHeartbeatResponseAssignment | null;
}

export interface ShareGroupDeps {
  /** The settings of a group (broker group.share.* with its share.* group configs over them). */
  config: (groupId: string) => ShareGroupConfig;
  topics: ShareTopicsView;
  /** Whether a classic or KIP-848 consumer group of this id exists (the id namespace is shared). */
  otherGroupExists: (groupId: string) => boolean;
  /** A member left or was fenced: its acquired records go back (share-partition-manager). */
  onMemberRemoved: (groupId: string, memberId: string) => void;
  /**
   * Whether this broker is the group's coordinator (the leader of its __consumer_offsets
   * partition, loaded): ErrorCode.NONE, else NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS.
   */
  coordinatorError?: (groupId: string) => number;
  /** Where membership is persisted (null: memory only, unit tests). */
  log?: ShareGroupLog | null;
  warn?: (msg: string, fields: Record<string, unknown>) => void;
}

export class ShareGroupCoordinator {
  readonly groups = new Map<string, ShareGroup>();

  constructor(private readonly deps: ShareGroupDeps) {}

  owns(groupId: string): boolean {
    return this.groups.has(groupId);
  }

  async heartbeat(p: ShareHeartbeatParams): Promise<ShareHeartbeatOutcome> {
    const cfg = this.deps.config(p.groupId);
    const fail = (errorCode: number, errorMessage: string): ShareHeartbeatOutcome => ({ errorCode, errorMessage, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null });
    if (p.groupId === '') return fail(ErrorCode.INVALID_REQUEST, 'GroupId can not be empty.');
    const notHere = this.deps.coordinatorError?.(p.groupId) ?? ErrorCode.NONE;
    if (notHere !== ErrorCode.NONE) return fail(notHere, 'This broker is not the coordinator of the group.');
    // v1 clients generate their member id (KIP-1082); Kafka rejects an empty one.
    if (p.memberId === '') return fail(ErrorCode.INVALID_REQUEST, 'MemberId can not be empty.');
    if (p.memberEpoch === 0 && (!p.subscribedTopicNames || p.subscribedTopicNames.length === 0)) {
      return fail(ErrorCode.INVALID_REQUEST, 'SubscribedTopicNames must be set in first request.');
    }
    if (p.memberEpoch < -1) return fail(ErrorCode.INVALID_REQUEST, 'MemberEpoch is invalid.');
    let group = this.groups.get(p.groupId);
    if (!group && this.deps.otherGroupExists(p.groupId)) return fail(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${p.groupId} is not a share group.`);
    if (p.memberEpoch === -1) {
      const m = group?.members.get(p.memberId);
      if (!group || !m) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${p.memberId} is not a member of group ${p.groupId}.`);
      this.removeMember(group, m);
      const code = await this.persist(group);
      if (code !== ErrorCode.NONE) return fail(code, 'The member left, but writing the group failed.');
      return { errorCode: ErrorCode.NONE, errorMessage: null, memberId: p.memberId, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null };
    }
    let member = group?.members.get(p.memberId);
    const before = member ? `${group!.groupEpoch}:${group!.assignmentEpoch}:${member.memberEpoch}:${member.rackId}` : null;
    if (p.memberEpoch === 0) {
      if (!group) this.groups.set(p.groupId, (group = { groupId: p.groupId, groupEpoch: 0, assignmentEpoch: 0, members: new Map(), topicsKey: '', states: new ShareStatePartitions() }));
      if (!member && group.members.size >= cfg.maxSize) return fail(ErrorCode.GROUP_MAX_SIZE_REACHED, `The share group has reached its maximum capacity of ${cfg.maxSize} members.`);
      if (!member) {
        member = { memberId: p.memberId, memberEpoch: 0, previousMemberEpoch: 0, rackId: p.rackId, clientId: p.clientId, clientHost: p.clientHost, subscribedTopicNames: [], assignment: new Map(), timer: null };
        group.members.set(p.memberId, member);
        group.groupEpoch++;
      }
    } else {
      if (!group || !member) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${p.memberId} is not a member of group ${p.groupId}.`);
      if (p.memberEpoch !== member.memberEpoch) return fail(ErrorCode.FENCED_MEMBER_EPOCH, `The share group member has a smaller member epoch (${p.memberEpoch}) than the one known by the group coordinator (${member.memberEpoch}).`);
    }
    if (p.rackId !== null) member.rackId = p.rackId;
    if (p.subscribedTopicNames && !sameSet(p.subscribedTopicNames, member.subscribedTopicNames)) {
      member.subscribedTopicNames = [...p.subscribedTopicNames];
      group.groupEpoch++;
    }
    this.touch(group, member);
    this.maybeReassign(group);
    // The assignment goes out on join, when it changed, and whenever the client sent its subscription.
    const sendAssignment = p.memberEpoch === 0 || group.assignmentEpoch !== p.memberEpoch || p.subscribedTopicNames !== null;
    if (member.memberEpoch !== group.assignmentEpoch) {
      member.previousMemberEpoch = member.memberEpoch;
      member.memberEpoch = group.assignmentEpoch;
    }
    // Written (and answered) only when something persisted changed: a plain heartbeat writes nothing.
    if (before !== `${group.groupEpoch}:${group.assignmentEpoch}:${member.memberEpoch}:${member.rackId}`) {
      const code = await this.persist(group);
      if (code !== ErrorCode.NONE) return fail(code, 'Writing the share group failed.');
    }
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId: member.memberId,
      memberEpoch: member.memberEpoch,
      heartbeatIntervalMs: cfg.heartbeatIntervalMs,
      assignment: sendAssignment ? toAssignment(member.assignment) : null,
    };
  }

  describe(groupId: string): Omit<ShareGroupDescribeResponseDescribedGroup, 'authorizedOperations'> {
    const notHere = this.deps.coordinatorError?.(groupId) ?? ErrorCode.NONE;
    if (notHere !== ErrorCode.NONE) return { errorCode: notHere, errorMessage: null, groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [] };
    const g = this.groups.get(groupId);
    if (!g) {
      const other = this.deps.otherGroupExists(groupId);
      return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: other ? `Group ${groupId} is not a share group.` : `Group ${groupId} not found.`, groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [] };
    }
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      groupId,
      groupState: stateOf(g),
      groupEpoch: g.groupEpoch,
      assignmentEpoch: g.assignmentEpoch,
      assignorName: 'simple',
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        rackId: m.rackId,
        memberEpoch: m.memberEpoch,
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscribedTopicNames: [...m.subscribedTopicNames],
        assignment: { topicPartitions: [...m.assignment].map(([topicId, partitions]) => ({ topicId, topicName: this.deps.topics.getById(topicId)?.name ?? '', partitions: [...partitions] })) },
      })),
    };
  }

  /** ListGroups rows: Kafka lists share groups with protocol type "share" and states Empty/Stable. */
  list(): { groupId: string; protocolType: string; groupState: string; groupType: string }[] {
    return [...this.groups.values()].map((g) => ({ groupId: g.groupId, protocolType: SHARE_GROUP_TYPE, groupState: stateOf(g), groupType: SHARE_GROUP_TYPE }));
  }

  /** DeleteGroups of a share group: NON_EMPTY_GROUP while it has members; its records are tombstoned. */
  async delete(groupId: string): Promise<number> {
    const g = this.groups.get(groupId);
    if (!g) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (g.members.size > 0) return ErrorCode.NON_EMPTY_GROUP;
    this.groups.delete(groupId);
    return (await this.deps.log?.sync(groupId, null)) ?? ErrorCode.NONE;
  }

  /** Groups rebuilt from their __consumer_offsets records (load): members get a fresh session. */
  restore(groups: RestoredGroup[]): void {
    for (const r of groups) {
      const group: ShareGroup = { groupId: r.groupId, groupEpoch: r.groupEpoch, assignmentEpoch: r.assignmentEpoch, members: new Map(), topicsKey: '', states: ShareStatePartitions.from(r.statePartitions) };
      for (const m of r.members) {
        group.members.set(m.memberId, { memberId: m.memberId, memberEpoch: m.memberEpoch, previousMemberEpoch: m.previousMemberEpoch, rackId: m.rackId, clientId: m.clientId, clientHost: m.clientHost, subscribedTopicNames: m.subscribedTopicNames, assignment: new Map(m.assignment), timer: null });
      }
      // Same topics as at the last assignment: no new one. Otherwise (partitions added while the
      // broker was down) the next heartbeat reassigns.
      const key = this.topicsKey(group);
      if (topicsHash(key) === r.metadataHash) group.topicsKey = key;
      this.groups.set(r.groupId, group);
      for (const m of group.members.values()) this.touch(group, m);
    }
  }

  /** Failover: the groups whose __consumer_offsets partition left this broker leave memory (their members stay members on the new coordinator). */
  dropGroups(which: (groupId: string) => boolean): string[] {
    const gone: string[] = [];
    for (const g of [...this.groups.values()]) {
      if (!which(g.groupId)) continue;
      for (const m of g.members.values()) if (m.timer) clearTimeout(m.timer);
      this.groups.delete(g.groupId);
      gone.push(g.groupId);
    }
    return gone;
  }

  /** AlterShareGroupOffsets: an unknown id becomes an empty share group (as in Kafka); NON_EMPTY_GROUP with members. */
  ensureEmptyOrNew(groupId: string): number {
    const g = this.groups.get(groupId);
    if (!g) {
      if (this.deps.otherGroupExists(groupId)) return ErrorCode.GROUP_ID_NOT_FOUND;
      this.groups.set(groupId, { groupId, groupEpoch: 0, assignmentEpoch: 0, members: new Map(), topicsKey: '', states: new ShareStatePartitions() });
      return ErrorCode.NONE;
    }
    return g.members.size === 0 ? ErrorCode.NONE : ErrorCode.NON_EMPTY_GROUP;
  }

  isMember(groupId: string, memberId: string): boolean {
    return this.groups.get(groupId)?.members.has(memberId) ?? false;
  }

  isEmpty(groupId: string): boolean {
    return (this.groups.get(groupId)?.members.size ?? 0) === 0;
  }

  shutdown(): void {
    for (const g of this.groups.values()) for (const m of g.members.values()) if (m.timer) clearTimeout(m.timer);
  }

  private touch(group: ShareGroup, member: ShareMember): void {
    if (member.timer) clearTimeout(member.timer);
    member.timer = setTimeout(() => {
      if (group.members.get(member.memberId) !== member) return;
      this.removeMember(group, member);
      void this.persist(group).then((code) => {
        if (code !== ErrorCode.NONE) this.deps.warn?.('writing a share group after a session timeout failed', { group: group.groupId, errorCode: code });
      });
    }, this.deps.config(group.groupId).sessionTimeoutMs);
    member.timer.unref?.();
  }

  /** The group's partitions with share state (ShareGroupStatePartitionMetadata), if the group exists here. */
  statesOf(groupId: string): ShareStatePartitions | undefined {
    return this.groups.get(groupId)?.states;
  }

  /** Changes the group's ShareGroupStatePartitionMetadata (`change` says whether it did) and writes it. */
  async updateStates(groupId: string, change: (s: ShareStatePartitions) => boolean): Promise<number> {
    const g = this.groups.get(groupId);
    if (!g || !change(g.states)) return ErrorCode.NONE;
    return this.persist(g);
  }

  /**
   * Writes the group's changed records (share-group-log.ts); a Kafka error code. Every assigned
   * partition is recorded as initialized first: the share coordinators create a partition's state
   * at its first read by the data leader, at share.auto.offset.reset (what Kafka's
   * InitializeShareGroupState with an unset start offset sets up).
   */
  private persist(group: ShareGroup): Promise<number> {
    const log = this.deps.log;
    if (!log) return Promise.resolve(ErrorCode.NONE);
    for (const m of group.members.values()) {
      for (const [topicId, partitions] of m.assignment) group.states.markInitialized(topicId, this.deps.topics.getById(topicId)?.name ?? '', partitions);
    }
    return log.sync(group.groupId, {
      groupId: group.groupId,
      groupEpoch: group.groupEpoch,
      assignmentEpoch: group.assignmentEpoch,
      metadataHash: topicsHash(group.topicsKey),
      statePartitions: group.states.toValue(),
      members: group.members.values(),
    });
  }

  private topicsKey(group: ShareGroup): string {
    const subscribed = new Set<string>();
    for (const m of group.members.values()) for (const t of m.subscribedTopicNames) subscribed.add(t);
    return [...subscribed].sort().map((t) => `${t}:${this.deps.topics.get(t)?.partitions ?? 0}`).join(',');
  }

  private removeMember(group: ShareGroup, member: ShareMember): void {
    if (member.timer) clearTimeout(member.timer);
    group.members.delete(member.memberId);
    group.groupEpoch++;
    this.maybeReassign(group);
    this.deps.onMemberRemoved(group.groupId, member.memberId);
  }

  /** Recomputes the target assignment when the group epoch moved or a subscribed topic grew. */
  private maybeReassign(group: ShareGroup): void {
    const topicsKey = this.topicsKey(group);
    if (topicsKey !== group.topicsKey && group.assignmentEpoch === group.groupEpoch) group.groupEpoch++;
    group.topicsKey = topicsKey;
    if (group.assignmentEpoch === group.groupEpoch) return;
    const assignment = simpleAssign(
      [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        topics: m.subscribedTopicNames.flatMap((name) => {
          const t = this.deps.topics.get(name);
          return t ? [{ id: t.id, partitions: t.partitions }] : [];
        }),
      })),
    );
    for (const m of group.members.values()) m.assignment = assignment.get(m.memberId) ?? new Map();
    group.assignmentEpoch = group.groupEpoch;
  }
}

function stateOf(g: ShareGroup): string {
  return g.members.size === 0 ? 'Empty' : 'Stable';
}

function sameSet(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(b);
  return a.every((x) => s.has(x));
}

function toAssignment(a: Map<string, number[]>): ShareGroupHeartbeatResponseAssignment {
  return { topicPartitions: [...a.entries()].map(([topicId, partitions]) => ({ topicId, partitions: [...partitions] })) };
}
