// Produce checks that need the records, not just the 61-byte header (Kafka's LogValidator):
//
//   batch                          | records walked?   | why
//   -------------------------------+-------------------+-----------------------------------------
//   compressed                     | always, inflated  | count, offsets, structure, bomb bound,
//                                  | within the bound  | true max timestamp (Kafka decompresses too)
//   uncompressed, compacted topic  | yes               | keyless records are refused
//   uncompressed, timestamp bounds | before.max: yes   | message.timestamp.before.max.ms (opt-in);
//                                  | after.max: header | after.max.ms reads the header's max
//   uncompressed, maxTimestamp <   | yes               | clients such as sarama send -1: the time
//     baseTimestamp (e.g. -1)      |                   | index and ListOffsets need the real max
//   uncompressed, anything else    | no                | zero-decode hot path
//
// With CreateTime, a max timestamp that differs from the header's is written back into the header
// (and the CRC recomputed), as Kafka's LogValidator does with setMaxTimestamp; with LogAppendTime
// the log overwrites it anyway.
import { ErrorCode } from '../../protocol/errors.js';
import { type BatchInfo, Compression, OFF_CRC, OFF_MAX_TIMESTAMP, batchCompression, computeBatchCrc, writeInt64 } from '../../protocol/records/batch-header.js';
import { inspectBatchRecords, produceInflateLimit } from '../../protocol/records/batch-records.js';
import { decodeRecordBatch } from '../../protocol/records/record-codec.js';
import { RecordsError } from '../../protocol/records/records-error.js';
import { LONG_MAX } from '../config/config-def.js';

export interface RecordPolicy {
  maxMessageBytes: number;
  compacted: boolean;
  logAppendTime: boolean;
  /** message.timestamp.before.max.ms / after.max.ms; LONG_MAX = unchecked. */
  timestampBeforeMaxMs: number;
  timestampAfterMaxMs: number;
}

export interface RecordError {
  batchIndex: number;
  batchIndexErrorMessage: string | null;
}

export interface RecordCheckFailure {
  errorCode: number;
  errorMessage: string;
  recordErrors: RecordError[];
}

function failure(errorCode: number, errorMessage: string, recordErrors: RecordError[] = []): RecordCheckFailure {
  return { errorCode, errorMessage, recordErrors };
}

/**
 * Checks the records of `batches` (already header-validated, inside `data`) where the table above
 * says so; may rewrite a batch's maxTimestamp in place (and its BatchInfo). Returns null when the
 * batches may be appended.
 */
export function checkBatchRecords(data: Buffer, batches: BatchInfo[], policy: RecordPolicy, topic: string, partition: number, now: number): RecordCheckFailure | null {
  const createTime = !policy.logAppendTime;
  const bounded = createTime && (policy.timestampBeforeMaxMs < LONG_MAX || policy.timestampAfterMaxMs < LONG_MAX);
  // after.max.ms is on by default (1 hour since Kafka 4.0): a consistent header's maxTimestamp
  // answers it without walking; only before.max.ms (off by default) needs every record's timestamp.
  const walkForBounds = createTime && policy.timestampBeforeMaxMs < LONG_MAX;
  const highestAllowed = createTime && policy.timestampAfterMaxMs < LONG_MAX ? now + policy.timestampAfterMaxMs : Number.POSITIVE_INFINITY;
  let recordIndex = 0; // index of the batch's first record among all records of this partition entry
  for (const b of batches) {
    const compressed = batchCompression(b.attributes) !== Compression.None;
    const suspectMax = createTime && b.maxTimestamp < b.baseTimestamp;
    if (!compressed && !policy.compacted && !walkForBounds && !suspectMax && b.maxTimestamp <= highestAllowed) {
      recordIndex += b.recordsCount;
      continue;
    }
    let summary;
    try {
      summary = inspectBatchRecords(data, b, produceInflateLimit(policy.maxMessageBytes));
    } catch (e) {
      if (!(e instanceof RecordsError)) throw e;
      return failure(e.errorCode, e.message);
    }
    if (policy.compacted && summary.firstKeylessIndex >= 0) {
      const message = 'Compacted topic cannot accept message without key';
      return failure(ErrorCode.INVALID_RECORD, `${message} in topic partition ${topic}-${partition}.`, [
        { batchIndex: recordIndex + summary.firstKeylessIndex, batchIndexErrorMessage: message },
      ]);
    }
    if (bounded) {
      const lowest = now - policy.timestampBeforeMaxMs;
      const highest = now + policy.timestampAfterMaxMs;
      if ((summary.minTimestampIndex >= 0 && summary.minTimestamp < lowest) || summary.maxTimestamp > highest) {
        return failure(ErrorCode.INVALID_TIMESTAMP, 'One or more records have been rejected due to invalid timestamp', outOfRange(data, b, recordIndex, lowest, highest, policy.maxMessageBytes));
      }
    }
    if (createTime && summary.maxTimestamp !== b.maxTimestamp) {
      writeInt64(data, b.position + OFF_MAX_TIMESTAMP, summary.maxTimestamp);
      data.writeUInt32BE(computeBatchCrc(data, b.position, b.size), b.position + OFF_CRC);
      b.maxTimestamp = summary.maxTimestamp;
    }
    recordIndex += b.recordsCount;
  }
  return null;
}

/** Every out-of-range record, as Kafka lists them (error path only, so a full decode is fine). */
function outOfRange(data: Buffer, b: BatchInfo, firstIndex: number, lowest: number, highest: number, maxMessageBytes: number): RecordError[] {
  const errors: RecordError[] = [];
  decodeRecordBatch(data, b.position, { verifyCrc: false, maxBytes: produceInflateLimit(maxMessageBytes) }).records.forEach((r, i) => {
    if (r.timestamp === -1 || (r.timestamp >= lowest && r.timestamp <= highest)) return;
    errors.push({
      batchIndex: firstIndex + i,
      batchIndexErrorMessage: `Timestamp ${r.timestamp} of message with offset ${r.offset} is out of range. The timestamp should be within [${lowest}, ${highest}]`,
    });
  });
  return errors;
}
