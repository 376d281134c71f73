// Share-group membership in __consumer_offsets (Kafka's GroupMetadataManager writes these for
// share groups): the group epoch, each member's metadata, the target assignment and each
// member's current assignment, so a restart keeps epochs and assignments and members go on
// heartbeating with the epochs they had.
//
// Writes are diffs: the group's records as they should be (its "image") against what was last
// written, changed keys written, vanished keys tombstoned. The last-written image is updated
// before the append (appends to one partition keep their call order), so concurrent heartbeats
// diff against each other's outcome. Replay keeps the last value per key, then rebuilds groups.
import type { CoordinatorRecord } from '../runtime/record-log.js';
import {
  currentAssignmentRecord,
  decodeShareGroupRecord,
  memberRecord,
  metadataRecord,
  SHARE_RECORD,
  statePartitionMetadataRecord,
  type StatePartitionMetadata,
  targetMemberRecord,
  targetMetadataRecord,
  type CurrentAssignmentValue,
  type MemberMetadataValue,
  type Partitions,
} from './share-group-records.js';

/** The parts of a share group that are persisted (share-group-coordinator.ts keeps the rest). */
export interface PersistedGroup {
  groupId: string;
  groupEpoch: number;
  assignmentEpoch: number;
  /** Hash of the subscribed topics' partition counts at the last assignment (ShareGroupMetadata MetadataHash). */
  metadataHash: number;
  /** ShareGroupStatePartitionMetadata (type 15); null: none written. */
  statePartitions: StatePartitionMetadata | null;
  members: Iterable<{
    memberId: string;
    memberEpoch: number;
    previousMemberEpoch: number;
    rackId: string | null;
    clientId: string;
    clientHost: string;
    subscribedTopicNames: string[];
    assignment: Partitions;
  }>;
}

export interface RestoredMember extends MemberMetadataValue {
  memberId: string;
  memberEpoch: number;
  previousMemberEpoch: number;
  assignment: Partitions;
}

export interface RestoredGroup {
  groupId: string;
  groupEpoch: number;
  assignmentEpoch: number;
  metadataHash: number;
  statePartitions: StatePartitionMetadata | null;
  members: RestoredMember[];
}

/** Appends records to the group's __consumer_offsets partition; resolves to a Kafka error code. */
export type AppendGroupRecords = (groupId: string, records: CoordinatorRecord[]) => Promise<number>;

export class ShareGroupLog {
  /** groupId -> key (hex) -> value (hex) as last written. */
  private readonly written = new Map<string, Map<string, string>>();
  /** Replayed records: key (hex) -> record, last wins; consumed by restore(). */
  private replayed = new Map<string, CoordinatorRecord>();

  constructor(private readonly append: AppendGroupRecords) {}

  /** Writes what changed in `group` since the last write (null: the group was deleted, everything tombstoned). */
  sync(groupId: string, group: PersistedGroup | null): Promise<number> {
    const before = this.written.get(groupId) ?? new Map<string, string>();
    const image = group ? imageOf(group) : new Map<string, CoordinatorRecord>();
    const records: CoordinatorRecord[] = [];
    const after = new Map<string, string>();
    for (const [k, rec] of image) {
      const v = rec.value!.toString('hex');
      after.set(k, v);
      if (before.get(k) !== v) records.push(rec);
    }
    // Tombstones in Kafka's order: a member's assignment records before its metadata, group records last.
    const gone = [...before.keys()].filter((k) => !image.has(k)).map((k) => Buffer.from(k, 'hex'));
    gone.sort((a, b) => tombstoneOrder(a) - tombstoneOrder(b));
    for (const key of gone) records.push({ key, value: null });
    if (group) this.written.set(groupId, after);
    else this.written.delete(groupId);
    return records.length === 0 ? Promise.resolve(0) : this.append(groupId, records);
  }

  /** The group left this broker (its partition was unloaded): a later load starts from the log again. */
  forget(groupId: string): void {
    this.written.delete(groupId);
  }

  /** A share-group record met while __consumer_offsets was replayed. */
  replay(rec: CoordinatorRecord): void {
    this.replayed.set(rec.key.toString('hex'), rec);
  }

  /** The groups the replayed records describe (tombstoned ones gone); they count as written. */
  restore(): RestoredGroup[] {
    const groups = new Map<string, { epoch: number; hash: number; assignmentEpoch: number; states: StatePartitionMetadata | null; meta: Map<string, MemberMetadataValue>; target: Map<string, Partitions>; current: Map<string, CurrentAssignmentValue> }>();
    const of = (id: string) => {
      let g = groups.get(id);
      if (!g) groups.set(id, (g = { epoch: -1, hash: 0, assignmentEpoch: 0, states: null, meta: new Map(), target: new Map(), current: new Map() }));
      return g;
    };
    for (const rec of this.replayed.values()) {
      const r = decodeShareGroupRecord(rec);
      if (!r || r.value === null) continue;
      const g = of(r.key.groupId);
      if (r.type === SHARE_RECORD.metadata) {
        g.epoch = r.value.epoch;
        g.hash = r.value.metadataHash;
      } else if (r.type === SHARE_RECORD.targetMetadata) g.assignmentEpoch = r.value.assignmentEpoch;
      else if (r.type === SHARE_RECORD.statePartitionMetadata) g.states = r.value;
      else if (r.type === SHARE_RECORD.member) g.meta.set(r.key.memberId!, r.value);
      else if (r.type === SHARE_RECORD.targetMember) g.target.set(r.key.memberId!, r.value);
      else g.current.set(r.key.memberId!, r.value);
    }
    const out: RestoredGroup[] = [];
    for (const [groupId, g] of groups) {
      // Without its ShareGroupMetadata record the group was deleted (or never completed a write).
      if (g.epoch < 0) continue;
      const members: RestoredMember[] = [];
      for (const [memberId, meta] of g.meta) {
        const current = g.current.get(memberId);
        members.push({
          memberId,
          ...meta,
          memberEpoch: current?.memberEpoch ?? 0,
          previousMemberEpoch: current?.previousMemberEpoch ?? 0,
          assignment: current?.assigned ?? g.target.get(memberId) ?? new Map(),
        });
      }
      out.push({ groupId, groupEpoch: g.epoch, assignmentEpoch: g.assignmentEpoch, metadataHash: g.hash, statePartitions: g.states, members });
    }
    // What was replayed is what the log holds: the next writes diff against it.
    for (const rec of this.replayed.values()) {
      if (rec.value === null) continue;
      const r = decodeShareGroupRecord(rec);
      if (!r || !out.some((g) => g.groupId === r.key.groupId)) continue;
      let w = this.written.get(r.key.groupId);
      if (!w) this.written.set(r.key.groupId, (w = new Map()));
      w.set(rec.key.toString('hex'), rec.value.toString('hex'));
    }
    this.replayed = new Map();
    return out;
  }
}

function imageOf(g: PersistedGroup): Map<string, CoordinatorRecord> {
  const out = new Map<string, CoordinatorRecord>();
  const put = (rec: CoordinatorRecord) => out.set(rec.key.toString('hex'), rec);
  put(metadataRecord(g.groupId, g.groupEpoch, g.metadataHash));
  put(targetMetadataRecord(g.groupId, g.assignmentEpoch));
  if (g.statePartitions) put(statePartitionMetadataRecord(g.groupId, g.statePartitions));
  for (const m of g.members) {
    put(memberRecord(g.groupId, m.memberId, { rackId: m.rackId, clientId: m.clientId, clientHost: m.clientHost, subscribedTopicNames: m.subscribedTopicNames }));
    put(targetMemberRecord(g.groupId, m.memberId, m.assignment));
    // Share members are always STABLE (0): no revocation, a partition may be shared.
    put(currentAssignmentRecord(g.groupId, m.memberId, { memberEpoch: m.memberEpoch, previousMemberEpoch: m.previousMemberEpoch, state: 0, assigned: m.assignment }));
  }
  return out;
}

const TOMBSTONE_ORDER: Record<number, number> = {
  [SHARE_RECORD.statePartitionMetadata]: -1,
  [SHARE_RECORD.currentAssignment]: 0,
  [SHARE_RECORD.targetMember]: 1,
  [SHARE_RECORD.member]: 2,
  [SHARE_RECORD.targetMetadata]: 3,
  [SHARE_RECORD.metadata]: 4,
};

function tombstoneOrder(key: Buffer): number {
  return TOMBSTONE_ORDER[key.readInt16BE(0)] ?? 5;
}

/** A 53-bit hash of the subscribed topics' partition counts (stands in for Kafka's MetadataHash). */
export function topicsHash(topicsKey: string): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < topicsKey.length; i++) {
    const c = topicsKey.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) >>> 0;
  }
  return h1 * 0x200000 + (h2 & 0x1fffff);
}

