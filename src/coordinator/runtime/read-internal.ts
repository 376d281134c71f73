// The one replay loop over a partition through InternalPartitionAccess: whole batches from an
// offset up to the high watermark seen at the start (what was written before the load began).
import { ErrorCode } from '../../../protocol/errors.js';
import { decodeRecordBatches, type DecodedBatch, type DecodedRecord } from '../../../protocol/records/record-codec.js';
import type { InternalPartitionAccess, TopicPartition } from '../../cluster/partition-api.js';
import type { CoordinatorRecord, OpenTransactions } from './record-log.js';
import { TxnOffsetsReplay } from './txn-replay.js';

const READ_BYTES = 1 << 20;

/**
 * Calls `onBatch` for every batch of `tp` in [max(from, log start), high watermark), control
 * batches included. Returns the offset after the last batch read (`from` when the partition is
 * unknown). Throws on a storage error: a coordinator must not serve a partition it could not load.
 */
export async function readBatches(access: InternalPartitionAccess, tp: TopicPartition, from: number, onBatch: (b: DecodedBatch) => void): Promise<number> {
  const o = access.offsets(tp);
  if (!o) return from;
  const end = o.highWatermark;
  let offset = Math.max(from, o.logStartOffset);
  while (offset < end) {
    const r = await access.readInternal(tp, offset, READ_BYTES);
    if (r.errorCode !== ErrorCode.NONE) throw new Error(`reading ${tp.topic}-${tp.partition} at ${offset}: error ${r.errorCode}`);
    if (r.records.length === 0) break;
    for (const batch of decodeRecordBatches(r.records)) {
      if (batch.baseOffset >= end) return offset;
      onBatch(batch);
      offset = batch.baseOffset + batch.lastOffsetDelta + 1;
    }
  }
  return offset;
}

/**
 * Every record from `from` on (read_uncommitted, control batches skipped), with its batch.
 * For internal topics that are not written transactionally (the aggregation stage's).
 */
export function readRecords(
  access: InternalPartitionAccess,
  tp: TopicPartition,
  from: number,
  onRecord: (r: DecodedRecord, batch: DecodedBatch) => void,
): Promise<number> {
  return readBatches(access, tp, from, (batch) => {
    if (batch.control) return;
    for (const rec of batch.records) if (rec.offset >= from) onRecord(rec, batch);
  });
}

/**
 * A coordinator's load: every keyed record of the partition in log order, transactional ones at
 * their COMMIT marker (see txn-replay.ts); returns the transactions still open at the end.
 */
export async function replayCoordinatorRecords(access: InternalPartitionAccess, tp: TopicPartition, onRecord: (r: CoordinatorRecord) => void): Promise<OpenTransactions> {
  const txns = new TxnOffsetsReplay();
  await readBatches(access, tp, 0, (batch) => txns.accept(batch, onRecord));
  return txns.openTransactions();
}
