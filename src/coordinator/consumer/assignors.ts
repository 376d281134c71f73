// Server-side partition assignors for KIP-848 groups (group.consumer.assignors; a member picks
// one with ConsumerGroupHeartbeat.ServerAssignor, the group uses the one most members ask for).
//
// uniform  Balanced and sticky, like Kafka's UniformAssignor. Every member ends with ⌊N/M⌋ or
//          ⌈N/M⌉ partitions when all subscribe to the same topics; partitions keep their
//          previous owner whenever that owner is within its share, so a membership change moves
//          only the partitions it must. With different subscriptions, partitions then move
//          from the most to the least loaded member that subscribes to them while that narrows
//          the gap (balanced as far as the subscriptions allow, not necessarily optimal).
// range    Per topic, the subscribed members (ordered by instance id, else member id) get
//          contiguous ranges: the first N mod M members one partition more. Deterministic and
//          co-partitioning friendly; not sticky (Kafka's server-side range also retains owners
//          where the ranges allow; this one recomputes ranges, which is what users of "range"
//          usually expect).
import { add, size, type Assignment } from './assignment.js';
import { tpKey } from '../../cluster/topic-partition.js';

export interface AssignmentMemberSpec {
  memberId: string;
  instanceId: string | null;
  rackId: string | null;
  /** Topic ids the member subscribes to (only existing topics). */
  topics: ReadonlySet<string>;
  /** The member's current target assignment, the starting point for stickiness. */
  previous: Assignment;
}

export interface AssignmentSpec {
  members: readonly AssignmentMemberSpec[];
  /** topic id → partition count. */
  topics: ReadonlyMap<string, number>;
}

export interface PartitionAssignor {
  readonly name: string;
  /** A target assignment for every member of the spec (empty ones included). */
  assign(spec: AssignmentSpec): Map<string, Assignment>;
}

const byMemberId = (a: AssignmentMemberSpec, b: AssignmentMemberSpec) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0);

/** Every (topic, partition) some member subscribes to, in a fixed order. */
function subscribedPartitions(spec: AssignmentSpec): { topicId: string; partition: number }[] {
  const wanted = new Set<string>();
  for (const m of spec.members) for (const t of m.topics) if (spec.topics.has(t)) wanted.add(t);
  const out: { topicId: string; partition: number }[] = [];
  for (const topicId of [...wanted].sort()) for (let p = 0; p < spec.topics.get(topicId)!; p++) out.push({ topicId, partition: p });
  return out;
}

export class UniformAssignor implements PartitionAssignor {
  readonly name = 'uniform';

  assign(spec: AssignmentSpec): Map<string, Assignment> {
    const members = [...spec.members].sort(byMemberId);
    const result = new Map<string, Assignment>(members.map((m) => [m.memberId, new Map()]));
    if (members.length === 0) return result;
    const partitions = subscribedPartitions(spec);
    const caps = this.shares(members, partitions);
    const taken = new Set<string>();

    // 1. Stickiness: members keep previous partitions that are still valid, up to their share.
    //    Members holding more get to keep the "extra" slots first, which minimises movement.
    const order = [...members].sort((a, b) => size(b.previous) - size(a.previous) || byMemberId(a, b));
    for (const m of order) {
      const mine = result.get(m.memberId)!;
      const cap = caps.get(m.memberId)!.take();
      let kept = 0;
      for (const topicId of [...m.previous.keys()].sort()) {
        if (!m.topics.has(topicId)) continue;
        const n = spec.topics.get(topicId) ?? 0;
        for (const p of [...m.previous.get(topicId)!].sort((x, y) => x - y)) {
          if (kept >= cap || p >= n || taken.has(tpKey(topicId, p))) continue;
          add(mine, topicId, p);
          taken.add(tpKey(topicId, p));
          kept++;
        }
      }
    }

    // 2. The rest go to the least-loaded subscribed member (ties by member id).
    for (const { topicId, partition } of partitions) {
      if (taken.has(tpKey(topicId, partition))) continue;
      let best: AssignmentMemberSpec | null = null;
      let bestCount = Infinity;
      for (const m of members) {
        if (!m.topics.has(topicId)) continue;
        const c = size(result.get(m.memberId)!);
        if (c < bestCount) {
          best = m;
          bestCount = c;
        }
      }
      if (best) add(result.get(best.memberId)!, topicId, partition);
    }

    // 3. Different subscriptions can leave members unbalanced: move partitions from the most to
    //    the least loaded member able to take them while that narrows the gap to at most one.
    this.balance(members, result);
    return result;
  }

  /**
   * Previous partitions each member may keep. Same subscriptions: ⌊N/M⌋, and ⌈N/M⌉ for as many
   * members as N mod M, handed to the members holding most. Different subscriptions: all of
   * them (the balancing step takes the excess away).
   */
  private shares(members: AssignmentMemberSpec[], partitions: { topicId: string; partition: number }[]): Map<string, { take(): number }> {
    const first = members[0]!.topics;
    const homogeneous = members.every((m) => m.topics.size === first.size && [...m.topics].every((t) => first.has(t)));
    const out = new Map<string, { take(): number }>();
    const base = Math.floor(partitions.length / members.length);
    let extras = partitions.length % members.length;
    for (const m of members) {
      out.set(m.memberId, {
        take: () => {
          if (!homogeneous) return Infinity;
          if (size(m.previous) > base && extras > 0) {
            extras--;
            return base + 1;
          }
          return base;
        },
      });
    }
    return out;
  }

  private balance(members: AssignmentMemberSpec[], result: Map<string, Assignment>): void {
    const count = (m: AssignmentMemberSpec) => size(result.get(m.memberId)!);
    for (let guard = 0; guard < 100_000; guard++) {
      const byLoad = [...members].sort((a, b) => count(b) - count(a) || byMemberId(a, b));
      let moved = false;
      for (const hi of byLoad) {
        for (const lo of [...byLoad].reverse()) {
          if (count(hi) - count(lo) <= 1) break;
          const from = result.get(hi.memberId)!;
          // The highest partition of the last topic both can consume moves.
          const topicId = [...from.keys()].sort().reverse().find((t) => lo.topics.has(t));
          if (topicId === undefined) continue;
          const set = from.get(topicId)!;
          const p = Math.max(...set);
          set.delete(p);
          if (set.size === 0) from.delete(topicId);
          add(result.get(lo.memberId)!, topicId, p);
          moved = true;
          break;
        }
        if (moved) break;
      }
      if (!moved) return;
    }
  }
}

export class RangeAssignor implements PartitionAssignor {
  readonly name = 'range';

  assign(spec: AssignmentSpec): Map<string, Assignment> {
    const result = new Map<string, Assignment>(spec.members.map((m) => [m.memberId, new Map()]));
    const rank = (m: AssignmentMemberSpec) => m.instanceId ?? m.memberId;
    for (const [topicId, n] of [...spec.topics].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const subs = spec.members.filter((m) => m.topics.has(topicId)).sort((a, b) => (rank(a) < rank(b) ? -1 : rank(a) > rank(b) ? 1 : byMemberId(a, b)));
      if (subs.length === 0) continue;
      const per = Math.floor(n / subs.length);
      const extra = n % subs.length;
      let next = 0;
      subs.forEach((m, i) => {
        const count = per + (i < extra ? 1 : 0);
        for (let p = next; p < next + count; p++) add(result.get(m.memberId)!, topicId, p);
        next += count;
      });
    }
    return result;
  }
}

export const BUILTIN_ASSIGNORS: readonly PartitionAssignor[] = [new UniformAssignor(), new RangeAssignor()];

/** The assignors named in group.consumer.assignors, in order (the first is the default); unknown names are skipped. */
export function assignorsByName(names: readonly string[]): Map<string, PartitionAssignor> {
  const out = new Map<string, PartitionAssignor>();
  for (const raw of names) {
    const name = raw.trim();
    // Kafka's class names are accepted too (org.apache.kafka.coordinator.group.assignor.UniformAssignor).
    const short = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1).replace(/Assignor$/, '').toLowerCase() : name;
    const a = BUILTIN_ASSIGNORS.find((x) => x.name === short);
    if (a && !out.has(a.name)) out.set(a.name, a);
  }
  if (out.size === 0) out.set('uniform', BUILTIN_ASSIGNORS[0]!);
  return out;
}
