// Cluster mode: fencing the aggregation stage's writes by ownership (issue 13). The stage runs on
// the leader of __tributary_aggregations-0; when that leadership moves, a write the old owner
// already sent (a changelog step, an output record, a status) could otherwise still land after
// the new owner read the partition back, and the two owners' histories would interleave.
//
// Kafka fences a zombie writer with its producer epoch (Kafka Streams' exactly-once producers, the
// transaction coordinator's epoch bump with abort markers on InitProducerId). The stage does the
// same with one reserved producer id and, as its epoch, the leader epoch of
// __tributary_aggregations-0 it runs under (every new owner's is higher than every earlier one's):
//
//   * before the new owner reads or writes a partition, it writes an ABORT marker for
//     (STAGE_PRODUCER_ID, epoch) there (acks=all) — a control batch consumers skip, which raises the
//     producer's epoch in the partition's producer state (storage/log/producer-state/);
//   * every batch it writes carries (STAGE_PRODUCER_ID, epoch, sequence), so the partition layer
//     answers INVALID_PRODUCER_EPOCH to any batch of an older owner that arrives after the marker.
//
// A stale write that landed before the marker is below the marker's offset, so the new owner's
// read-back (up to the high watermark, which passed the marker) sees it. Sequences start at 0 per
// partition and epoch; after a write whose outcome is unknown, the leader's producer state
// (DescribeProducers) tells where they continue.
import { crc32c } from '@node-rs/crc32';
import {
  BATCH_HEADER_SIZE,
  LOG_OVERHEAD,
  OFF_ATTRIBUTES,
  OFF_BASE_SEQUENCE,
  OFF_BATCH_LENGTH,
  OFF_CRC,
  OFF_LAST_OFFSET_DELTA,
  OFF_PRODUCER_EPOCH,
  OFF_PRODUCER_ID,
  writeInt64,
} from '../../protocol/records/batch-header.js';
import { CLUSTER_ID_RANGE } from '../coordinator/txn/producer-ids.js';

/**
 * The stage's producer id: the last range of 2^40 ids below 2^53, which no broker allocates from
 * (producer-ids.ts hands out ranges nodeId % 8191, i.e. 0..8190).
 */
export const STAGE_PRODUCER_ID = 8191 * CLUSTER_ID_RANGE;

/** A producer epoch is an int16. */
export const MAX_STAGE_EPOCH = 32_767;

/**
 * A copy of `records` (whole v2 batches) with the stage's producer id, `epoch` and sequences from
 * `firstSequence` on, CRCs recomputed. Returns the copy and the next sequence.
 */
export function stampBatches(records: Buffer, epoch: number, firstSequence: number): { bytes: Buffer; nextSequence: number } {
  const out = Buffer.from(records);
  let seq = firstSequence;
  for (let pos = 0; pos + BATCH_HEADER_SIZE <= out.length; ) {
    const size = LOG_OVERHEAD + out.readInt32BE(pos + OFF_BATCH_LENGTH);
    writeInt64(out, pos + OFF_PRODUCER_ID, STAGE_PRODUCER_ID);
    out.writeInt16BE(epoch, pos + OFF_PRODUCER_EPOCH);
    out.writeInt32BE(seq, pos + OFF_BASE_SEQUENCE);
    seq += out.readInt32BE(pos + OFF_LAST_OFFSET_DELTA) + 1;
    out.writeUInt32BE(crc32c(out.subarray(pos + OFF_ATTRIBUTES, pos + size)) >>> 0, pos + OFF_CRC);
    pos += size;
  }
  return { bytes: out, nextSequence: seq };
}
