// A classic group's in-memory state: members (dynamic and static), the members that still owe a
// JoinGroup (pending) or SyncGroup, protocol selection, the leader, and committed offsets.
// The coordinator (rebalance.ts, join-flow.ts, member-ops.ts) drives it; nothing here schedules
// timers or writes to the log.
import { Reader } from '../../../protocol/wire/reader.js';
import { decodeConsumerProtocolSubscription } from '../../../protocol/generated/consumer-protocol-subscription.js';
import type { CommittedOffset } from '../common/committed-offset.js';
import { GroupMember, type JoinGroupMemberInfo } from './group-member.js';
import { canTransition, IllegalGroupStateError, type GroupState } from './group-states.js';

export const CONSUMER_PROTOCOL_TYPE = 'consumer';

export type { CommittedOffset } from '../common/committed-offset.js';

export class ClassicGroup {
  state: GroupState = 'Empty';
  previousState: GroupState = 'Empty';
  /** When the group entered its current state (persisted; offsets of Empty groups expire from it). */
  currentStateTimestamp: number | null;
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, GroupMember>();
  /** group.instance.id → member id. */
  readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED that have not joined yet. */
  readonly pendingJoinMembers = new Set<string>();
  /** Members that got the new generation's JoinGroup response but have not sent SyncGroup. */
  readonly pendingSyncMembers = new Set<string>();
  /** Set when a member joins during the initial rebalance: extends the initial delay. */
  newMemberAdded = false;
  /** Topics the members subscribe to (consumer protocol), null when unknown. */
  subscribedTopics: Set<string> | null = null;
  /** topic → partition → committed offset. */
  readonly offsets = new Map<string, Map<number, CommittedOffset>>();
  /** "topic\0partition" → commits appended but not yet written (they must not expire). */
  readonly pendingOffsetCommits = new Map<string, number>();

  constructor(
    readonly groupId: string,
    now: number,
  ) {
    this.currentStateTimestamp = now;
  }

  is(state: GroupState): boolean {
    return this.state === state;
  }

  transitionTo(to: GroupState, now: number): void {
    if (!canTransition(this.state, to)) throw new IllegalGroupStateError(this.groupId, this.state, to);
    this.previousState = this.state;
    this.state = to;
    this.currentStateTimestamp = now;
  }

  /** Kafka's canRebalance: PreparingRebalance may be entered from here. */
  get canRebalance(): boolean {
    return canTransition(this.state, 'PreparingRebalance');
  }

  get size(): number {
    return this.members.size;
  }

  has(memberId: string): boolean {
    return this.members.has(memberId);
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  staticMemberId(groupInstanceId: string | null): string | undefined {
    return groupInstanceId === null ? undefined : this.staticMembers.get(groupInstanceId);
  }

  add(member: GroupMember): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    this.members.set(member.memberId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    this.leaderId ??= member.memberId;
  }

  remove(memberId: string): GroupMember | undefined {
    const m = this.members.get(memberId);
    if (m) {
      this.members.delete(memberId);
      if (m.groupInstanceId !== null && this.staticMembers.get(m.groupInstanceId) === memberId) {
        this.staticMembers.delete(m.groupInstanceId);
      }
    }
    if (this.isLeader(memberId)) this.leaderId = this.members.keys().next().value ?? null;
    this.pendingJoinMembers.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
    return m;
  }

  /**
   * A static member came back with a new member id: the same member object (assignment,
   * timeouts, protocols) continues under the new id. Returns the member.
   */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): GroupMember {
    const m = this.members.get(oldMemberId);
    if (!m) throw new Error(`static member ${groupInstanceId} has no member ${oldMemberId}`);
    this.members.delete(oldMemberId);
    m.memberId = newMemberId;
    this.members.set(newMemberId, m);
    this.staticMembers.set(groupInstanceId, newMemberId);
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId;
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    return m;
  }

  /** Kafka's validateMember: null when `memberId`/`groupInstanceId` identify a current member. */
  memberError(memberId: string, groupInstanceId: string | null): 'UNKNOWN_MEMBER_ID' | 'FENCED_INSTANCE_ID' | null {
    if (groupInstanceId !== null) {
      const existing = this.staticMembers.get(groupInstanceId);
      if (existing === undefined) return 'UNKNOWN_MEMBER_ID';
      if (existing !== memberId) return 'FENCED_INSTANCE_ID';
    }
    return this.members.has(memberId) ? null : 'UNKNOWN_MEMBER_ID';
  }

  get numAwaitingJoin(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.isAwaitingJoin) n++;
    return n;
  }

  /** Every known member has a parked JoinGroup and no MEMBER_ID_REQUIRED member is outstanding. */
  hasAllMembersJoined(): boolean {
    return this.numAwaitingJoin === this.members.size && this.pendingJoinMembers.size === 0;
  }

  notYetRejoinedMembers(): GroupMember[] {
    return [...this.members.values()].filter((m) => !m.isAwaitingJoin);
  }

  /** The largest rebalance timeout of the members: how long a rebalance may wait for them. */
  get rebalanceTimeoutMs(): number {
    let t = 0;
    for (const m of this.members.values()) t = Math.max(t, m.rebalanceTimeoutMs);
    return t;
  }

  /**
   * Keeps the leader if it rejoined, else picks any member that did. False when no member has
   * rejoined (Kafka's maybeElectNewJoinedLeader).
   */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    const leader = this.members.get(this.leaderId);
    if (leader?.isAwaitingJoin) return true;
    for (const m of this.members.values()) {
      if (m.isAwaitingJoin) {
        this.leaderId = m.memberId;
        return true;
      }
    }
    return false;
  }

  /** How many members support each protocol name. */
  private protocolSupport(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const m of this.members.values()) for (const p of m.protocols) counts.set(p.name, (counts.get(p.name) ?? 0) + 1);
    return counts;
  }

  /**
   * Whether a member with this protocol type and these protocol names may join: any non-empty
   * set for an Empty group, else the group's type and at least one protocol every member supports.
   */
  supportsProtocols(protocolType: string, protocolNames: string[]): boolean {
    if (this.is('Empty')) return protocolType !== '' && protocolNames.length > 0;
    if (this.protocolType !== protocolType) return false;
    const counts = this.protocolSupport();
    return protocolNames.some((n) => counts.get(n) === this.members.size);
  }

  /**
   * Chooses the protocol for the next generation: among the protocols every member supports,
   * each member votes for its most preferred one; the most votes win. Ties go to the protocol
   * first voted for (Kafka leaves ties to hash order; we want determinism).
   */
  selectProtocol(): string {
    if (this.members.size === 0) throw new Error(`cannot select a protocol for empty group ${this.groupId}`);
    const counts = this.protocolSupport();
    const candidates = new Set([...counts].filter(([, n]) => n === this.members.size).map(([name]) => name));
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const v = m.vote(candidates);
      votes.set(v, (votes.get(v) ?? 0) + 1);
    }
    let best = '';
    let bestVotes = -1;
    for (const [name, n] of votes) {
      if (n > bestVotes) {
        best = name;
        bestVotes = n;
      }
    }
    return best;
  }

  /** Members and their metadata for the selected protocol: what the leader assigns from. */
  currentMemberMetadata(): JoinGroupMemberInfo[] {
    const protocol = this.protocolName ?? '';
    return [...this.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadataFor(protocol) }));
  }

  /** Starts the next generation: CompletingRebalance with members, Empty without. */
  initNextGeneration(now: number): void {
    this.generationId++;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.transitionTo('CompletingRebalance', now);
    } else {
      this.protocolName = null;
      this.transitionTo('Empty', now);
    }
    this.subscribedTopics = this.computeSubscribedTopics();
    this.pendingSyncMembers.clear();
  }

  /** Union of the consumer-protocol subscriptions, or null when they cannot be known. */
  computeSubscribedTopics(): Set<string> | null {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE) return null;
    if (this.members.size === 0) return new Set();
    if (this.protocolName === null) return null;
    const topics = new Set<string>();
    for (const m of this.members.values()) {
      const t = decodeSubscriptionTopics(m.metadataFor(this.protocolName));
      if (t === null) return null;
      for (const x of t) topics.add(x);
    }
    return topics;
  }

  // ---- offsets ---------------------------------------------------------------------------------

  offset(topic: string, partition: number): CommittedOffset | undefined {
    return this.offsets.get(topic)?.get(partition);
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

  get hasOffsets(): boolean {
    return this.offsets.size > 0 || this.pendingOffsetCommits.size > 0;
  }
}

/** Topics of a ConsumerProtocolSubscription (int16 version + struct), null if undecodable. */
export function decodeSubscriptionTopics(metadata: Buffer): string[] | null {
  try {
    const r = new Reader(metadata);
    const version = r.readInt16();
    return decodeConsumerProtocolSubscription(r, Math.min(version, 3)).topics;
  } catch {
    return null;
  }
}
