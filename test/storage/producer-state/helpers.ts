// Batches with producer ids for the producer-state tests, built with the protocol's batch builder.
import { buildRecordBatch } from '../../../protocol/records/batch-builder.js';
import { scanBatches, type BatchInfo } from '../../../protocol/records/batch-header.js';

export interface ProducerBatchOptions {
  pid: number;
  epoch?: number;
  seq: number;
  count?: number;
  txn?: boolean;
  timestamp?: number;
  tag?: string;
  /** Keyed records instead of `count` generated values. */
  records?: { key: string; value: string | null }[];
}

export function producerBatch(o: ProducerBatchOptions): { records: Buffer; batches: BatchInfo[] } {
  const count = o.count ?? 1;
  const ts = o.timestamp ?? 1_000;
  const records = buildRecordBatch({
    producerId: o.pid,
    producerEpoch: o.epoch ?? 0,
    baseSequence: o.seq,
    transactional: o.txn ?? false,
    records: o.records
      ? o.records.map((r, i) => ({ key: Buffer.from(r.key), value: r.value === null ? null : Buffer.from(r.value), timestamp: ts + i }))
      : Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.from(`${o.tag ?? 'v'}-${o.seq + i}`), timestamp: ts + i })),
  });
  const scan = scanBatches(records);
  if (scan.error) throw new Error(scan.error);
  return { records, batches: scan.batches };
}
