// Object keys of tiered data (Kafka's RemoteLogSegmentFileset layout, two objects per segment as
// the Aiven plugin does: the data and one container of all its indexes):
//
//   <topic>-<topicId>/<partition>/manifest.json                  (single broker)
//   <topic>-<topicId>/<partition>/manifest-<leader epoch, 10 digits>.json   (cluster: one per leader epoch)
//   <topic>-<topicId>/<partition>/<baseOffset, 20 digits>-<segment id, 32 hex>.log
//   <topic>-<topicId>/<partition>/<baseOffset, 20 digits>-<segment id, 32 hex>.indexes
//
// The topic id keeps a re-created topic of the same name apart from the old one's leftovers.
import { randomUUID } from 'node:crypto';

export const MANIFEST_NAME = 'manifest.json';

export function partitionPrefix(topic: string, topicId: string, partition: number): string {
  return `${topic}-${topicId}/${partition}/`;
}

export function topicPrefix(topic: string, topicId: string): string {
  return `${topic}-${topicId}/`;
}

export function manifestKey(topic: string, topicId: string, partition: number): string {
  return partitionPrefix(topic, topicId, partition) + MANIFEST_NAME;
}

/**
 * Cluster mode: each leader epoch writes its own manifest key, so a deposed leader can only ever
 * write the key of its own (older) epoch and never overwrites its successor's manifest; readers
 * take the highest epoch (Kafka fences RemoteLogSegmentMetadata by leader epoch the same way).
 */
export function epochManifestKey(prefix: string, leaderEpoch: number): string {
  return `${prefix}manifest-${String(leaderEpoch).padStart(10, '0')}.json`;
}

/** Every manifest key of a partition starts with this (list it to find the epochs). */
export function manifestKeysPrefix(prefix: string): string {
  return `${prefix}manifest`;
}

/** The leader epoch of a manifest key: -1 for the single-broker manifest.json, null for other keys. */
export function manifestEpochOfKey(key: string): number | null {
  if (key.endsWith(`/${MANIFEST_NAME}`)) return -1;
  const m = /\/manifest-(\d{10})\.json$/.exec(key);
  return m ? Number(m[1]) : null;
}

export interface SegmentKeys {
  log: string;
  indexes: string;
}

export function segmentKeys(prefix: string, baseOffset: number, id: string): SegmentKeys {
  const stem = `${prefix}${String(baseOffset).padStart(20, '0')}-${id}`;
  return { log: `${stem}.log`, indexes: `${stem}.indexes` };
}

/** The segment id in a segment object key, or null for any other key. */
export function segmentIdOfKey(key: string): string | null {
  const m = /\/\d{20}-([0-9a-f]{32})\.(log|indexes)$/.exec(key);
  return m ? m[1]! : null;
}

export function newSegmentId(): string {
  return randomUUID().replace(/-/g, '');
}
