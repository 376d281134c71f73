// The coordinators' internal topics and how each is created (compacted; partition count and
// segment size from the broker config). Shared by the group and transaction coordinators, which
// each write into the other's topic: transaction markers and TxnOffsetCommit batches go to
// __consumer_offsets.
import type { InternalTopicSpec } from '../runtime/coordinator-runtime.js';

export const OFFSETS_TOPIC = '__consumer_offsets';
export const TXN_STATE_TOPIC = '__transaction_state';

/** The replication factor applies in cluster mode (a single broker creates them with one replica). */
export function offsetsTopicSpec(numPartitions: number, segmentBytes: number, replicationFactor = 1): InternalTopicSpec {
  return { name: OFFSETS_TOPIC, numPartitions, replicationFactor, configs: { 'cleanup.policy': 'compact', 'segment.bytes': String(segmentBytes) } };
}

/** As Kafka: min.insync.replicas of __transaction_state is transaction.state.log.min.isr (cluster mode only). */
export function txnStateTopicSpec(numPartitions: number, segmentBytes: number, replicationFactor = 1, minIsr?: number): InternalTopicSpec {
  const configs: Record<string, string> = { 'cleanup.policy': 'compact', 'segment.bytes': String(segmentBytes) };
  if (minIsr !== undefined) configs['min.insync.replicas'] = String(minIsr);
  return { name: TXN_STATE_TOPIC, numPartitions, replicationFactor, configs };
}
