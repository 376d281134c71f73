// The producer state of one partition (Kafka's ProducerStateManager + ProducerAppendInfo): who
// writes here, with which epoch and sequences, which transactions are open, and which were
// aborted (txn-index.ts). Checked and updated on every append of a batch that carries a producer
// id, from batch header fields only — records are never decoded on this path.
//
//   check (before the append)               apply (after offsets are assigned, same tick)
//   ─────────────────────────               ─────────────────────────────────────────────
//   same epoch + same seq range → duplicate  batch metadata pushed (last 5 kept)
//   epoch < current → INVALID_PRODUCER_EPOCH transactional + no open txn → txn opens at its offset
//   seq gap → OUT_OF_ORDER_SEQUENCE_NUMBER   marker → txn closes; ABORT → aborted index entry
//   plain batch inside a txn → INVALID_TXN_STATE
//
// The last stable offset is the first offset of the oldest open transaction (bounded by the HW
// by the log). Open transactions are kept in a Map in insertion order, which is offset order,
// so the oldest is always the first entry.
import { ErrorCode } from '../../../protocol/errors.js';
import {
  ATTR_TRANSACTIONAL,
  BATCH_HEADER_SIZE,
  LOG_OVERHEAD,
  OFF_BASE_OFFSET,
  OFF_BATCH_LENGTH,
  OFF_LAST_OFFSET_DELTA,
  readInt64,
  type BatchInfo,
} from '../../../protocol/records/batch-header.js';
import { SILENT_LOGGER, type StorageLogger } from '../logger.js';
import { TXN_INDEX_FILE, TxnIndex } from '../txn-index.js';
import { join } from 'node:path';
import { type BatchMetadata, NO_PRODUCER_EPOCH, NO_SEQUENCE, ProducerEntry, inSequence, lastSequenceOf } from './producer-entry.js';
import { ProducerStateStore } from './producer-state-store.js';

export type AppendOrigin = 'client' | 'coordinator' | 'replication';

export type BatchCheck =
  | { kind: 'ok'; beginsTxn: boolean }
  | { kind: 'duplicate'; batch: BatchMetadata }
  | { kind: 'error'; errorCode: number; message: string };

export interface CompletedTxn {
  producerId: number;
  firstOffset: number;
  lastOffset: number;
  aborted: boolean;
}

export interface ProducerDescription {
  producerId: number;
  producerEpoch: number;
  lastSequence: number;
  lastTimestamp: number;
  coordinatorEpoch: number;
  currentTxnStartOffset: number;
}

const OK: BatchCheck = Object.freeze({ kind: 'ok', beginsTxn: false });
const OK_BEGINS_TXN: BatchCheck = Object.freeze({ kind: 'ok', beginsTxn: true });

function fail(errorCode: number, message: string): BatchCheck {
  return { kind: 'error', errorCode, message };
}

export class ProducerStateManager {
  readonly producers = new Map<number, ProducerEntry>();
  /** Open transactions: producerId → first offset, in offset order. */
  private readonly ongoing = new Map<number, number>();
  readonly txnIndex: TxnIndex;
  /** Snapshots and recovery (producer-state-store.ts). */
  readonly store: ProducerStateStore;

  constructor(
    readonly dir: string,
    readonly logger: StorageLogger = SILENT_LOGGER,
  ) {
    this.txnIndex = new TxnIndex(join(dir, TXN_INDEX_FILE));
    this.store = new ProducerStateStore(this);
  }

  // ---- reads -------------------------------------------------------------------------------------

  /** First offset of the oldest open transaction, -1 when none is open. */
  firstUnstableOffset(): number {
    for (const first of this.ongoing.values()) return first;
    return -1;
  }

  get openTransactions(): number {
    return this.ongoing.size;
  }

  /** Whether `producerId` has an open transaction here (first transactional batch already written). */
  inTransaction(producerId: number): boolean {
    return this.ongoing.has(producerId);
  }

  entry(producerId: number): ProducerEntry | undefined {
    return this.producers.get(producerId);
  }

  /** Aborted transactions overlapping [fetchOffset, upperBound) for a read_committed fetch. */
  abortedTransactions(fetchOffset: number, upperBound: number): { producerId: number; firstOffset: number }[] {
    return this.txnIndex.size === 0 ? [] : this.txnIndex.collect(fetchOffset, upperBound);
  }

  /**
   * The aborted transactions a read_committed fetch returning `records` (whole batches starting at
   * or before `fetchOffset`) must carry: those overlapping [fetchOffset, end of the last batch].
   * Walks the batch length fields only.
   */
  abortedTransactionsForRead(fetchOffset: number, records: Buffer): { producerId: number; firstOffset: number }[] {
    if (records.length === 0 || this.txnIndex.size === 0) return [];
    let pos = 0;
    let upper = fetchOffset;
    while (pos + BATCH_HEADER_SIZE <= records.length) {
      upper = readInt64(records, pos + OFF_BASE_OFFSET) + records.readInt32BE(pos + OFF_LAST_OFFSET_DELTA) + 1;
      pos += LOG_OVERHEAD + records.readInt32BE(pos + OFF_BATCH_LENGTH);
    }
    return this.txnIndex.collect(fetchOffset, upper);
  }

  /** DescribeProducers. */
  describe(): ProducerDescription[] {
    return [...this.producers.values()].map((e) => ({
      producerId: e.producerId,
      producerEpoch: e.epoch,
      lastSequence: e.lastSeq,
      lastTimestamp: e.lastTimestamp,
      coordinatorEpoch: e.coordinatorEpoch,
      currentTxnStartOffset: e.currentTxnFirstOffset,
    }));
  }

  // ---- data batches (hot path) -------------------------------------------------------------------

  /**
   * Validates one batch with a producer id against the state (Kafka's analyzeAndValidateProducerState
   * + ProducerAppendInfo). A client batch that repeats one of the last 5 is a duplicate; the caller
   * answers with the original offsets and does not append.
   */
  checkDataBatch(b: BatchInfo, origin: AppendOrigin): BatchCheck {
    const pid = b.producerId;
    const e = this.producers.get(pid);
    const transactional = (b.attributes & ATTR_TRANSACTIONAL) !== 0;
    const lastSeq = lastSequenceOf(b.baseSequence, b.lastOffsetDelta);
    if (e === undefined) {
      // Unknown producer (new, expired or its data deleted): any sequence is accepted, as Kafka 2.5+.
      return transactional ? OK_BEGINS_TXN : OK;
    }
    if (origin === 'client') {
      const dup = e.findDuplicate(b.producerEpoch, b.baseSequence, lastSeq);
      if (dup) return { kind: 'duplicate', batch: dup };
    }
    if (b.producerEpoch < e.epoch && origin !== 'replication') {
      return fail(ErrorCode.INVALID_PRODUCER_EPOCH, `epoch ${b.producerEpoch} of producer ${pid} is older than the last seen epoch ${e.epoch}`);
    }
    if (origin === 'client') {
      if (b.producerEpoch !== e.epoch) {
        if (b.baseSequence !== 0 && e.epoch !== NO_PRODUCER_EPOCH) {
          return fail(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, `producer ${pid} started epoch ${b.producerEpoch} at sequence ${b.baseSequence}, not 0`);
        }
      } else if (e.epoch !== NO_PRODUCER_EPOCH && !inSequence(e.lastSeq, b.baseSequence)) {
        return fail(
          ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          `out of order sequence for producer ${pid}: ${b.baseSequence} (incoming), ${e.lastSeq} (current end)`,
        );
      }
    }
    if (e.currentTxnFirstOffset >= 0) {
      if (!transactional) return fail(ErrorCode.INVALID_TXN_STATE, `expected a transactional write from producer ${pid}`);
      return OK;
    }
    return transactional ? OK_BEGINS_TXN : OK;
  }

  /** Records an appended data batch (offsets as assigned). Call in the same tick as the append. */
  applyDataBatch(b: BatchInfo, firstOffset: number, lastOffset: number, timestamp: number, written?: Promise<void>): void {
    const pid = b.producerId;
    let e = this.producers.get(pid);
    if (e === undefined) this.producers.set(pid, (e = new ProducerEntry(pid)));
    const meta: BatchMetadata = {
      firstSeq: b.baseSequence,
      lastSeq: lastSequenceOf(b.baseSequence, b.lastOffsetDelta),
      lastOffset,
      offsetDelta: lastOffset - firstOffset,
      timestamp,
    };
    if (written) meta.written = written;
    e.addBatch(b.producerEpoch, meta);
    if ((b.attributes & ATTR_TRANSACTIONAL) !== 0 && e.currentTxnFirstOffset < 0) {
      e.currentTxnFirstOffset = firstOffset;
      this.ongoing.set(pid, firstOffset);
    }
  }

  // ---- transaction markers -----------------------------------------------------------------------

  /** Kafka's appendEndTxnMarker checks: marker epoch not older, coordinator epoch not older. */
  checkMarker(producerId: number, producerEpoch: number, coordinatorEpoch: number): { errorCode: number; message: string } | null {
    const e = this.producers.get(producerId);
    if (!e) return null;
    if (producerEpoch < e.epoch) {
      return { errorCode: ErrorCode.INVALID_PRODUCER_EPOCH, message: `marker epoch ${producerEpoch} of producer ${producerId} is older than ${e.epoch}` };
    }
    if (coordinatorEpoch < e.coordinatorEpoch) {
      return {
        errorCode: ErrorCode.TRANSACTION_COORDINATOR_FENCED,
        message: `marker coordinator epoch ${coordinatorEpoch} of producer ${producerId} is older than ${e.coordinatorEpoch}`,
      };
    }
    return null;
  }

  /**
   * Records an appended COMMIT/ABORT marker at `offset`: the producer's open transaction (if it
   * wrote here) ends; an aborted one goes into the aborted-transactions index.
   */
  applyMarker(producerId: number, producerEpoch: number, coordinatorEpoch: number, aborted: boolean, offset: number, timestamp: number): CompletedTxn | null {
    let e = this.producers.get(producerId);
    if (e === undefined) this.producers.set(producerId, (e = new ProducerEntry(producerId)));
    const first = e.currentTxnFirstOffset;
    e.maybeUpdateEpoch(producerEpoch);
    e.coordinatorEpoch = coordinatorEpoch;
    e.currentTxnFirstOffset = -1;
    e.lastTimestamp = timestamp;
    if (first < 0) return null;
    this.ongoing.delete(producerId);
    const done: CompletedTxn = { producerId, firstOffset: first, lastOffset: offset, aborted };
    if (aborted) {
      const next = this.firstUnstableOffset();
      this.txnIndex.append({ producerId, firstOffset: first, lastOffset: offset, lastStableOffset: next >= 0 ? next : offset + 1 });
    }
    return done;
  }

  // ---- maintenance ---------------------------------------------------------------------------------

  /** producer.id.expiration.ms: forgets idle producers without an open transaction. */
  removeExpiredProducers(now: number, expirationMs: number): number {
    let n = 0;
    for (const [pid, e] of this.producers) {
      if (e.currentTxnFirstOffset >= 0) continue;
      if (now - e.lastTimestamp >= expirationMs) {
        this.producers.delete(pid);
        n++;
      }
    }
    return n;
  }

  /** Replaces the whole state (snapshot load, truncation). */
  replaceAll(entries: Iterable<ProducerEntry>): void {
    this.producers.clear();
    this.ongoing.clear();
    const open: ProducerEntry[] = [];
    for (const e of entries) {
      this.producers.set(e.producerId, e);
      if (e.currentTxnFirstOffset >= 0) open.push(e);
    }
    open.sort((a, b) => a.currentTxnFirstOffset - b.currentTxnFirstOffset);
    for (const e of open) this.ongoing.set(e.producerId, e.currentTxnFirstOffset);
  }

  /** Replays a batch read back from the log (recovery): no validation, as Kafka's REPLICATION origin. */
  replayDataBatch(b: BatchInfo): void {
    this.applyDataBatch(b, b.baseOffset, b.baseOffset + b.lastOffsetDelta, b.maxTimestamp);
  }
}

export { NO_SEQUENCE };
