// A follower keeps the producer state of what it replicates (Kafka appends fetched batches with
// the REPLICATION origin: sequences recorded, not checked). Without it, a follower that becomes
// leader knows nothing of the producers the old leader served: an idempotent producer's retry of
// a batch already replicated is appended a second time (a duplicate), and its next batch is
// refused with OUT_OF_ORDER_SEQUENCE_NUMBER for good; open transactions are not tracked either.
import { ATTR_CONTROL, type BatchInfo } from '../../../protocol/records/batch-header.js';
import { decodeControlRecord, decodeRecordBatch } from '../../../protocol/records/record-codec.js';
import type { PartitionLog } from '../../../storage/log/partition-log.js';

/** After `batches` (inside `records`, as fetched from the leader) were appended as a follower. */
export function applyReplicatedProducerState(log: PartitionLog, records: Buffer, batches: BatchInfo[]): void {
  const state = log.producers;
  for (const b of batches) {
    if (b.producerId < 0) continue;
    if ((b.attributes & ATTR_CONTROL) === 0) {
      state.replayDataBatch(b);
      continue;
    }
    // Control batches are rare (one per transaction end per partition): decoding them is fine.
    let marker: ReturnType<typeof decodeControlRecord> = null;
    try {
      const batch = decodeRecordBatch(records, b.position);
      marker = batch.records.length > 0 ? decodeControlRecord(batch.records[0]!) : null;
    } catch {
      continue; // a damaged control record: as recovery does, the state stays what the data built
    }
    if (marker) {
      state.applyMarker(b.producerId, b.producerEpoch, marker.coordinatorEpoch, marker.type === 'ABORT', b.baseOffset, b.maxTimestamp);
    }
  }
}
