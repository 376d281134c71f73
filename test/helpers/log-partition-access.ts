// Test adapter: InternalPartitionAccess over bare PartitionLogs, so coordinator unit tests run the
// coordinator runtime without a broker (the broker wires src/cluster/partition-manager.ts). It
// uses the storage functions as the partition layer does:
// appendCoordinatorBatch for coordinator batches (epoch-checked when they carry a producer id),
// appendTxnMarker for markers, log.read up to the high watermark for replays.
import { ErrorCode } from '../../protocol/errors.js';
import { appendCoordinatorBatch, appendTxnMarker, type ProducerAppend } from '../../storage/log/producer-state/append-with-state.js';
import type { PartitionLog } from '../../storage/log/partition-log.js';
import type { InternalAppendResult, InternalPartitionAccess, InternalReadResult, MarkerSpec, PartitionOffsets, TopicPartition } from '../../src/cluster/partition-api.js';

/** What the adapter needs of the broker: its local partitions by name. */
export interface LocalPartitions {
  partition(topic: string, index: number): { log: PartitionLog; leaderEpoch: number } | undefined;
}

const unknown = (tp: TopicPartition): InternalAppendResult => ({
  errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  baseOffset: -1,
  lastOffset: -1,
  errorMessage: `${tp.topic}-${tp.partition} is not on this broker`,
});

/** A producer-state append as the contract's result: rejected, storage error, or written. */
async function settle(r: ProducerAppend): Promise<InternalAppendResult> {
  if (r.errorCode !== ErrorCode.NONE) return { errorCode: r.errorCode, baseOffset: -1, lastOffset: -1, errorMessage: r.errorMessage ?? undefined };
  const res = r.result!;
  if (res.error === 'RECORD_BATCH_TOO_LARGE') return { errorCode: ErrorCode.RECORD_LIST_TOO_LARGE, baseOffset: -1, lastOffset: -1 };
  if (res.error) return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, baseOffset: -1, lastOffset: -1, errorMessage: res.error };
  try {
    await res.written;
  } catch (e) {
    return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, baseOffset: -1, lastOffset: -1, errorMessage: (e as Error).message };
  }
  return { errorCode: ErrorCode.NONE, baseOffset: res.baseOffset, lastOffset: res.lastOffset };
}

export class LogPartitionAccess implements InternalPartitionAccess {
  constructor(private readonly local: LocalPartitions) {}

  appendInternal(tp: TopicPartition, records: Buffer): Promise<InternalAppendResult> {
    const p = this.local.partition(tp.topic, tp.partition);
    if (!p) return Promise.resolve(unknown(tp));
    // Synchronous up to here: the offsets are assigned before this returns (call order = log order).
    return settle(appendCoordinatorBatch(p.log, records, p.leaderEpoch, Date.now()));
  }

  appendMarker(tp: TopicPartition, marker: MarkerSpec): Promise<InternalAppendResult> {
    const p = this.local.partition(tp.topic, tp.partition);
    if (!p) return Promise.resolve(unknown(tp));
    return settle(appendTxnMarker(p.log, marker, p.leaderEpoch, Date.now()));
  }

  async readInternal(tp: TopicPartition, fetchOffset: number, maxBytes: number): Promise<InternalReadResult> {
    const p = this.local.partition(tp.topic, tp.partition);
    if (!p) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, records: Buffer.alloc(0), highWatermark: -1, logStartOffset: -1 };
    const log = p.log;
    const r = await log.read(fetchOffset, maxBytes, log.highWatermark, true);
    return { errorCode: r.error ? ErrorCode[r.error] : ErrorCode.NONE, records: r.records, highWatermark: r.highWatermark, logStartOffset: r.logStartOffset };
  }

  offsets(tp: TopicPartition): PartitionOffsets | undefined {
    const p = this.local.partition(tp.topic, tp.partition);
    if (!p) return undefined;
    return { logStartOffset: p.log.logStartOffset, highWatermark: p.log.highWatermark, logEndOffset: p.log.logEndOffset, leaderEpoch: p.leaderEpoch };
  }
}
