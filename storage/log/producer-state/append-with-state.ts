// Appends that go through the partition's producer state: client produce (idempotence and
// transactions), transaction markers and coordinator-written transactional batches (offset
// commits inside a transaction). Check, append and apply run in one synchronous stretch, so no
// other append can slip between the sequence check and the offset assignment.
//
// Hot path: a batch without a producer id goes straight to the log. A batch with one costs a map
// lookup and a few integer comparisons on header fields; records are never decoded.
import { ErrorCode } from '../../../protocol/errors.js';
import { buildControlBatch } from '../../../protocol/records/batch-builder.js';
import { ATTR_TRANSACTIONAL, readBatchHeader, scanBatches, type BatchInfo, type BatchScan } from '../../../protocol/records/batch-header.js';
import type { AppendResult } from '../log-types.js';
import type { PartitionLog } from '../partition-log.js';
import type { AppendOrigin } from './producer-state-manager.js';

export interface ProducerAppend {
  /** NONE when appended or recognised as a duplicate. */
  errorCode: number;
  errorMessage: string | null;
  /** The log's answer (it may carry its own storage error), or the original offsets of a duplicate. */
  result: AppendResult | null;
  duplicate: boolean;
}

export interface ClientAppendOptions {
  /**
   * KIP-890 verification, asked only for a producer's first transactional batch in this partition:
   * returns NONE when the transaction coordinator has the partition in that producer's open
   * transaction, else the error to answer (a late or stray write would otherwise open a
   * transaction no marker will ever close, and block the LSO forever).
   */
  verifyTxn?: (producerId: number, producerEpoch: number) => number;
  now?: number;
}

const RESOLVED = Promise.resolve();

function rejected(errorCode: number, errorMessage: string | null): ProducerAppend {
  return { errorCode, errorMessage, result: null, duplicate: false };
}

function appended(result: AppendResult): ProducerAppend {
  return { errorCode: ErrorCode.NONE, errorMessage: null, result, duplicate: false };
}

/** Produce: `batches` are the validated batches inside `records`. */
export function appendClientRecords(
  log: PartitionLog,
  records: Buffer,
  batches: BatchInfo[],
  leaderEpoch: number,
  opts: ClientAppendOptions = {},
): ProducerAppend {
  const now = opts.now ?? Date.now();
  if (batches.length !== 1 || batches[0]!.producerId < 0) {
    // Several batches only come from Produce v0-2 (or up-conversion), which cannot be idempotent.
    for (const b of batches) {
      if (b.producerId >= 0) return rejected(ErrorCode.INVALID_RECORD, 'idempotent batches must be sent one per partition (Produce v3+)');
      if ((b.attributes & ATTR_TRANSACTIONAL) !== 0) return rejected(ErrorCode.INVALID_RECORD, 'a transactional batch needs a producer id');
    }
    return appended(log.append(records, batches, leaderEpoch, now));
  }
  return appendStateful(log, records, batches[0]!, leaderEpoch, 'client', now, opts.verifyTxn);
}

function appendStateful(
  log: PartitionLog,
  records: Buffer,
  b: BatchInfo,
  leaderEpoch: number,
  origin: AppendOrigin,
  now: number,
  verifyTxn?: (producerId: number, producerEpoch: number) => number,
): ProducerAppend {
  const state = log.producers;
  const check = state.checkDataBatch(b, origin);
  if (check.kind === 'error') return rejected(check.errorCode, check.message);
  if (check.kind === 'duplicate') {
    const d = check.batch;
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      duplicate: true,
      result: {
        baseOffset: d.lastOffset - d.offsetDelta,
        lastOffset: d.lastOffset,
        logAppendTime: log.config.messageTimestampType === 'LogAppendTime' ? d.timestamp : -1,
        logStartOffset: log.logStartOffset,
        written: d.written ?? RESOLVED,
      },
    };
  }
  if (check.beginsTxn && verifyTxn) {
    const code = verifyTxn(b.producerId, b.producerEpoch);
    if (code !== ErrorCode.NONE) return rejected(code, `partition is not part of an ongoing transaction of producer ${b.producerId}`);
  }
  const result = log.append(records, [b], leaderEpoch, now);
  if (!result.error) {
    state.applyDataBatch(b, result.baseOffset, result.lastOffset, result.logAppendTime >= 0 ? result.logAppendTime : b.maxTimestamp, result.written);
  }
  return appended(result);
}

/**
 * A batch written by a coordinator on behalf of a transactional producer (TxnOffsetCommit into
 * __consumer_offsets): the epoch is checked, sequences are not (the batch has none).
 */
export function appendCoordinatorBatch(log: PartitionLog, records: Buffer, leaderEpoch: number, now: number = Date.now(), scanned?: BatchScan): ProducerAppend {
  // `scanned`: the caller's scan of these very bytes (the partition layer scans them to route them), not done twice.
  const scan = scanned ?? scanBatches(records, 0, records.length, false);
  if (scan.error !== null || scan.batches.length !== 1) return rejected(ErrorCode.CORRUPT_MESSAGE, 'coordinator batch must be exactly one batch');
  const b = scan.batches[0]!;
  if (b.producerId < 0) return appended(log.append(records, scan.batches, leaderEpoch, now));
  return appendStateful(log, records, b, leaderEpoch, 'coordinator', now);
}

export interface MarkerSpec {
  producerId: number;
  producerEpoch: number;
  coordinatorEpoch: number;
  committed: boolean;
}

/** WriteTxnMarkers for one partition: a COMMIT or ABORT control batch, then the producer's transaction ends here. */
export function appendTxnMarker(log: PartitionLog, m: MarkerSpec, leaderEpoch: number, now: number = Date.now()): ProducerAppend {
  const state = log.producers;
  const bad = state.checkMarker(m.producerId, m.producerEpoch, m.coordinatorEpoch);
  if (bad) return rejected(bad.errorCode, bad.message);
  const bytes = buildControlBatch({
    type: m.committed ? 'COMMIT' : 'ABORT',
    producerId: m.producerId,
    producerEpoch: m.producerEpoch,
    coordinatorEpoch: m.coordinatorEpoch,
    timestamp: now,
  });
  // Built just above: one whole batch, its header read directly (no scan).
  const result = log.append(bytes, [readBatchHeader(bytes, 0)], leaderEpoch, now);
  if (!result.error) state.applyMarker(m.producerId, m.producerEpoch, m.coordinatorEpoch, !m.committed, result.baseOffset, now);
  return appended(result);
}
