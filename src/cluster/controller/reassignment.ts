// Partition reassignment (KIP-455, AlterPartitionReassignments), the controller's pure part.
// While a partition moves, its replicas are the target followed by the original replicas not in
// the target; the new replicas catch up and join the ISR through their leader's AlterPartition.
// Once every target replica is in the ISR, the reassignment completes: replicas = target, the ISR
// loses the removed replicas, and leadership moves into the target if the leader is being removed.
import type { PartitionState, Reassignment } from '../metadata-store/types.js';

/** Starting (or replacing) a reassignment: the full replica set and what to remember. */
export function startReassignment(current: number[], existing: Reassignment | undefined, target: number[]): { replicas: number[]; reassignment: Reassignment } {
  const original = existing?.original ?? current;
  return {
    replicas: [...target, ...original.filter((id) => !target.includes(id))],
    reassignment: { original, target: [...target] },
  };
}

export function addingReplicas(r: Reassignment): number[] {
  return r.target.filter((id) => !r.original.includes(id));
}

export function removingReplicas(r: Reassignment): number[] {
  return r.original.filter((id) => !r.target.includes(id));
}

/**
 * The partition state once the replicas become `to`: the ISR keeps only members of `to`, and a
 * leader outside `to` (or dead) hands over to the first replica of `to` that is live and in the
 * ISR. undefined when no such replica exists yet (the move waits).
 */
export function stateMovedTo(s: PartitionState, to: number[], live: ReadonlySet<number>): Omit<PartitionState, 'partitionEpoch' | 'controllerEpoch'> | undefined {
  const isr = s.isr.filter((id) => to.includes(id));
  if (to.includes(s.leader) && live.has(s.leader)) return { leader: s.leader, leaderEpoch: s.leaderEpoch, isr };
  const leader = to.find((id) => live.has(id) && isr.includes(id));
  if (leader === undefined) return undefined;
  return { leader, leaderEpoch: s.leaderEpoch + 1, isr };
}

/**
 * Complete when every added replica has caught up into the ISR and some target replica is in it
 * (KRaft's PartitionReassignmentReplicas.maybeCompleteReassignment). A target replica that was
 * already a replica does not hold the move back while it is out of the ISR: reordering the
 * replicas of a partition with a stopped follower completes at once, as on Kafka.
 */
export function reassignmentComplete(r: Reassignment, isr: readonly number[]): boolean {
  return addingReplicas(r).every((id) => isr.includes(id)) && r.target.some((id) => isr.includes(id));
}
