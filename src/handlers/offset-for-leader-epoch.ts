// OffsetForLeaderEpoch (v0-4): the end offset of a leader epoch, from the leader epoch cache
// (Kafka's LeaderEpochFileCache.endOffsetFor). Consumers use it to detect log truncation after a
// leader change (KIP-320), followers to find where to truncate.
//
//   currentLeaderEpoch (v2+, -1 = not given)   result
//   ─────────────────────────────────────────  ─────────────────────────
//   < partition's epoch                         FENCED_LEADER_EPOCH
//   > partition's epoch                         UNKNOWN_LEADER_EPOCH
//   unknown topic or partition                  UNKNOWN_TOPIC_OR_PARTITION
//   otherwise                                   NONE, (epoch, endOffset) or (-1, -1) if unknown
//
// Kafka writes an epoch entry (epoch, LEO) the moment a replica becomes leader, so even a log
// that has not been appended to in its current epoch knows where that epoch starts. Here the
// cache only learns an epoch from the first append, so the handler supplies that implicit
// entry: the partition's current epoch starts at the LEO when the cache has not seen it yet.
import { ErrorCode } from '../../protocol/errors.js';
import type {
  OffsetForLeaderEpochRequest,
  OffsetForLeaderEpochResponse,
  OffsetForLeaderEpochResponseEpochEndOffset as EpochEndOffset,
} from '../../protocol/generated/offset-for-leader-epoch.js';
import type { Broker } from '../broker.js';
import type { Partition } from '../cluster/partition.js';
import type { ApiHandler } from '../network/request-context.js';

const UNDEFINED_EPOCH = -1;
const UNDEFINED_OFFSET = -1;
const NO_EPOCH = -1;

export function offsetForLeaderEpochHandler(broker: Broker): ApiHandler<OffsetForLeaderEpochRequest> {
  return {
    apiKey: 23,
    minVersion: 0,
    maxVersion: 4,
    handle(ctx, req): OffsetForLeaderEpochResponse {
      const v = ctx.header.apiVersion;
      const topics = req.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p): EpochEndOffset => {
          const fail = (errorCode: number): EpochEndOffset => ({ errorCode, partition: p.partition, leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_OFFSET });
          const partition = broker.partition(t.topic, p.partition);
          if (!partition) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          const current = v >= 2 ? p.currentLeaderEpoch : NO_EPOCH;
          if (current !== NO_EPOCH && current < partition.leaderEpoch) return fail(ErrorCode.FENCED_LEADER_EPOCH);
          if (current !== NO_EPOCH && current > partition.leaderEpoch) return fail(ErrorCode.UNKNOWN_LEADER_EPOCH);
          const { epoch, endOffset } = endOffsetForEpoch(partition, p.leaderEpoch);
          return { errorCode: ErrorCode.NONE, partition: p.partition, leaderEpoch: epoch, endOffset };
        }),
      }));
      return { throttleTimeMs: 0, topics };
    },
  };
}

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
