// One producer's state in one partition (Kafka's ProducerStateEntry): its epoch, the sequence
// ranges and offsets of its last 5 batches (the idempotent producer keeps at most 5 requests in
// flight, so a retry is always one of them), the coordinator epoch of the last marker, and the
// first offset of its open transaction.

/** Kafka's ProducerStateEntry.NUM_BATCHES_TO_RETAIN. */
export const NUM_BATCHES_TO_RETAIN = 5;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
const INT32_MAX = 0x7fffffff;

export interface BatchMetadata {
  firstSeq: number;
  lastSeq: number;
  lastOffset: number;
  /** lastOffset - firstOffset. */
  offsetDelta: number;
  /** Max timestamp of the batch (the append time for LogAppendTime topics). */
  timestamp: number;
  /** Live appends only: settles once the batch reached the OS, so a duplicate is answered after the original. */
  written?: Promise<void>;
}

/** Sequence numbers wrap at int32 max (DefaultRecordBatch.incrementSequence). */
export function incrementSequence(sequence: number, increment: number): number {
  if (sequence > INT32_MAX - increment) return increment - (INT32_MAX - sequence) - 1;
  return sequence + increment;
}

/** The batch's last sequence; NO_SEQUENCE stays NO_SEQUENCE (coordinator-written batches). */
export function lastSequenceOf(baseSequence: number, lastOffsetDelta: number): number {
  return baseSequence === NO_SEQUENCE ? NO_SEQUENCE : incrementSequence(baseSequence, lastOffsetDelta);
}

/** `next` directly follows `last` (with wrap-around). */
export function inSequence(last: number, next: number): boolean {
  return next === last + 1 || (next === 0 && last === INT32_MAX);
}

export class ProducerEntry {
  epoch = NO_PRODUCER_EPOCH;
  coordinatorEpoch = -1;
  lastTimestamp = -1;
  /** First offset of the open transaction in this partition, -1 when none. */
  currentTxnFirstOffset = -1;
  /** Oldest first, at most NUM_BATCHES_TO_RETAIN. */
  readonly batches: BatchMetadata[] = [];

  constructor(readonly producerId: number) {}

  get isEmpty(): boolean {
    return this.batches.length === 0;
  }

  get lastSeq(): number {
    return this.batches.length === 0 ? NO_SEQUENCE : this.batches[this.batches.length - 1]!.lastSeq;
  }

  get firstSeq(): number {
    return this.batches.length === 0 ? NO_SEQUENCE : this.batches[0]!.firstSeq;
  }

  get lastDataOffset(): number {
    return this.batches.length === 0 ? -1 : this.batches[this.batches.length - 1]!.lastOffset;
  }

  /** The retained batch with exactly this sequence range in this epoch (a retry), if any. */
  findDuplicate(epoch: number, firstSeq: number, lastSeq: number): BatchMetadata | undefined {
    if (epoch !== this.epoch) return undefined;
    for (const b of this.batches) if (b.firstSeq === firstSeq && b.lastSeq === lastSeq) return b;
    return undefined;
  }

  /** A new epoch starts with a clean sequence history. */
  maybeUpdateEpoch(epoch: number): void {
    if (epoch !== this.epoch) {
      this.batches.length = 0;
      this.epoch = epoch;
    }
  }

  addBatch(epoch: number, meta: BatchMetadata): void {
    this.maybeUpdateEpoch(epoch);
    if (this.batches.length === NUM_BATCHES_TO_RETAIN) this.batches.shift();
    this.batches.push(meta);
    this.lastTimestamp = meta.timestamp;
  }
}
