// The coordinators' internal topics and how each is created (compacted; partition count and
// segment size from the broker config). Shared by the group and transaction coordinators, which
// each write into the other's topic: transaction markers and TxnOffsetCommit batches go to
// __consumer_offsets.
import type { InternalTopicSpec } from '../runtime/coordinator-runtime.js';

export const OFFSETS_TOPIC = '__consumer_offsets';
export const TXN_STATE_TOPIC = '__transaction_state';

export function offsetsTopicSpec(numPartitions: number, segmentBytes: number): InternalTopicSpec {
  return { name: OFFSETS_TOPIC, numPartitions, configs: { 'cleanup.policy': 'compact', 'segment.bytes': String(segmentBytes) } };
}

export function txnStateTopicSpec(numPartitions: number, segmentBytes: number): InternalTopicSpec {
  return { name: TXN_STATE_TOPIC, numPartitions, configs: { 'cleanup.policy': 'compact', 'segment.bytes': String(segmentBytes) } };
}
