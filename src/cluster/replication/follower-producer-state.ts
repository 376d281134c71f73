// Followers rebuild producer state from the batches they replicate (Kafka's
// UnifiedLog.appendAsFollower with AppendOrigin.REPLICATION): each producer's epoch and last five
// sequence ranges, its open transaction (so the follower's LSO is right), and COMMIT/ABORT markers
// (an aborted transaction goes into the aborted-transactions index). A follower that becomes
// leader then fences stale epochs, answers an idempotent retry of a batch it replicated with the
// original offsets, and serves read_committed correctly — without rereading its log.
import { ATTR_CONTROL, type BatchInfo } from '../../../protocol/records/batch-header.js';
import { decodeControlRecord, decodeRecordBatch } from '../../../protocol/records/record-codec.js';
import type { ProducerStateManager } from '../../../storage/log/producer-state/producer-state-manager.js';

/** Applies the batches just appended as a follower (leader-assigned offsets), in log order. No validation: the leader checked them. */
export function applyReplicatedBatches(producers: ProducerStateManager, records: Buffer, batches: readonly BatchInfo[]): void {
  for (const b of batches) {
    // Batches without a producer id (plain producers, coordinator records) cost one comparison.
    if (b.producerId < 0) continue;
    if ((b.attributes & ATTR_CONTROL) === 0) {
      producers.replayDataBatch(b);
      continue;
    }
    const batch = decodeRecordBatch(records, b.position);
    const marker = batch.records.length > 0 ? decodeControlRecord(batch.records[0]!) : null;
    if (marker) producers.applyMarker(b.producerId, b.producerEpoch, marker.coordinatorEpoch, marker.type === 'ABORT', b.baseOffset, b.maxTimestamp);
  }
}
