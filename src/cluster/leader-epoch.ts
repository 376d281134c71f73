// The end offset of a leader epoch (OffsetForLeaderEpoch), from the log's leader epoch cache
// (Kafka's LeaderEpochFileCache.endOffsetFor).
//
// Kafka writes an epoch entry (epoch, LEO) the moment a replica becomes leader, so even a log
// that has not been appended to in its current epoch knows where that epoch starts. Here the
// cache only learns an epoch from the first append, so the partition's current epoch is supplied
// as an implicit last entry starting at the LEO when the cache has not seen it yet.
import type { Partition } from './partition.js';

const UNDEFINED_EPOCH = -1;
const UNDEFINED_OFFSET = -1;

/** The cache's answer, with the partition's current epoch as an implicit last entry starting at the LEO. */
export function endOffsetForEpoch(partition: Partition, requested: number): { epoch: number; endOffset: number } {
  const log = partition.log;
  const found = log.endOffsetForEpoch(requested);
  const current = partition.leaderEpoch;
  if (requested === UNDEFINED_EPOCH || log.latestEpoch() >= current) return found;
  // The cache ends before the current epoch: entries (..., latest) + implicit (current, LEO).
  if (requested > current) return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_OFFSET };
  if (requested === current) return { epoch: current, endOffset: log.logEndOffset };
  if (found.endOffset !== UNDEFINED_OFFSET && requested !== log.latestEpoch()) return found;
  // Requested epoch at or after the cache's latest (or the cache is empty): it ends where the
  // current epoch starts, the LEO.
  const floor = log.epochEntries().filter((e) => e.epoch <= requested).pop();
  return { epoch: floor ? floor.epoch : requested, endOffset: log.logEndOffset };
}
