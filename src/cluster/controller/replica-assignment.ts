// Kafka's AdminUtils.assignReplicasToBrokers (ZooKeeper-era CreateTopics / CreatePartitions), in
// both its forms:
// - rack-unaware: partition p's first replica is broker (p + startIndex) % n; the others follow it
//   at a shift that grows by one every n partitions, so replicas spread evenly and two partitions
//   with the same leader rarely share followers;
// - rack-aware (every broker has a rack): the same walk over a rack-alternating broker list
//   (rack1's first broker, rack2's first, …, rack1's second, …), skipping a broker whose rack (or
//   itself) already holds a replica while some rack (broker) still holds none. A partition thus
//   spans min(RF, racks) racks, and leaders and replicas stay evenly spread.
// startIndex and the shift are random unless fixed (the tests fix them to Kafka's examples).
import { ErrorCode } from '../../../protocol/errors.js';

export interface BrokerRack {
  id: number;
  rack: string | null;
}

export class ReplicaAssignmentError extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** Brokers of each rack in id order, racks taken in name order, interleaved. */
export function rackAlternatedBrokerList(brokerRacks: Map<number, string>): number[] {
  const byRack = new Map<string, number[]>();
  for (const [id, rack] of brokerRacks) {
    const list = byRack.get(rack) ?? [];
    list.push(id);
    byRack.set(rack, list);
  }
  const racks = [...byRack.keys()].sort();
  const iters = racks.map((r) => byRack.get(r)!.sort((a, b) => a - b));
  const cursor = racks.map(() => 0);
  const result: number[] = [];
  for (let i = 0; result.length < brokerRacks.size; i = (i + 1) % racks.length) {
    if (cursor[i]! < iters[i]!.length) result.push(iters[i]![cursor[i]!++]!);
  }
  return result;
}

function replicaIndex(firstReplicaIndex: number, secondReplicaShift: number, replicaIdx: number, nBrokers: number): number {
  const shift = 1 + ((secondReplicaShift + replicaIdx) % (nBrokers - 1));
  return (firstReplicaIndex + shift) % nBrokers;
}

export interface AssignOptions {
  /** Kafka's fixedStartIndex: >= 0 fixes both the start index and the initial shift. */
  fixedStartIndex?: number;
  /** The first partition id to assign (CreatePartitions continues from the current count). */
  startPartitionId?: number;
  /** 'enforced' (Kafka's default) refuses brokers with and without racks mixed; 'disabled' ignores racks. */
  rackAwareMode?: 'enforced' | 'disabled';
  random?: (n: number) => number;
}

/** Returns replicas[i] for partitions startPartitionId … startPartitionId + nPartitions - 1. */
export function assignReplicasToBrokers(brokers: BrokerRack[], nPartitions: number, replicationFactor: number, opts: AssignOptions = {}): number[][] {
  if (nPartitions <= 0) throw new ReplicaAssignmentError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions must be larger than 0.');
  if (replicationFactor <= 0) throw new ReplicaAssignmentError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0.');
  if (replicationFactor > brokers.length) {
    throw new ReplicaAssignmentError(
      ErrorCode.INVALID_REPLICATION_FACTOR,
      `Replication factor: ${replicationFactor} larger than available brokers: ${brokers.length}.`,
    );
  }
  const random = opts.random ?? ((n: number) => Math.floor(Math.random() * n));
  const fixed = opts.fixedStartIndex ?? -1;
  const startPartitionId = opts.startPartitionId ?? -1;
  const withRack = brokers.filter((b) => b.rack !== null);
  const rackAware = opts.rackAwareMode !== 'disabled' && withRack.length > 0;
  if (rackAware && withRack.length !== brokers.length) {
    throw new ReplicaAssignmentError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Not all brokers have rack information for replica rack aware assignment.');
  }
  if (!rackAware) {
    const ids = brokers.map((b) => b.id).sort((a, b) => a - b);
    return assignRackUnaware(ids, nPartitions, replicationFactor, fixed, startPartitionId, random);
  }
  return assignRackAware(new Map(brokers.map((b) => [b.id, b.rack!])), nPartitions, replicationFactor, fixed, startPartitionId, random);
}

function assignRackUnaware(ids: number[], nPartitions: number, rf: number, fixed: number, startPartitionId: number, random: (n: number) => number): number[][] {
  const n = ids.length;
  const startIndex = fixed >= 0 ? fixed : random(n);
  let currentPartitionId = Math.max(0, startPartitionId);
  let nextReplicaShift = fixed >= 0 ? fixed : random(n);
  const out: number[][] = [];
  for (let i = 0; i < nPartitions; i++) {
    if (currentPartitionId > 0 && currentPartitionId % n === 0) nextReplicaShift += 1;
    const first = (currentPartitionId + startIndex) % n;
    const replicas = [ids[first]!];
    for (let j = 0; j < rf - 1; j++) replicas.push(ids[replicaIndex(first, nextReplicaShift, j, n)]!);
    out.push(replicas);
    currentPartitionId++;
  }
  return out;
}

function assignRackAware(
  brokerRacks: Map<number, string>,
  nPartitions: number,
  rf: number,
  fixed: number,
  startPartitionId: number,
  random: (n: number) => number,
): number[][] {
  const numRacks = new Set(brokerRacks.values()).size;
  const arranged = rackAlternatedBrokerList(brokerRacks);
  const n = arranged.length;
  const startIndex = fixed >= 0 ? fixed : random(n);
  let currentPartitionId = Math.max(0, startPartitionId);
  let nextReplicaShift = fixed >= 0 ? fixed : random(n);
  const out: number[][] = [];
  for (let i = 0; i < nPartitions; i++) {
    if (currentPartitionId > 0 && currentPartitionId % n === 0) nextReplicaShift += 1;
    const first = (currentPartitionId + startIndex) % n;
    const leader = arranged[first]!;
    const replicas = [leader];
    const racksWithReplicas = new Set([brokerRacks.get(leader)!]);
    const brokersWithReplicas = new Set([leader]);
    let k = 0;
    for (let r = 0; r < rf - 1; r++) {
      for (;;) {
        const broker = arranged[replicaIndex(first, nextReplicaShift * numRacks, k, n)]!;
        const rack = brokerRacks.get(broker)!;
        k++;
        // Skip a broker whose rack already has a replica while another rack has none, or that
        // already has one while another broker has none.
        if ((!racksWithReplicas.has(rack) || racksWithReplicas.size === numRacks) && (!brokersWithReplicas.has(broker) || brokersWithReplicas.size === n)) {
          replicas.push(broker);
          racksWithReplicas.add(rack);
          brokersWithReplicas.add(broker);
          break;
        }
      }
    }
    out.push(replicas);
    currentPartitionId++;
  }
  return out;
}
