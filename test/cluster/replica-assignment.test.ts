// Kafka's AdminUtils.assignReplicasToBrokers, checked against the examples in Kafka's own tests
// and documentation (AdminTest.testReplicaAssignment, AdminRackAwareTest) and the distribution
// properties those tests verify.
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { assignReplicasToBrokers, rackAlternatedBrokerList, ReplicaAssignmentError, type BrokerRack } from '../../src/cluster/controller/replica-assignment.js';

const racked = (m: Record<number, string>): BrokerRack[] => Object.entries(m).map(([id, rack]) => ({ id: Number(id), rack }));
const plain = (ids: number[]): BrokerRack[] => ids.map((id) => ({ id, rack: null }));

function errorOf(f: () => unknown): number | undefined {
  try {
    f();
  } catch (err) {
    if (err instanceof ReplicaAssignmentError) return err.errorCode;
    throw err;
  }
  return undefined;
}

/** Kafka's checkReplicaDistribution: rack spread per partition, even leaders, even replicas. */
function checkDistribution(assignment: number[][], rackOf: Map<number, string>, numBrokers: number, rf: number) {
  const numRacks = new Set(rackOf.values()).size;
  for (const replicas of assignment) {
    expect(new Set(replicas.map((b) => rackOf.get(b))).size).toBe(Math.min(rf, numRacks));
    expect(new Set(replicas).size).toBe(rf);
  }
  const leaders = new Map<number, number>();
  const replicaCount = new Map<number, number>();
  for (const replicas of assignment) {
    leaders.set(replicas[0]!, (leaders.get(replicas[0]!) ?? 0) + 1);
    for (const b of replicas) replicaCount.set(b, (replicaCount.get(b) ?? 0) + 1);
  }
  expect([...leaders.values()]).toEqual(Array(numBrokers).fill(assignment.length / numBrokers));
  expect([...replicaCount.values()]).toEqual(Array(numBrokers).fill((assignment.length * rf) / numBrokers));
}

describe('replica assignment (Kafka AdminUtils.assignReplicasToBrokers)', () => {
  it('rack-unaware: AdminTest.testReplicaAssignment', () => {
    const brokers = plain([0, 1, 2, 3, 4]);
    expect(errorOf(() => assignReplicasToBrokers(brokers, 10, 0))).toBe(ErrorCode.INVALID_REPLICATION_FACTOR);
    expect(errorOf(() => assignReplicasToBrokers(brokers, 10, 6))).toBe(ErrorCode.INVALID_REPLICATION_FACTOR);
    expect(errorOf(() => assignReplicasToBrokers(brokers, 0, 3))).toBe(ErrorCode.INVALID_PARTITIONS);
    expect(assignReplicasToBrokers(brokers, 10, 3, { fixedStartIndex: 0 })).toEqual([
      [0, 1, 2],
      [1, 2, 3],
      [2, 3, 4],
      [3, 4, 0],
      [4, 0, 1],
      [0, 2, 3],
      [1, 3, 4],
      [2, 4, 0],
      [3, 0, 1],
      [4, 1, 2],
    ]);
  });

  it('rack-unaware: the documented 5-broker layout (first replicas round-robin, followers shifted every n partitions)', () => {
    const a = assignReplicasToBrokers(plain([4, 2, 0, 3, 1]), 10, 3, { fixedStartIndex: 0 });
    // Kafka's doc table: p5 is led by broker-0 with its 2nd replica on broker-2 and 3rd on broker-3.
    expect(a[5]).toEqual([0, 2, 3]);
    expect(a.map((r) => r[0])).toEqual([0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
  });

  it('rack alternation: AdminRackAwareTest.testGetRackAlternatedBrokerListAndAssignReplicasToBrokers', () => {
    const rackMap = { 0: 'rack1', 1: 'rack3', 2: 'rack3', 3: 'rack2', 4: 'rack2', 5: 'rack1' };
    expect(rackAlternatedBrokerList(new Map(Object.entries(rackMap).map(([k, v]) => [Number(k), v])))).toEqual([0, 3, 1, 5, 4, 2]);
    const without5 = new Map(Object.entries(rackMap).filter(([k]) => k !== '5').map(([k, v]) => [Number(k), v]));
    expect(rackAlternatedBrokerList(without5)).toEqual([0, 3, 1, 4, 2]);
    expect(assignReplicasToBrokers(racked(rackMap), 7, 3, { fixedStartIndex: 0, startPartitionId: 0 })).toEqual([
      [0, 3, 1],
      [3, 1, 5],
      [1, 5, 4],
      [5, 4, 2],
      [4, 2, 0],
      [2, 0, 3],
      [0, 4, 2],
    ]);
  });

  it('rack-aware: spreads each partition over min(RF, racks) racks with even leaders and replicas', () => {
    const cases: [Record<number, string>, number, number, number][] = [
      // brokers -> rack, partitions, RF, fixed start index (AdminRackAwareTest cases)
      [{ 0: 'rack1', 1: 'rack2', 2: 'rack2', 3: 'rack3', 4: 'rack3', 5: 'rack1' }, 6, 3, 2],
      [{ 0: 'rack1', 1: 'rack2', 2: 'rack2', 3: 'rack3', 4: 'rack3', 5: 'rack1' }, 12, 2, 5],
      [{ 0: 'rack1', 1: 'rack2', 2: 'rack2', 3: 'rack3', 4: 'rack3', 5: 'rack1' }, 6, 3, -1],
      [{ 0: 'rack1', 1: 'rack2', 2: 'rack3', 3: 'rack4', 4: 'rack5', 5: 'rack6' }, 6, 3, -1],
      [{ 0: 'rack1', 1: 'rack2', 2: 'rack1', 3: 'rack2', 4: 'rack1', 5: 'rack2' }, 6, 3, -1],
    ];
    for (const [rackMap, parts, rf, start] of cases) {
      const a = assignReplicasToBrokers(racked(rackMap), parts, rf, { fixedStartIndex: start });
      checkDistribution(a, new Map(Object.entries(rackMap).map(([k, v]) => [Number(k), v])), 6, rf);
    }
  });

  it('rack-aware with more replicas than racks still uses every rack and never a broker twice', () => {
    const rackMap = { 0: 'rack1', 1: 'rack2', 2: 'rack2', 3: 'rack1', 4: 'rack3' };
    const a = assignReplicasToBrokers(racked(rackMap), 10, 4, { fixedStartIndex: 0 });
    for (const r of a) {
      expect(new Set(r).size).toBe(4);
      expect(new Set(r.map((b) => rackMap[b as keyof typeof rackMap]))).toEqual(new Set(['rack1', 'rack2', 'rack3']));
    }
  });

  it('continues from startPartitionId (CreatePartitions): leaders keep the round-robin', () => {
    const brokers = plain([0, 1, 2, 3, 4]);
    const added = assignReplicasToBrokers(brokers, 4, 3, { fixedStartIndex: 0, startPartitionId: 6 });
    expect(added.map((r) => r[0])).toEqual([1, 2, 3, 4]);
    // Partition 10 is a multiple of the broker count: the follower shift moves on, as in Kafka.
    expect(assignReplicasToBrokers(brokers, 1, 3, { fixedStartIndex: 0, startPartitionId: 10 })).toEqual([[0, 2, 3]]);
  });

  it('refuses a mix of brokers with and without racks unless rack awareness is disabled', () => {
    const mixed: BrokerRack[] = [{ id: 0, rack: 'r1' }, { id: 1, rack: null }, { id: 2, rack: 'r2' }];
    expect(errorOf(() => assignReplicasToBrokers(mixed, 3, 2))).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    expect(assignReplicasToBrokers(mixed, 3, 2, { rackAwareMode: 'disabled', fixedStartIndex: 0 })).toEqual([
      [0, 1],
      [1, 2],
      [2, 0],
    ]);
  });

  it('picks a random start when not fixed, still a valid spread', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 50; i++) {
      const a = assignReplicasToBrokers(plain([0, 1, 2]), 3, 3);
      seen.add(a[0]![0]!);
      for (const r of a) expect(new Set(r).size).toBe(3);
    }
    expect(seen.size).toBeGreaterThan(1);
  });
});
