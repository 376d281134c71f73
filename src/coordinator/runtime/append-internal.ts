// Building a coordinator's records into one v2 batch and appending it through the partition layer.
import { ErrorCode } from '../../../protocol/errors.js';
import { buildRecordBatch, type RecordInput } from '../../../protocol/records/batch-builder.js';
import type { InternalAppendResult, InternalPartitionAccess, TopicPartition } from '../../cluster/partition-api.js';

/** Appends `records` as ONE batch (timestamps default to `now`). Never rejects; an empty list writes nothing. */
export function appendRecords(access: InternalPartitionAccess, tp: TopicPartition, records: RecordInput[], now = Date.now()): Promise<InternalAppendResult> {
  if (records.length === 0) {
    const o = access.offsets(tp);
    if (!o) return Promise.resolve({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, baseOffset: -1, lastOffset: -1 });
    return Promise.resolve({ errorCode: ErrorCode.NONE, baseOffset: o.logEndOffset, lastOffset: o.logEndOffset - 1 });
  }
  let buf: Buffer;
  try {
    // One record without a timestamp (every transaction-state write): `now` as the batch's base
    // timestamp gives the record the same bytes, without a copied record list.
    buf = records.length === 1 && records[0]!.timestamp === undefined ? buildRecordBatch({ baseTimestamp: now, records }) : buildRecordBatch({ records: records.map((r) => ({ ...r, timestamp: r.timestamp ?? now })) });
  } catch (e) {
    return Promise.resolve({ errorCode: ErrorCode.INVALID_RECORD, baseOffset: -1, lastOffset: -1, errorMessage: `could not build batch: ${(e as Error).message}` });
  }
  return access.appendInternal(tp, buf);
}
