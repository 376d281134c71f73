// One transactional id's state (Kafka's TransactionMetadata). A change is two steps, as in Kafka:
// prepareTransition() checks the state table and returns the target (a TxnTransit) while marking
// the id busy (pendingState); once the record is in __transaction_state, completeTransition()
// applies it. A request that finds the id busy gets CONCURRENT_TRANSACTIONS.
import { ErrorCode } from '../../../protocol/errors.js';
import { isValidTransition, type TxnState } from './txn-states.js';
import type { TxnLogValue } from './txn-records.js';

export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
const SHORT_MAX = 32767;
/** Transaction version 2 (KIP-890 part 2): EndTxn v5 clients, an epoch bump at every transaction end. */
export const TV2 = 2;

/** The state a transactional id moves to; written to the log, then applied. */
export interface TxnTransit {
  producerId: number;
  lastProducerId: number;
  producerEpoch: number;
  lastProducerEpoch: number;
  timeoutMs: number;
  state: TxnState;
  partitions: Map<string, Set<number>>;
  startTimestamp: number;
  lastUpdateTimestamp: number;
  /** The producer id taken over at Complete* when TV2 exhausted the epoch (else -1). */
  nextProducerId: number;
  /** 0-1: classic transactions; 2: KIP-890 part 2 (set by the request that starts or ends the transaction). */
  clientTransactionVersion: number;
}

export class TxnStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TxnStateError';
  }
}

export class TxnMetadata {
  producerId: number;
  lastProducerId = NO_PRODUCER_ID;
  producerEpoch: number;
  lastProducerEpoch = NO_PRODUCER_EPOCH;
  timeoutMs: number;
  state: TxnState;
  /** topic → partitions in the open transaction. */
  partitions = new Map<string, Set<number>>();
  startTimestamp = -1;
  lastUpdateTimestamp: number;
  nextProducerId = NO_PRODUCER_ID;
  clientTransactionVersion = 0;
  /** The transition being written, if any. */
  pendingState: TxnState | null = null;
  /** Bumped by every applied transition (a deferred write of an older state is dropped). */
  version = 0;
  /** The applied state is not in __transaction_state yet (a deferred Complete*, see txn-end.ts). */
  unpersisted = false;
  /** Its __transaction_state record key (the id never changes): encoded once, by txn-core. */
  logKey: Buffer | null = null;

  constructor(
    readonly transactionalId: string,
    init: { producerId: number; producerEpoch: number; timeoutMs: number; state: TxnState; now: number },
  ) {
    this.producerId = init.producerId;
    this.producerEpoch = init.producerEpoch;
    this.timeoutMs = init.timeoutMs;
    this.state = init.state;
    this.lastUpdateTimestamp = init.now;
  }

  static fromLog(transactionalId: string, v: TxnLogValue): TxnMetadata {
    const md = new TxnMetadata(transactionalId, { producerId: v.producerId, producerEpoch: v.producerEpoch, timeoutMs: v.timeoutMs, state: v.state, now: v.lastUpdateTimestamp });
    for (const t of v.partitions) md.partitions.set(t.topic, new Set(t.partitions));
    md.startTimestamp = v.startTimestamp;
    md.lastProducerId = v.previousProducerId ?? NO_PRODUCER_ID;
    md.nextProducerId = v.nextProducerId ?? NO_PRODUCER_ID;
    md.clientTransactionVersion = v.clientTransactionVersion ?? 0;
    return md;
  }

  get pending(): boolean {
    return this.pendingState !== null;
  }

  /** The epoch cannot be bumped any more: the next InitProducerId rotates to a new producer id. */
  get isEpochExhausted(): boolean {
    return this.producerEpoch >= SHORT_MAX - 1;
  }

  hasPartition(topic: string, partition: number): boolean {
    return this.partitions.get(topic)?.has(partition) ?? false;
  }

  partitionCount(): number {
    let n = 0;
    for (const s of this.partitions.values()) n += s.size;
    return n;
  }

  partitionList(): { topic: string; partitions: number[] }[] {
    return [...this.partitions].map(([topic, s]) => ({ topic, partitions: [...s].sort((a, b) => a - b) }));
  }

  /**
   * KIP-360: an InitProducerId carrying the producer's id and epoch is fenced unless this id was
   * just created, or the id matches, or it is a retry after an id rotation the producer missed.
   */
  isValidProducerId(producerId: number, epoch: number): boolean {
    return (
      this.producerEpoch === NO_PRODUCER_EPOCH ||
      producerId === this.producerId ||
      (producerId === this.lastProducerId && epoch >= SHORT_MAX - 1)
    );
  }

  toLogValue(t: TxnTransit): TxnLogValue {
    return {
      producerId: t.producerId,
      producerEpoch: t.producerEpoch,
      timeoutMs: t.timeoutMs,
      state: t.state,
      partitions: [...t.partitions].map(([topic, s]) => ({ topic, partitions: [...s].sort((a, b) => a - b) })),
      lastUpdateTimestamp: t.lastUpdateTimestamp,
      startTimestamp: t.startTimestamp,
      previousProducerId: t.lastProducerId,
      nextProducerId: t.nextProducerId,
      clientTransactionVersion: t.clientTransactionVersion,
    };
  }

  // ---- transitions ---------------------------------------------------------------------------------

  private current(): TxnTransit {
    return {
      producerId: this.producerId,
      lastProducerId: this.lastProducerId,
      producerEpoch: this.producerEpoch,
      lastProducerEpoch: this.lastProducerEpoch,
      timeoutMs: this.timeoutMs,
      state: this.state,
      partitions: this.partitions,
      startTimestamp: this.startTimestamp,
      lastUpdateTimestamp: this.lastUpdateTimestamp,
      nextProducerId: this.nextProducerId,
      clientTransactionVersion: this.clientTransactionVersion,
    };
  }

  /** Checks the state table and marks the id busy. Throws TxnStateError on an invalid transition (a bug). */
  prepareTransition(changes: Partial<TxnTransit> & { state: TxnState }): TxnTransit {
    if (this.pendingState !== null) throw new TxnStateError(`${this.transactionalId}: transition to ${this.pendingState} already in progress`);
    if (!isValidTransition(this.state, changes.state)) {
      throw new TxnStateError(`${this.transactionalId}: invalid transition ${this.state} -> ${changes.state}`);
    }
    this.pendingState = changes.state;
    return { ...this.current(), ...changes };
  }

  completeTransition(t: TxnTransit): void {
    this.producerId = t.producerId;
    this.lastProducerId = t.lastProducerId;
    this.producerEpoch = t.producerEpoch;
    this.lastProducerEpoch = t.lastProducerEpoch;
    this.timeoutMs = t.timeoutMs;
    this.state = t.state;
    this.partitions = t.partitions;
    this.startTimestamp = t.startTimestamp;
    this.lastUpdateTimestamp = t.lastUpdateTimestamp;
    this.nextProducerId = t.nextProducerId;
    this.clientTransactionVersion = t.clientTransactionVersion;
    this.pendingState = null;
    this.version++;
  }

  /** The write failed: the id is free again, unchanged. */
  abortTransition(): void {
    this.pendingState = null;
  }

  /**
   * InitProducerId with the same producer id: bump the epoch (Kafka's prepareIncrementProducerEpoch).
   * `expectedEpoch` is the producer's epoch from InitProducerId v3+ (null for a new producer).
   */
  prepareIncrementEpoch(timeoutMs: number, expectedEpoch: number | null, now: number): TxnTransit | number {
    const bumped = this.producerEpoch + 1;
    let epoch: number;
    let lastEpoch: number;
    if (expectedEpoch === null) {
      epoch = bumped;
      lastEpoch = NO_PRODUCER_EPOCH;
    } else if (this.producerEpoch === NO_PRODUCER_EPOCH || expectedEpoch === this.producerEpoch) {
      epoch = bumped;
      lastEpoch = this.producerEpoch;
    } else if (expectedEpoch === this.lastProducerEpoch) {
      // A retry of a bump whose answer the producer never got: return the current epoch again.
      epoch = this.producerEpoch;
      lastEpoch = this.lastProducerEpoch;
    } else {
      return ErrorCode.PRODUCER_FENCED;
    }
    return this.prepareTransition({
      state: 'Empty',
      producerEpoch: epoch,
      lastProducerEpoch: lastEpoch,
      timeoutMs,
      partitions: new Map(),
      startTimestamp: -1,
      lastUpdateTimestamp: now,
    });
  }

  /** The epoch is exhausted: a new producer id at epoch 0. */
  prepareProducerIdRotation(newProducerId: number, timeoutMs: number, now: number, recordLastEpoch: boolean): TxnTransit {
    return this.prepareTransition({
      state: 'Empty',
      producerId: newProducerId,
      lastProducerId: this.producerId,
      producerEpoch: 0,
      lastProducerEpoch: recordLastEpoch ? this.producerEpoch : NO_PRODUCER_EPOCH,
      timeoutMs,
      partitions: new Map(),
      startTimestamp: -1,
      lastUpdateTimestamp: now,
    });
  }

  /** AddPartitionsToTxn / AddOffsetsToTxn: the transaction starts (or grows). */
  prepareAddPartitions(add: { topic: string; partition: number }[], now: number, clientTransactionVersion = this.clientTransactionVersion): TxnTransit {
    const fresh = this.state === 'Empty' || this.state === 'CompleteCommit' || this.state === 'CompleteAbort';
    const parts = new Map<string, Set<number>>();
    if (!fresh) for (const [t, s] of this.partitions) parts.set(t, new Set(s));
    for (const a of add) {
      let s = parts.get(a.topic);
      if (!s) parts.set(a.topic, (s = new Set()));
      s.add(a.partition);
    }
    return this.prepareTransition({ state: 'Ongoing', partitions: parts, startTimestamp: fresh ? now : this.startTimestamp, lastUpdateTimestamp: now, clientTransactionVersion });
  }

  /**
   * EndTxn. With transaction version 2 the epoch is bumped (the markers carry the new epoch, so
   * the producer's old epoch is fenced everywhere the transaction wrote); when the epoch is
   * exhausted, `nextProducerId` is taken over at Complete* (Kafka's prepareAbortOrCommit).
   * `noPartitionAdded`: TV2 may abort a transaction that never started; its start time is now.
   */
  prepareAbortOrCommit(next: 'PrepareCommit' | 'PrepareAbort', now: number, clientTransactionVersion = this.clientTransactionVersion, nextProducerId = NO_PRODUCER_ID, noPartitionAdded = false): TxnTransit {
    const bump = clientTransactionVersion >= TV2;
    return this.prepareTransition({
      state: next,
      producerEpoch: bump ? this.producerEpoch + 1 : this.producerEpoch,
      lastProducerEpoch: bump ? this.producerEpoch : this.lastProducerEpoch,
      nextProducerId,
      clientTransactionVersion,
      partitions: noPartitionAdded ? new Map() : this.partitions,
      startTimestamp: noPartitionAdded ? now : this.startTimestamp,
      lastUpdateTimestamp: now,
    });
  }

  /**
   * Markers are written: the transaction is over and its partitions forgotten. A TV2 transaction
   * that exhausted the epoch moves to its next producer id at epoch 0; lastProducerEpoch keeps
   * the epoch the producer last saw, for a retried EndTxn.
   */
  prepareComplete(now: number): TxnTransit {
    const next = this.state === 'PrepareCommit' ? 'CompleteCommit' : 'CompleteAbort';
    const rotate = this.clientTransactionVersion >= TV2 && this.nextProducerId !== NO_PRODUCER_ID;
    return this.prepareTransition({
      state: next,
      partitions: new Map(),
      lastUpdateTimestamp: now,
      nextProducerId: NO_PRODUCER_ID,
      ...(rotate ? { producerId: this.nextProducerId, lastProducerId: this.producerId, producerEpoch: 0 } : {}),
    });
  }

  /** The producer id and epoch the producer uses after this transaction (EndTxn v5 answer). */
  get afterCompletion(): { producerId: number; producerEpoch: number } {
    if (this.nextProducerId !== NO_PRODUCER_ID && (this.state === 'PrepareCommit' || this.state === 'PrepareAbort')) return { producerId: this.nextProducerId, producerEpoch: 0 };
    return { producerId: this.producerId, producerEpoch: this.producerEpoch };
  }

  prepareDead(): TxnTransit {
    return this.prepareTransition({ state: 'Dead', partitions: new Map() });
  }
}
