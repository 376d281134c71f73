// OffsetDelete (v0): drops committed offsets a group no longer needs. Partitions of unknown
// topics get UNKNOWN_TOPIC_OR_PARTITION, as in Kafka's request handler.
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type { OffsetDeleteResponse } from '../../protocol/generated/offset-delete.js';
import { tpKey } from '../cluster/topic-partition.js';
import type { GroupCoordinator } from '../coordinator/group/group-coordinator.js';
import { defineHandler } from '../network/request-context.js';
import type { PartitionPresence } from './handler-deps.js';

export function offsetDeleteHandler(partitions: PartitionPresence, coordinator: GroupCoordinator) {
  return defineHandler(Api.OffsetDelete, {
    errorResponse(_req, errorCode): OffsetDeleteResponse {
      return { errorCode, throttleTimeMs: 0, topics: [] };
    },
    async handle(_ctx, req): Promise<OffsetDeleteResponse> {
      const known = req.topics
        .map((t) => ({ name: t.name, partitions: t.partitions.map((p) => p.partitionIndex).filter((p) => partitions.partition(t.name, p) !== undefined) }))
        .filter((t) => t.partitions.length > 0);
      const r = await coordinator.deleteOffsets(req.groupId, known);
      if (r.errorCode !== ErrorCode.NONE) return { errorCode: r.errorCode, throttleTimeMs: 0, topics: [] };
      const results = new Map<string, number>();
      for (const t of r.topics) for (const p of t.partitions) results.set(tpKey(t.name, p.partitionIndex), p.errorCode);
      return {
        errorCode: ErrorCode.NONE,
        throttleTimeMs: 0,
        topics: req.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({
            partitionIndex: p.partitionIndex,
            errorCode: results.get(tpKey(t.name, p.partitionIndex)) ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          })),
        })),
      };
    },
  });
}
