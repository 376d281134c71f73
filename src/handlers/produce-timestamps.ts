// message.timestamp.before.max.ms / message.timestamp.after.max.ms for CreateTime topics, as
// Kafka's LogValidator.validateTimestamp: a record timestamped outside [now - before, now + after]
// fails its batch with INVALID_TIMESTAMP and one record error per offending record. The hot path
// reads only the batch header's maxTimestamp (after.max defaults to 1 hour since Kafka 4.0);
// records are decoded only to name the offenders, or when before.max is set (off by default).
import { ErrorCode } from '../../protocol/errors.js';
import type { BatchInfo } from '../../protocol/records/batch-header.js';
import { decodeRecordBatch } from '../../protocol/records/record-codec.js';

const NO_TIMESTAMP = -1;

export interface TimestampViolation {
  errorCode: number;
  errorMessage: string;
  recordErrors: { batchIndex: number; batchIndexErrorMessage: string }[];
}

export function checkRecordTimestamps(
  data: Buffer,
  batches: BatchInfo[],
  opts: { timestampType: string; beforeMaxMs: number; afterMaxMs: number; now: number },
): TimestampViolation | null {
  if (opts.timestampType !== 'CreateTime') return null;
  const lowest = opts.now - opts.beforeMaxMs;
  const highest = opts.now + opts.afterMaxMs;
  // With the default before.max (Long.MAX_VALUE) no real timestamp is too old.
  const checkOld = lowest > 0;
  let suspect = checkOld;
  for (const b of batches) if (b.maxTimestamp > highest) suspect = true;
  if (!suspect) return null;

  const recordErrors: TimestampViolation['recordErrors'] = [];
  let index = 0;
  for (const b of batches) {
    if ((b.attributes & 0x20) !== 0) continue; // control batches: written by coordinators only
    for (const r of decodeRecordBatch(data, b.position).records) {
      if (r.timestamp !== NO_TIMESTAMP && (r.timestamp < lowest || r.timestamp > highest)) {
        recordErrors.push({
          batchIndex: index,
          batchIndexErrorMessage: `Timestamp ${r.timestamp} of message with offset ${index} is out of range. The timestamp should be within [${lowest}, ${highest}]`,
        });
      }
      index++;
    }
  }
  if (recordErrors.length === 0) return null;
  return { errorCode: ErrorCode.INVALID_TIMESTAMP, errorMessage: recordErrors[0].batchIndexErrorMessage, recordErrors };
}
