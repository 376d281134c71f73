// The one topic-partition key of the broker (issue 12): every map keyed by a partition uses
// tpKey(). NUL cannot occur in a topic name (or a topic id), so "topic\0partition" is unambiguous,
// unlike "topic-partition" or "partition:topic", and cheap to build on the hot path.
export type { TopicPartition } from './partition-api.js';

export function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
