// The one topic-partition key of the broker (issue 12): every map keyed by a partition uses
// tpKey(). NUL cannot occur in a topic name (or a topic id), so "topic\0partition" is unambiguous,
// unlike "topic-partition" or "partition:topic", and cheap to build on the hot path.
export type { TopicPartition } from './partition-api.js';

// The last key built, returned again for the same topic and partition: a producer's requests name
// the same partition over and over, and a fresh concatenated string per request is garbage and a
// hash computed again for each Map lookup (issue 14, per-request cost). Strings are immutable, so
// handing out the same one is indistinguishable from building it anew.
let lastTopic = '';
let lastPartition = -1;
let lastKey = '\u0000-1';

export function tpKey(topic: string, partition: number): string {
  if (topic === lastTopic && partition === lastPartition) return lastKey;
  lastTopic = topic;
  lastPartition = partition;
  lastKey = `${topic}\u0000${partition}`;
  return lastKey;
}
