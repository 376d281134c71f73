// KRaft's StripedReplicaPlacer (src/cluster/controller/striped-replica-placer.ts): within a rack,
// fenced brokers only when its unfenced ones are used up, and never as leader, Kafka's errors, racks, and the
// property the three-broker reference session relies on (its preferred replicas after reversing
// partition 0 and moving partition 1's onto the stopped broker are uneven for every random draw,
// as Kafka's are; the ZooKeeper-era assignment made them even one time in six).
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { placeReplicas, ReplicaAssignmentError, type PlacerRandom, type UsableBroker } from '../../src/cluster/controller/striped-replica-placer.js';

/** A seeded generator (mulberry32), so a failure names the draw that caused it. */
function seeded(seed: number): PlacerRandom {
  let a = seed >>> 0;
  return {
    nextInt(bound) {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * bound);
    },
  };
}

const up = (id: number, rack: string | null = null): UsableBroker => ({ id, rack, fenced: false });
const down = (id: number, rack: string | null = null): UsableBroker => ({ id, rack, fenced: true });

function errorOf(f: () => unknown): { code: number; message: string } | undefined {
  try {
    f();
  } catch (err) {
    if (err instanceof ReplicaAssignmentError) return { code: err.errorCode, message: err.message };
    throw err;
  }
  return undefined;
}

function preferredSpread(replicas: number[][]): number {
  const count = new Map<number, number>([[1, 0], [2, 0], [3, 0]]);
  for (const r of replicas) count.set(r[0]!, count.get(r[0]!)! + 1);
  return Math.max(...count.values()) - Math.min(...count.values());
}

/** What ClusterSession does to a 6-partition RF 3 topic on brokers 1-3, broker 2 being stopped. */
function sessionReorders(replicas: number[][], stopped = 2): number[][] {
  const out = replicas.map((r) => [...r]);
  out[0]!.reverse();
  const current1 = out[1]!;
  const others = current1.filter((id) => id !== stopped);
  if (current1[0] === stopped) others.reverse();
  out[1] = [stopped, ...others];
  return out;
}

describe('StripedReplicaPlacer (KRaft placement)', () => {
  it('three unfenced brokers, 6 partitions RF 3: stripes of rotations, every broker leads two', () => {
    for (let seed = 0; seed < 50; seed++) {
      const placed = placeReplicas([up(1), up(2), up(3)], 6, 3, seeded(seed));
      expect(placed.every((r) => new Set(r).size === 3)).toBe(true);
      expect(preferredSpread(placed)).toBe(0);
      // Partitions 0-2 (one iteration epoch) are rotations of one order.
      expect(placed[1]).toEqual([placed[0]![1], placed[0]![2], placed[0]![0]]);
      expect(placed[2]).toEqual([placed[0]![2], placed[0]![0], placed[0]![1]]);
    }
  });

  it('uses a fenced broker only when the unfenced ones are too few, and never as leader', () => {
    for (let seed = 0; seed < 50; seed++) {
      const rf3 = placeReplicas([up(1), down(2), up(3)], 4, 3, seeded(seed));
      for (const r of rf3) {
        expect(r[0]).not.toBe(2);
        expect(r[2]).toBe(2);
        expect([...r].sort()).toEqual([1, 2, 3]);
      }
      const rf2 = placeReplicas([up(1), down(2), up(3)], 4, 2, seeded(seed));
      for (const r of rf2) expect(r).not.toContain(2);
    }
  });

  it("answers Kafka's INVALID_REPLICATION_FACTOR errors", () => {
    expect(errorOf(() => placeReplicas([up(1), up(2)], 1, 3))).toEqual({
      code: ErrorCode.INVALID_REPLICATION_FACTOR,
      message: 'Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be reached because only 2 broker(s) are registered.',
    });
    expect(errorOf(() => placeReplicas([down(1), down(2), down(3)], 1, 1))).toEqual({
      code: ErrorCode.INVALID_REPLICATION_FACTOR,
      message: 'Unable to replicate the partition 1 time(s): All brokers are currently fenced.',
    });
    expect(errorOf(() => placeReplicas([up(1)], 1, 0))?.code).toBe(ErrorCode.INVALID_REPLICATION_FACTOR);
    expect(errorOf(() => placeReplicas([up(1)], 0, 1))?.code).toBe(ErrorCode.INVALID_PARTITIONS);
  });

  it('racks: every partition spans min(RF, racks) racks, leaders in every rack; a fenced broker never leads', () => {
    const racked = [up(1, 'a'), up(2, 'a'), up(3, 'b'), up(4, 'b'), up(5, 'c'), up(6, 'c')];
    for (let seed = 0; seed < 30; seed++) {
      const placed = placeReplicas(racked, 12, 3, seeded(seed));
      const rackOf = (id: number) => racked.find((b) => b.id === id)!.rack;
      for (const r of placed) expect(new Set(r.map(rackOf)).size).toBe(3);
      expect(new Set(placed.map((r) => rackOf(r[0]!))).size).toBe(3);
      // Brokers without a rack and with racks mixed: allowed in KRaft (no rack is a rack of its own).
      // Spreading over racks comes first: rack b's fenced broker may follow, but never lead.
      const mixed = placeReplicas([up(1, 'a'), up(2, null), down(3, 'b')], 3, 2, seeded(seed));
      for (const r of mixed) {
        expect(r[0]).not.toBe(3);
        expect(new Set(r).size).toBe(2);
      }
    }
  });

  it("the reference session's reorders leave the preferred replicas uneven for every draw (Kafka's recorded answer)", () => {
    for (let seed = 0; seed < 200; seed++) {
      const placed = placeReplicas([up(1), up(2), up(3)], 6, 3, seeded(seed));
      expect(preferredSpread(sessionReorders(placed)), `seed ${seed}`).toBeGreaterThan(1);
      // CreatePartitions to 9 (all brokers up again) adds one partition per broker: still uneven.
      const added = placeReplicas([up(1), up(2), up(3)], 3, 3, seeded(seed + 1000));
      expect(preferredSpread([...sessionReorders(placed), ...added])).toBeGreaterThan(1);
    }
  });
});
