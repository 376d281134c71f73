// OffsetForLeaderEpoch (v0-4): the end offset of a leader epoch, from the leader epoch cache
// (Kafka's LeaderEpochFileCache.endOffsetFor), answered by the partition layer
// (src/cluster/leader-epoch.ts). Consumers use it to detect log truncation after a
// leader change (KIP-320), followers to find where to truncate.
//
//   currentLeaderEpoch (v2+, -1 = not given)   result
//   ─────────────────────────────────────────  ─────────────────────────
//   < partition's epoch                         FENCED_LEADER_EPOCH
//   > partition's epoch                         UNKNOWN_LEADER_EPOCH
//   unknown topic or partition                  UNKNOWN_TOPIC_OR_PARTITION
//   otherwise                                   NONE, (epoch, endOffset) or (-1, -1) if unknown
//
// The current epoch is an implicit last entry starting at the LEO (see leader-epoch.ts).
import type {
  OffsetForLeaderEpochResponse,
  OffsetForLeaderEpochResponseEpochEndOffset as EpochEndOffset,
} from '../../protocol/generated/offset-for-leader-epoch.js';
import { Api } from '../../protocol/generated/apis.js';
import type { PartitionManager } from '../cluster/partition-manager.js';
import { defineHandler } from '../network/request-context.js';

const NO_EPOCH = -1;

/** What OffsetForLeaderEpoch needs: the partition layer's epoch lookup. */
export interface OffsetForLeaderEpochDeps {
  partitionManager: Pick<PartitionManager, 'lastOffsetForLeaderEpoch'>;
}

export function offsetForLeaderEpochHandler(broker: OffsetForLeaderEpochDeps) {
  return defineHandler(Api.OffsetForLeaderEpoch, {
    errorResponse(req, errorCode): OffsetForLeaderEpochResponse {
      return {
        throttleTimeMs: 0,
        topics: req.topics.map((t) => ({
          topic: t.topic,
          partitions: t.partitions.map((p) => ({ errorCode, partition: p.partition, leaderEpoch: NO_EPOCH, endOffset: -1 })),
        })),
      };
    },
    handle(ctx, req): OffsetForLeaderEpochResponse {
      const v = ctx.header.apiVersion;
      const topics = req.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p): EpochEndOffset => {
          const current = v >= 2 ? p.currentLeaderEpoch : NO_EPOCH;
          const r = broker.partitionManager.lastOffsetForLeaderEpoch(t.topic, p.partition, p.leaderEpoch, current);
          return { errorCode: r.errorCode, partition: p.partition, leaderEpoch: r.epoch, endOffset: r.endOffset };
        }),
      }));
      return { throttleTimeMs: 0, topics };
    },
  });
}
