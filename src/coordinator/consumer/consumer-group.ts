// A KIP-848 consumer group's in-memory state, changed only by replaying its records (the same
// code path serves live operations, which emit records and replay them at once, and recovery,
// which replays __consumer_offsets). After Kafka's ConsumerGroup / ConsumerGroupMember.
//
// Group state is derived, never stored (Kafka's ConsumerGroup.maybeUpdateGroupState):
//
//   ┌───────┐ member joins ┌───────────┐ target assignment ┌─────────────┐ every member at the ┌────────┐
//   │ Empty │────────────▶ │ Assigning │──── computed ───▶ │ Reconciling │── assignment epoch ─▶│ Stable │
//   └───────┘  (epoch      └───────────┘  (assignment      └─────────────┘  and STABLE          └────────┘
//       ▲       bumped)          ▲          epoch = group           ▲                                │
//       │                        │          epoch)                  │                                │
//       │ last member leaves     └──────── group epoch bumped (join, leave, subscription or ─────────┘
//       └─────────────────────── metadata change) ────────────────────────────────────────────────┘
//
//   Empty        no members (offsets may remain).
//   Assigning    groupEpoch > assignmentEpoch: a new target assignment is due (computed on the
//                next heartbeat of any member).
//   Reconciling  some member is not yet at the assignment epoch, or must revoke partitions
//                (UNREVOKED_PARTITIONS) or waits for partitions others still own (UNRELEASED_PARTITIONS).
//   Stable       every member owns exactly its target assignment at the assignment epoch.
//   Dead         deleted (only reported for groups that no longer exist).
//
// Member states (Kafka's MemberState, see reconcile.ts for the transitions):
//   STABLE                 reconciled with the target at its member epoch.
//   UNREVOKED_PARTITIONS   must revoke partitionsPendingRevocation before moving to the next epoch.
//   UNRELEASED_PARTITIONS  at the target epoch, but some target partitions are still owned by others.
import type { CommittedOffset } from '../group/classic-group.js';
import { clone, EMPTY_ASSIGNMENT, type Assignment } from './assignment.js';
import { MemberState, type ConsumerGroupRecord, type CurrentAssignmentValue, type MemberStateValue, type MemberSubscriptionValue, type SubscribedTopic } from './consumer-records.js';

export const CONSUMER_GROUP_TYPE = 'consumer';
export const CONSUMER_PROTOCOL_TYPE = 'consumer';
export const LEAVE_GROUP_MEMBER_EPOCH = -1;
export const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2;

export type ConsumerGroupState = 'Empty' | 'Assigning' | 'Reconciling' | 'Stable';

export interface ConsumerMember extends MemberSubscriptionValue, CurrentAssignmentValue {
  memberId: string;
}

export function newMember(memberId: string): ConsumerMember {
  return {
    memberId,
    instanceId: null,
    rackId: null,
    clientId: '',
    clientHost: '',
    subscribedTopicNames: [],
    subscribedTopicRegex: null,
    rebalanceTimeoutMs: -1,
    serverAssignor: null,
    memberEpoch: 0,
    previousMemberEpoch: -1,
    state: MemberState.STABLE,
    assignedPartitions: new Map(),
    partitionsPendingRevocation: new Map(),
  };
}

export function cloneMember(m: ConsumerMember): ConsumerMember {
  return {
    ...m,
    subscribedTopicNames: [...m.subscribedTopicNames],
    assignedPartitions: clone(m.assignedPartitions),
    partitionsPendingRevocation: clone(m.partitionsPendingRevocation),
  };
}

export function subscriptionOf(m: ConsumerMember): MemberSubscriptionValue {
  return {
    instanceId: m.instanceId,
    rackId: m.rackId,
    clientId: m.clientId,
    clientHost: m.clientHost,
    subscribedTopicNames: m.subscribedTopicNames,
    subscribedTopicRegex: m.subscribedTopicRegex,
    rebalanceTimeoutMs: m.rebalanceTimeoutMs,
    serverAssignor: m.serverAssignor,
  };
}

export function currentAssignmentOf(m: CurrentAssignmentValue): CurrentAssignmentValue {
  return {
    memberEpoch: m.memberEpoch,
    previousMemberEpoch: m.previousMemberEpoch,
    state: m.state,
    assignedPartitions: m.assignedPartitions,
    partitionsPendingRevocation: m.partitionsPendingRevocation,
  };
}

export class ConsumerGroup {
  groupEpoch = 0;
  assignmentEpoch = 0;
  readonly members = new Map<string, ConsumerMember>();
  /** instance id → member id. */
  readonly staticMembers = new Map<string, string>();
  /** The subscribed topics that exist, by name, as last persisted (ConsumerGroupPartitionMetadata). */
  subscriptionMetadata = new Map<string, SubscribedTopic>();
  /** member id → target assignment. */
  readonly targetAssignment = new Map<string, Assignment>();
  /** topic id → partition → the member owning it (assigned or pending revocation) and its epoch. */
  private readonly partitionOwners = new Map<string, Map<number, { memberId: string; epoch: number }>>();
  /** topic → partition → committed offset (shared record format with classic groups). */
  readonly offsets = new Map<string, Map<number, CommittedOffset>>();
  /** "topic\0partition" → commits appended but not yet written (they must not expire). */
  readonly pendingOffsetCommits = new Map<string, number>();
  /** The last append for this group: responses wait for it so they never expose unwritten state. */
  lastWrite: Promise<number> | null = null;

  constructor(readonly groupId: string) {}

  get state(): ConsumerGroupState {
    if (this.members.size === 0) return 'Empty';
    if (this.groupEpoch > this.assignmentEpoch) return 'Assigning';
    for (const m of this.members.values()) {
      if (m.memberEpoch !== this.assignmentEpoch || m.state !== MemberState.STABLE) return 'Reconciling';
    }
    return 'Stable';
  }

  staticMember(instanceId: string): ConsumerMember | undefined {
    const id = this.staticMembers.get(instanceId);
    return id === undefined ? undefined : this.members.get(id);
  }

  /** -1 when nobody owns the partition, else the owner's member epoch. */
  currentPartitionEpoch(topicId: string, partition: number): number {
    return this.partitionOwners.get(topicId)?.get(partition)?.epoch ?? -1;
  }

  targetOf(memberId: string): Assignment {
    return this.targetAssignment.get(memberId) ?? EMPTY_ASSIGNMENT;
  }

  /** Subscribed topic names across members (regex matches are resolved by the caller). */
  subscribedNames(): Set<string> {
    const out = new Set<string>();
    for (const m of this.members.values()) for (const t of m.subscribedTopicNames) out.add(t);
    return out;
  }

  /** Kafka's isSubscribedToTopic: offsets of a subscribed topic are neither expired nor deletable. */
  isSubscribedToTopic(topic: string): boolean {
    return this.subscriptionMetadata.has(topic);
  }

  /** The assignor most members ask for, or null when none asks (Kafka's computePreferredServerAssignor). */
  preferredAssignor(): string | null {
    const counts = new Map<string, number>();
    for (const m of this.members.values()) if (m.serverAssignor !== null) counts.set(m.serverAssignor, (counts.get(m.serverAssignor) ?? 0) + 1);
    let best: string | null = null;
    let bestCount = 0;
    for (const [name, n] of counts) {
      if (n > bestCount || (n === bestCount && best !== null && name < best)) {
        best = name;
        bestCount = n;
      }
    }
    return best;
  }

  get hasOffsets(): boolean {
    return this.offsets.size > 0 || this.pendingOffsetCommits.size > 0;
  }

  putOffset(topic: string, partition: number, o: CommittedOffset): void {
    let t = this.offsets.get(topic);
    if (!t) this.offsets.set(topic, (t = new Map()));
    t.set(partition, o);
  }

  removeOffset(topic: string, partition: number): boolean {
    const t = this.offsets.get(topic);
    if (!t?.delete(partition)) return false;
    if (t.size === 0) this.offsets.delete(topic);
    return true;
  }

  // ---- replay ----------------------------------------------------------------------------------

  /**
   * Applies one record. Returns false when the record deletes the group (a ConsumerGroupMetadata
   * tombstone): the caller drops the group object.
   */
  replay(rec: ConsumerGroupRecord): boolean {
    switch (rec.type) {
      case 'metadata':
        if (rec.value === null) return false;
        this.groupEpoch = rec.value.epoch;
        return true;
      case 'partitionMetadata':
        this.subscriptionMetadata = new Map((rec.value?.topics ?? []).map((t) => [t.topicName, t]));
        return true;
      case 'member':
        if (rec.value === null) this.removeMember(rec.memberId);
        else this.updateSubscription(rec.memberId, rec.value);
        return true;
      case 'targetMetadata':
        this.assignmentEpoch = rec.value?.assignmentEpoch ?? 0;
        return true;
      case 'targetMember':
        if (rec.value === null) this.targetAssignment.delete(rec.memberId);
        else this.targetAssignment.set(rec.memberId, rec.value);
        return true;
      case 'currentAssignment':
        this.updateCurrentAssignment(
          rec.memberId,
          rec.value ?? {
            // Kafka's tombstone replay: the member keeps its subscription but owns nothing.
            memberEpoch: LEAVE_GROUP_MEMBER_EPOCH,
            previousMemberEpoch: -1,
            state: MemberState.STABLE,
            assignedPartitions: new Map(),
            partitionsPendingRevocation: new Map(),
          },
          rec.value === null,
        );
        return true;
    }
  }

  private getOrCreateMember(memberId: string): ConsumerMember {
    let m = this.members.get(memberId);
    if (!m) this.members.set(memberId, (m = newMember(memberId)));
    return m;
  }

  private updateSubscription(memberId: string, v: MemberSubscriptionValue): void {
    const m = this.getOrCreateMember(memberId);
    if (m.instanceId !== null && m.instanceId !== v.instanceId && this.staticMembers.get(m.instanceId) === memberId) this.staticMembers.delete(m.instanceId);
    Object.assign(m, { ...v, subscribedTopicNames: [...v.subscribedTopicNames] });
    if (v.instanceId !== null) this.staticMembers.set(v.instanceId, memberId);
  }

  private updateCurrentAssignment(memberId: string, v: CurrentAssignmentValue, tombstone: boolean): void {
    const m = tombstone ? this.members.get(memberId) : this.getOrCreateMember(memberId);
    if (!m) return;
    this.setPartitionEpochs(m, null);
    m.memberEpoch = v.memberEpoch;
    m.previousMemberEpoch = v.previousMemberEpoch;
    m.state = v.state as MemberStateValue;
    m.assignedPartitions = clone(v.assignedPartitions);
    m.partitionsPendingRevocation = clone(v.partitionsPendingRevocation);
    this.setPartitionEpochs(m, m.memberEpoch);
  }

  private removeMember(memberId: string): void {
    const m = this.members.get(memberId);
    if (!m) return;
    this.setPartitionEpochs(m, null);
    this.members.delete(memberId);
    if (m.instanceId !== null && this.staticMembers.get(m.instanceId) === memberId) this.staticMembers.delete(m.instanceId);
  }

  /** Records (epoch) or releases (null) ownership of the member's assigned and pending-revocation partitions. */
  private setPartitionEpochs(m: ConsumerMember, epoch: number | null): void {
    for (const a of [m.assignedPartitions, m.partitionsPendingRevocation]) {
      for (const [topicId, parts] of a) {
        let t = this.partitionOwners.get(topicId);
        if (!t) {
          if (epoch === null) continue;
          this.partitionOwners.set(topicId, (t = new Map()));
        }
        for (const p of parts) {
          // A release only drops the member's own claim (never another owner's, whatever the order of records).
          if (epoch !== null) t.set(p, { memberId: m.memberId, epoch });
          else if (t.get(p)?.memberId === m.memberId) t.delete(p);
        }
        if (t.size === 0) this.partitionOwners.delete(topicId);
      }
    }
  }
}
