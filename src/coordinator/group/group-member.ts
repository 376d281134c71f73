// One member of a classic group, plus the outcome shapes of JoinGroup and SyncGroup.
//
// A member's JoinGroup/SyncGroup request is parked (the handler awaits a promise) until the
// rebalance reaches the point where Kafka would answer it; `joinWaiter`/`syncWaiter` hold the
// resolve functions. A member with a parked JoinGroup "is awaiting join".

export const EMPTY_BYTES: Buffer = Buffer.alloc(0);

export interface GroupProtocol {
  name: string;
  metadata: Buffer;
}

export interface JoinGroupMemberInfo {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Buffer;
}

export interface JoinGroupOutcome {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  /** Non-empty for the leader only. */
  members: JoinGroupMemberInfo[];
}

export interface SyncGroupOutcome {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export function joinError(memberId: string, errorCode: number): JoinGroupOutcome {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
}

export function syncError(errorCode: number): SyncGroupOutcome {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BYTES };
}

export class GroupMember {
  /** Joined in the current rebalance and has not received a JoinGroup response yet. */
  isNew = false;
  assignment: Buffer = EMPTY_BYTES;
  joinWaiter: ((r: JoinGroupOutcome) => void) | null = null;
  syncWaiter: ((r: SyncGroupOutcome) => void) | null = null;

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    public clientId: string,
    public clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    readonly protocolType: string,
    public protocols: GroupProtocol[],
  ) {}

  get isStatic(): boolean {
    return this.groupInstanceId !== null;
  }

  get isAwaitingJoin(): boolean {
    return this.joinWaiter !== null;
  }

  get isAwaitingSync(): boolean {
    return this.syncWaiter !== null;
  }

  /** Answers the parked JoinGroup, if any. Returns whether there was one. */
  completeJoin(r: JoinGroupOutcome): boolean {
    const w = this.joinWaiter;
    if (!w) return false;
    this.joinWaiter = null;
    w(r);
    return true;
  }

  completeSync(r: SyncGroupOutcome): boolean {
    const w = this.syncWaiter;
    if (!w) return false;
    this.syncWaiter = null;
    w(r);
    return true;
  }

  metadataFor(protocol: string): Buffer {
    return this.protocols.find((p) => p.name === protocol)?.metadata ?? EMPTY_BYTES;
  }

  /** Same protocols, in the same order, with byte-identical metadata. */
  matches(protocols: GroupProtocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    for (let i = 0; i < protocols.length; i++) {
      const a = protocols[i]!;
      const b = this.protocols[i]!;
      if (a.name !== b.name || !a.metadata.equals(b.metadata)) return false;
    }
    return true;
  }

  /** This member's most preferred protocol among `candidates` (Kafka's MemberMetadata.vote). */
  vote(candidates: ReadonlySet<string>): string {
    const p = this.protocols.find((x) => candidates.has(x.name));
    if (!p) throw new Error(`member ${this.memberId} supports none of the candidate protocols`);
    return p.name;
  }

  /**
   * Whether an expired session timer may be ignored: a member parked in JoinGroup or SyncGroup
   * cannot heartbeat (its connection is busy), so the rebalance/sync timers bound it instead.
   * New members are the exception: they have no member id to heartbeat with, and their join
   * wait is bounded by the new-member join timeout.
   */
  hasSatisfiedHeartbeat(): boolean {
    if (this.isNew) return false;
    return this.isAwaitingJoin || this.isAwaitingSync;
  }
}
