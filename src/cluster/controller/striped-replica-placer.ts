// KRaft's replica placement (Kafka 4.1's StripedReplicaPlacer), used by CreateTopics and
// CreatePartitions. Every registered broker is usable except those in controlled shutdown;
// fenced ones (registered, not live) are used only when their rack's unfenced ones are used up in
// this round (spreading over racks comes first), and never as the first replica (the leader):
// - brokers are grouped by rack (no rack is a rack of its own, sorted first), each rack holding a
//   sorted unfenced list and a sorted fenced list, each with a random start offset;
// - partition i starts at rack (offset + i) and takes its leader from the first rack with an
//   unfenced broker left in this round, then one replica per rack round-robin (unfenced first);
// - within a rack the lists advance one broker per partition (the "epoch"); after as many
//   partitions as there are unfenced brokers, racks and lists are shuffled so the same sets are
//   not repeated.
// Errors, in Kafka's order: RF <= 0, no unfenced broker ("All brokers are currently fenced."),
// RF > registered brokers; all INVALID_REPLICATION_FACTOR.
import { ErrorCode } from '../../../protocol/errors.js';

/** A placement Kafka refuses; `errorCode` is the Kafka error the request is answered with. */
export class ReplicaAssignmentError extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

export interface UsableBroker {
  id: number;
  rack: string | null;
  fenced: boolean;
}

/** Java's Random as the placer uses it: nextInt(bound), and a shuffle (Collections.shuffle). */
export interface PlacerRandom {
  nextInt(bound: number): number;
}

export const mathRandom: PlacerRandom = { nextInt: (bound) => Math.floor(Math.random() * bound) };

function shuffle<T>(list: T[], random: PlacerRandom): void {
  // Collections.shuffle: Fisher-Yates from the end.
  for (let i = list.length; i > 1; i--) {
    const j = random.nextInt(i);
    const t = list[i - 1]!;
    list[i - 1] = list[j]!;
    list[j] = t;
  }
}

class BrokerList {
  readonly brokers: number[] = [];
  /** How many brokers this iteration epoch has returned. */
  private index = 0;
  /** Added to the index (modulo the size) to find the entry to return. */
  private offset = 0;
  /** The last epoch seen: a new one restarts the iteration one broker further on. */
  private epoch = 0;

  initialize(random: PlacerRandom): void {
    if (this.brokers.length === 0) return;
    this.brokers.sort((a, b) => a - b);
    this.offset = random.nextInt(this.brokers.length);
  }

  shuffle(random: PlacerRandom): void {
    shuffle(this.brokers, random);
  }

  /** The next broker of this epoch, or -1 when every broker was returned in it. */
  next(epoch: number): number {
    const n = this.brokers.length;
    if (n === 0) return -1;
    if (this.epoch !== epoch) {
      this.epoch = epoch;
      this.index = 0;
      this.offset = (this.offset + 1) % n;
    }
    if (this.index >= n) return -1;
    return this.brokers[(this.index++ + this.offset) % n]!;
  }
}

class Rack {
  readonly fenced = new BrokerList();
  readonly unfenced = new BrokerList();

  /** Unfenced first: a fenced broker only when this rack has no unfenced one left in the epoch. */
  next(epoch: number): number {
    const r = this.unfenced.next(epoch);
    return r >= 0 ? r : this.fenced.next(epoch);
  }
}

/** Kafka's OptionalStringComparator: no rack first, then by name. */
function compareRacks(a: string | null, b: string | null): number {
  if (a === null) return b === null ? 0 : -1;
  if (b === null) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

class RackList {
  private readonly racks = new Map<string | null, Rack>();
  private readonly rackNames: (string | null)[] = [];
  readonly numTotalBrokers: number;
  readonly numUnfencedBrokers: number;
  private epoch = 0;
  private offset: number;

  constructor(
    private readonly random: PlacerRandom,
    brokers: readonly UsableBroker[],
  ) {
    let unfenced = 0;
    for (const b of brokers) {
      let rack = this.racks.get(b.rack);
      if (!rack) {
        this.rackNames.push(b.rack);
        this.racks.set(b.rack, (rack = new Rack()));
      }
      if (b.fenced) rack.fenced.brokers.push(b.id);
      else {
        rack.unfenced.brokers.push(b.id);
        unfenced++;
      }
    }
    for (const rack of this.racks.values()) {
      rack.fenced.initialize(random);
      rack.unfenced.initialize(random);
    }
    this.rackNames.sort(compareRacks);
    this.numTotalBrokers = brokers.length;
    this.numUnfencedBrokers = unfenced;
    this.offset = this.rackNames.length === 0 ? 0 : random.nextInt(this.rackNames.length);
  }

  place(replicationFactor: number): number[] {
    if (this.epoch === this.numUnfencedBrokers && this.numUnfencedBrokers > 1) {
      // As many partitions as unfenced brokers: mix racks and lists up to avoid repeating them.
      shuffle(this.rackNames, this.random);
      for (const rack of this.racks.values()) {
        rack.fenced.shuffle(this.random);
        rack.unfenced.shuffle(this.random);
      }
      this.epoch = 0;
    }
    if (this.offset === this.rackNames.length) this.offset = 0;
    const out: number[] = [];
    // The leader: the first rack, from the offset on, with an unfenced broker left this epoch.
    let firstRackIndex = this.offset;
    for (;;) {
      const result = this.racks.get(this.rackNames[firstRackIndex]!)!.unfenced.next(this.epoch);
      if (result >= 0) {
        out.push(result);
        break;
      }
      firstRackIndex++;
      if (firstRackIndex === this.rackNames.length) firstRackIndex = 0;
    }
    // The others: one rack after another from the offset, skipping the leader's rack once.
    let rackIndex = this.offset;
    for (let replica = 1; replica < replicationFactor; replica++) {
      let result = -1;
      do {
        if (rackIndex === firstRackIndex) firstRackIndex = -1;
        else result = this.racks.get(this.rackNames[rackIndex]!)!.next(this.epoch);
        rackIndex++;
        if (rackIndex === this.rackNames.length) rackIndex = 0;
      } while (result < 0);
      out.push(result);
    }
    this.epoch++;
    this.offset++;
    return out;
  }
}

/** replicas[i] for `nPartitions` new partitions (CreateTopics, or CreatePartitions' added ones). */
export function placeReplicas(brokers: readonly UsableBroker[], nPartitions: number, replicationFactor: number, random: PlacerRandom = mathRandom): number[][] {
  if (nPartitions <= 0) throw new ReplicaAssignmentError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.');
  if (replicationFactor <= 0) {
    throw new ReplicaAssignmentError(ErrorCode.INVALID_REPLICATION_FACTOR, `Invalid replication factor ${replicationFactor}: the replication factor must be positive.`);
  }
  const list = new RackList(random, brokers);
  // Kafka's controller prefixes the placer's messages (ReplicationControlManager.createTopic).
  const prefix = `Unable to replicate the partition ${replicationFactor} time(s): `;
  if (list.numUnfencedBrokers === 0) throw new ReplicaAssignmentError(ErrorCode.INVALID_REPLICATION_FACTOR, `${prefix}All brokers are currently fenced.`);
  if (replicationFactor > list.numTotalBrokers) {
    throw new ReplicaAssignmentError(
      ErrorCode.INVALID_REPLICATION_FACTOR,
      `${prefix}The target replication factor of ${replicationFactor} cannot be reached because only ${list.numTotalBrokers} broker(s) are registered.`,
    );
  }
  const out: number[][] = [];
  for (let p = 0; p < nPartitions; p++) out.push(list.place(replicationFactor));
  return out;
}
