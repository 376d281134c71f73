// Reconciliation: moves one member's current assignment towards its target assignment, after
// Kafka's CurrentAssignmentBuilder. The invariant that makes KIP-848 safe without a global
// barrier: a partition is handed to a member only once no other member owns it (assigned or
// pending revocation), and a member only moves to a new epoch after it has revoked what it must.
//
//   STABLE ──(new target epoch)──▶ compute next
//   UNREVOKED_PARTITIONS ──(heartbeat no longer lists the revoked partitions)──▶ compute next at epoch + 1
//   UNRELEASED_PARTITIONS ──(any heartbeat)──▶ compute next (picks up partitions released meanwhile)
//
//   compute next:
//     assigned'   = assigned ∩ target
//     revoke      = assigned − assigned'
//     newly       = target − assigned' − (partitions another member still owns)
//     revoke ≠ ∅ and still owned  → UNREVOKED_PARTITIONS, same epoch, assigned = assigned'
//     newly ≠ ∅                   → target epoch, assigned = assigned' ∪ newly,
//                                   UNRELEASED_PARTITIONS if something was held back else STABLE
//     otherwise                   → target epoch, UNRELEASED_PARTITIONS or STABLE likewise
import { clone, intersects, type Assignment, type TopicPartitionsList } from './assignment.js';
import { MemberState, type CurrentAssignmentValue } from './consumer-records.js';

export interface ReconcileInput {
  current: CurrentAssignmentValue;
  targetEpoch: number;
  target: Assignment;
  /** -1 when free, else the owning member's epoch. Never called for partitions the member itself holds as assigned. */
  partitionEpoch(topicId: string, partition: number): number;
  /** The partitions the member reported in this heartbeat; null when it did not report them. */
  owned: readonly TopicPartitionsList[] | null;
}

/** The member's next assignment state, or `current` itself (same object) when nothing changes. */
export function reconcile(input: ReconcileInput): CurrentAssignmentValue {
  const { current, targetEpoch, owned } = input;
  switch (current.state) {
    case MemberState.STABLE:
      return current.memberEpoch !== targetEpoch ? computeNext(input, current.memberEpoch) : current;
    case MemberState.UNREVOKED_PARTITIONS:
      if (intersects(owned, current.partitionsPendingRevocation)) return current;
      return computeNext(input, current.memberEpoch + 1);
    case MemberState.UNRELEASED_PARTITIONS:
      return computeNext(input, current.memberEpoch);
    default:
      // A state from a newer version: start over from the target (the caller fences members
      // that still report partitions in this case).
      return computeNext(input, targetEpoch);
  }
}

// previousMemberEpoch is always the epoch before this step (Kafka's Builder.updateMemberEpoch),
// which lets a member whose response was lost come back with it.
function computeNext(input: ReconcileInput, memberEpoch: number): CurrentAssignmentValue {
  const { current, target, targetEpoch, owned } = input;
  const assigned: Assignment = new Map();
  const revoke: Assignment = new Map();
  const newly: Assignment = new Map();
  let unreleased = false;
  const topics = new Set([...target.keys(), ...current.assignedPartitions.keys()]);
  for (const topicId of topics) {
    const want = target.get(topicId) ?? new Set<number>();
    const have = current.assignedPartitions.get(topicId) ?? new Set<number>();
    const keep = new Set([...have].filter((p) => want.has(p)));
    const gone = new Set([...have].filter((p) => !keep.has(p)));
    const add = new Set<number>();
    for (const p of want) {
      if (keep.has(p)) continue;
      if (input.partitionEpoch(topicId, p) !== -1) unreleased = true;
      else add.add(p);
    }
    if (keep.size > 0) assigned.set(topicId, keep);
    if (gone.size > 0) revoke.set(topicId, gone);
    if (add.size > 0) newly.set(topicId, add);
  }

  if (revoke.size > 0 && intersects(owned, revoke)) {
    return { memberEpoch, previousMemberEpoch: current.memberEpoch, state: MemberState.UNREVOKED_PARTITIONS, assignedPartitions: assigned, partitionsPendingRevocation: revoke };
  }
  const all = clone(assigned);
  for (const [topicId, parts] of newly) {
    let s = all.get(topicId);
    if (!s) all.set(topicId, (s = new Set()));
    for (const p of parts) s.add(p);
  }
  return {
    memberEpoch: targetEpoch,
    previousMemberEpoch: current.memberEpoch,
    state: unreleased ? MemberState.UNRELEASED_PARTITIONS : MemberState.STABLE,
    assignedPartitions: all,
    partitionsPendingRevocation: new Map(),
  };
}
