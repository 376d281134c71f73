// KIP-392, fetch from the closest replica: the leader of a partition may answer a consumer's Fetch
// (v11+, which carries the client's rack) with a preferred read replica instead of records; the
// consumer then fetches from that replica, which serves it up to its own high watermark.
//
// `replica.selector.class` picks the policy, as in Kafka. Unset (Kafka's default) means no
// selector: the leader never redirects. The two selectors Kafka ships are accepted by class name:
//   org.apache.kafka.common.replica.RackAwareReplicaSelector  a replica in the client's rack
//   org.apache.kafka.common.replica.LeaderSelector            always the leader (no redirects)
// Custom Java classes cannot be loaded here; any other name is refused at start-up (config).
//
// Candidates are chosen as Kafka's ReplicaManager.findPreferredReadReplica does: the leader, plus
// every follower in the ISR whose log end offset (its last fetch offset) is at or past the fetch
// offset. A follower out of the ISR is never preferred: it may lag without bound.
import type { Partition } from './partition.js';

export const RACK_AWARE_REPLICA_SELECTOR = 'org.apache.kafka.common.replica.RackAwareReplicaSelector';
export const LEADER_SELECTOR = 'org.apache.kafka.common.replica.LeaderSelector';
export const KNOWN_REPLICA_SELECTORS: readonly string[] = [RACK_AWARE_REPLICA_SELECTOR, LEADER_SELECTOR];

/** One replica as a selector sees it (Kafka's ReplicaView). */
export interface ReplicaView {
  brokerId: number;
  rack: string | null;
  logEndOffset: number;
  /** 0 for the leader; how long since the follower was last caught up otherwise. */
  timeSinceLastCaughtUpMs: number;
}

/** Kafka's ReplicaSelector: the replica a client should read from (the leader when none is better). */
export interface ReplicaSelector {
  select(clientRack: string, leader: ReplicaView, replicas: readonly ReplicaView[]): ReplicaView;
}

/** Kafka's RackAwareReplicaSelector: the leader if it is in the client's rack, else the most caught-up replica there, else the leader. */
export const rackAwareReplicaSelector: ReplicaSelector = {
  select(clientRack, leader, replicas) {
    if (clientRack === '') return leader;
    if (leader.rack === clientRack) return leader;
    let best: ReplicaView | null = null;
    for (const r of replicas) {
      if (r.rack !== clientRack) continue;
      // ReplicaView.comparator: higher log end offset first, then the shorter time since caught up.
      if (!best || r.logEndOffset > best.logEndOffset || (r.logEndOffset === best.logEndOffset && r.timeSinceLastCaughtUpMs < best.timeSinceLastCaughtUpMs)) best = r;
    }
    return best ?? leader;
  },
};

export const leaderSelector: ReplicaSelector = { select: (_rack, leader) => leader };

/** `replica.selector.class` → the selector; null when unset (no redirects). Unknown names throw (validated at start-up). */
export function replicaSelectorFor(className: string | null): ReplicaSelector | null {
  if (className === null || className === '') return null;
  if (className === RACK_AWARE_REPLICA_SELECTOR) return rackAwareReplicaSelector;
  if (className === LEADER_SELECTOR) return leaderSelector;
  throw new Error(`replica.selector.class ${className} is not supported (accepted: ${KNOWN_REPLICA_SELECTORS.join(', ')})`);
}

/** What the partition layer needs to redirect reads: the policy and each live broker's rack. */
export interface ReadReplicaSelection {
  selector: ReplicaSelector;
  /** The rack of a live broker; undefined when it is not registered (never preferred then). */
  rackOf(brokerId: number): string | null | undefined;
}

/**
 * The leader's answer to a consumer naming its rack: a follower's id when that follower should
 * serve this fetch, or -1 (read here). Only called on the leader of a replicated partition.
 */
export function preferredReadReplica(p: Partition, fetchOffset: number, clientRack: string, sel: ReadReplicaSelection, nowMs: number): number {
  const st = p.leaderState;
  // No rack: both selectors answer the leader; skip building the views (every such fetch comes here).
  if (!st || clientRack === '') return -1;
  const leaderRack = sel.rackOf(p.leaderId);
  const leader: ReplicaView = { brokerId: p.leaderId, rack: leaderRack ?? null, logEndOffset: p.log.logEndOffset, timeSinceLastCaughtUpMs: 0 };
  const replicas: ReplicaView[] = [leader];
  for (const id of p.isr) {
    if (id === p.leaderId) continue;
    const f = st.followers.get(id);
    if (!f || f.leo < fetchOffset) continue;
    const rack = sel.rackOf(id);
    if (rack === undefined) continue; // not registered (dead): a client could not reach it
    replicas.push({ brokerId: id, rack, logEndOffset: f.leo, timeSinceLastCaughtUpMs: Math.max(0, nowMs - f.caughtUpAtMs) });
  }
  const chosen = sel.selector.select(clientRack, leader, replicas);
  // As Kafka: the leader is never sent as the preferred read replica.
  return chosen.brokerId === p.leaderId ? -1 : chosen.brokerId;
}

/** Proof of KIP-392 at work, per broker: consumer fetches served as a follower, and redirects issued as leader. */
export interface FollowerReadStats {
  /** Partition reads served to consumers by this broker as a follower. */
  followerReads: number;
  /** Record bytes in those reads. */
  followerReadBytes: number;
  /** Partition fetches this broker (as leader) answered with a preferred read replica. */
  preferredReplicaRedirects: number;
}

export function newFollowerReadStats(): FollowerReadStats {
  return { followerReads: 0, followerReadBytes: 0, preferredReplicaRedirects: 0 };
}
