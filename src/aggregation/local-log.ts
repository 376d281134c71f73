// The stage's access to its internal topics, on the coordinator runtime (the same append and
// replay every coordinator uses, over the partition layer): append records as one batch, read a
// partition back from an offset, find or create a topic. In cluster mode the access is routed by
// leadership (cluster-routing.ts), so "local" means "through this broker", not "led here".
import { ErrorCode, errorName } from '../../protocol/errors.js';
import type { RecordInput } from '../../protocol/records/batch-builder.js';
import type { DecodedBatch, DecodedRecord } from '../../protocol/records/record-codec.js';
import type { InternalPartitionAccess } from '../cluster/partition-api.js';
import { appendRecords } from '../coordinator/runtime/append-internal.js';
import { readRecords } from '../coordinator/runtime/read-internal.js';
import type { AggregationDeps } from './stage-deps.js';
import { refreshOffsets } from './cluster-routing.js';

export type AppendOutcome = { ok: true; baseOffset: number; lastOffset: number } | { ok: false; error: string };

/** Appends `records` to one partition as ONE batch and waits until it is written. Never throws. */
export async function appendLocal(access: InternalPartitionAccess, topic: string, partition: number, records: RecordInput[], now = Date.now()): Promise<AppendOutcome> {
  const r = await appendRecords(access, { topic, partition }, records, now);
  if (r.errorCode === ErrorCode.NONE) return { ok: true, baseOffset: r.baseOffset, lastOffset: r.lastOffset };
  return { ok: false, error: `${errorName(r.errorCode)} appending to ${topic}-${partition}${r.errorMessage ? `: ${r.errorMessage}` : ''}` };
}

/** Creates the topic unless it exists; returns its record. */
export function ensureTopic(deps: Pick<AggregationDeps, 'runtime'>, name: string, partitions: number, configs: Record<string, string>): Promise<{ name: string; partitions: number }> {
  return deps.runtime.ensureTopic({ name, numPartitions: partitions, configs });
}

/**
 * Calls `onRecord` for every record of `topic-partition` in [from, high watermark), in order
 * (read_uncommitted: for the stage's own internal topics, which are not written transactionally).
 * Control batches are skipped. Returns the offset after the last record read.
 */
export async function readLocal(
  access: InternalPartitionAccess,
  topic: string,
  partition: number,
  from: number,
  onRecord: (r: DecodedRecord, batch: DecodedBatch) => void,
): Promise<number> {
  // Cluster mode: a partition led elsewhere is read up to its leader's current high watermark.
  await refreshOffsets(access, { topic, partition });
  return readRecords(access, { topic, partition }, from, onRecord);
}

export function headerValue(r: DecodedRecord, key: string): string | null {
  for (const h of r.headers) if (h.key === key) return h.value === null ? null : h.value.toString('utf8');
  return null;
}
