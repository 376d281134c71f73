// Object keys of tiered data (Kafka's RemoteLogSegmentFileset layout, two objects per segment as
// the Aiven plugin does: the data and one container of all its indexes):
//
//   <topic>-<topicId>/<partition>/manifest.json
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
