// What the cleaner does with one batch (Kafka's MemoryRecords.filterTo driven by the Cleaner's
// RecordFilter). A record survives when
//   - it has a key (keyless records cannot be compacted and are dropped, as Kafka does), and
//   - no later record of the same key is in the offset map (offset >= map[key]), and
//   - it has a value, or it is a tombstone whose delete horizon has not passed.
// Records past map.latestOffset were not looked at and always survive.
//
// Delete horizon (KIP-534): the first time the cleaner keeps a batch holding a tombstone, it
// rewrites the batch with attribute bit 6 set and baseTimestamp = now + delete.retention.ms.
// Record timestamp deltas are re-based on that value, so every record keeps its timestamp and
// clients that ignore bit 6 still read the right times. A later pass at or after the horizon
// drops the tombstones. (Kafka's older rule, "last modified time of the segment the tombstone is
// in + delete.retention.ms", is not used.)
//
// Rewritten batches keep baseOffset, lastOffsetDelta (so the next offset and the producer's last
// sequence stay derivable), per-record offsets, compression codec, timestamp type, partition
// leader epoch, producer id/epoch, base sequence and the transactional flag. A batch losing no
// record is written back byte for byte.
//
// Transactions plug in through TransactionFilter, where Kafka's CleanedTransactionMetadata sits
// (producer-state/txn-cleaner-filter.ts): aborted transactional batches lose their records (and
// stay out of the offset map), and control batches (markers) are removed once their
// transaction's data is gone and delete.retention.ms has passed.
import {
  ATTR_DELETE_HORIZON,
  Compression,
  OFF_ATTRIBUTES,
  OFF_CRC,
  computeBatchCrc,
  isControlBatch,
  type BatchInfo,
} from '../../../protocol/records/batch-header.js';
import { buildRecordBatch } from '../../../protocol/records/batch-builder.js';
import { decodeRecordBatch, type DecodedBatch, type DecodedRecord } from '../../../protocol/records/record-codec.js';
import type { OffsetMap } from './offset-map.js';

export interface TransactionFilter {
  /** A data batch of an aborted transaction: its records go, and it is left out of the offset map. */
  isAborted(batch: BatchInfo): boolean;
  /** Whether a control batch (transaction marker) may be removed now. */
  discardControlBatch(batch: BatchInfo, now: number): boolean;
}

/** No transactions: nothing is aborted, every marker is kept (tests, logs without producer state). */
export const NO_TRANSACTIONS: TransactionFilter = {
  isAborted: () => false,
  discardControlBatch: () => false,
};

export interface FilterContext {
  map: OffsetMap;
  now: number;
  deleteRetentionMs: number;
  transactions: TransactionFilter;
}

export type BatchDecision =
  /** Write the original bytes unchanged. */
  | { kind: 'keep' }
  /** Write `bytes` instead (some records removed, or a delete horizon added). */
  | { kind: 'rewrite'; bytes: Buffer }
  /** No record survives; the cleaner decides whether the producer needs an empty batch kept. */
  | { kind: 'emptied'; batch: DecodedBatch }
  /** Remove the batch (a discardable control batch). */
  | { kind: 'drop' };

export interface FilterOutcome {
  decision: BatchDecision;
  recordsIn: number;
  recordsOut: number;
  /** Delete horizon of the written batch if it still holds tombstones, else null. */
  horizon: number | null;
}

export function hasDeleteHorizon(info: BatchInfo): boolean {
  return (info.attributes & ATTR_DELETE_HORIZON) !== 0;
}

/** `buf` holds the batch described by `info` (at info.position). Throws RecordsError on a corrupt batch. */
export function filterBatch(buf: Buffer, info: BatchInfo, ctx: FilterContext): FilterOutcome {
  if (isControlBatch(info.attributes)) {
    const drop = ctx.transactions.discardControlBatch(info, ctx.now);
    return { decision: drop ? { kind: 'drop' } : { kind: 'keep' }, recordsIn: info.recordsCount, recordsOut: drop ? 0 : info.recordsCount, horizon: null };
  }
  const batch = decodeRecordBatch(buf, info.position);
  const recordsIn = batch.records.length;
  if (ctx.transactions.isAborted(info)) return { decision: { kind: 'emptied', batch }, recordsIn, recordsOut: 0, horizon: null };

  const existingHorizon = hasDeleteHorizon(info) ? info.baseTimestamp : null;
  const retainDeletes = existingHorizon === null || ctx.now < existingHorizon;
  const kept: DecodedRecord[] = [];
  let keptTombstone = false;
  for (const r of batch.records) {
    if (!shouldRetain(r, ctx.map, retainDeletes)) continue;
    kept.push(r);
    if (r.value === null) keptTombstone = true;
  }
  if (kept.length === 0) return { decision: { kind: 'emptied', batch }, recordsIn, recordsOut: 0, horizon: null };
  const horizon = keptTombstone ? (existingHorizon ?? ctx.now + ctx.deleteRetentionMs) : null;
  if (kept.length === recordsIn && (!keptTombstone || existingHorizon !== null)) {
    return { decision: { kind: 'keep' }, recordsIn, recordsOut: recordsIn, horizon };
  }
  return { decision: { kind: 'rewrite', bytes: rebuildBatch(batch, kept, horizon) }, recordsIn, recordsOut: kept.length, horizon };
}

function shouldRetain(r: DecodedRecord, map: OffsetMap, retainDeletes: boolean): boolean {
  if (r.offset > map.latestOffset) return true;
  if (r.key === null) return false;
  if (r.offset < map.get(r.key)) return false;
  return r.value !== null || retainDeletes;
}

/**
 * The batch with only `records` (a subset, in order); with a horizon, bit 6 set and baseTimestamp
 * = horizon. An empty `records` gives Kafka's empty batch: header only, original timestamps.
 */
export function rebuildBatch(batch: DecodedBatch, records: DecodedRecord[], horizon: number | null): Buffer {
  const logAppendTime = batch.timestampType === 'LogAppendTime';
  const empty = records.length === 0;
  const buf = buildRecordBatch({
    baseOffset: batch.baseOffset,
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    // Kafka writes an empty batch uncompressed (writeEmptyHeader).
    compression: empty ? Compression.None : batch.compression,
    timestampType: batch.timestampType,
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    baseSequence: batch.baseSequence,
    transactional: batch.transactional,
    control: batch.control,
    records: records.map((r) => ({
      key: r.key,
      value: r.value,
      headers: r.headers,
      timestamp: r.timestamp,
      offsetDelta: r.offset - batch.baseOffset,
    })),
    baseTimestamp: horizon ?? (empty ? batch.baseTimestamp : undefined),
    // LogAppendTime: the batch's append time stays; CreateTime: the max of the records kept.
    maxTimestamp: logAppendTime || empty ? batch.maxTimestamp : undefined,
    lastOffsetDelta: batch.lastOffsetDelta,
  });
  if (horizon !== null) {
    buf.writeInt16BE(buf.readInt16BE(OFF_ATTRIBUTES) | ATTR_DELETE_HORIZON, OFF_ATTRIBUTES);
    buf.writeUInt32BE(computeBatchCrc(buf, 0, buf.length), OFF_CRC);
  }
  return buf;
}
