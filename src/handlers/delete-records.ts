// DeleteRecords (v0-2): moves a partition's log start offset forward ("delete everything before
// offset"; -1 means the high watermark) and answers the new low watermark. Segments wholly below
// the new start are deleted; fetches below it get OFFSET_OUT_OF_RANGE and ListOffsets earliest
// reports it. As Kafka's Partition.deleteRecordsOnLeader:
//   offset < 0 (other than -1) or beyond the HW   OFFSET_OUT_OF_RANGE, lowWatermark -1
//   cleanup.policy without "delete"               POLICY_VIOLATION
//   unknown topic or partition                    UNKNOWN_TOPIC_OR_PARTITION
// An offset below the current start changes nothing and answers the current start.
import { ErrorCode } from '../../protocol/errors.js';
import type { DeleteRecordsResponse } from '../../protocol/generated/delete-records.js';
import { Api } from '../../protocol/generated/apis.js';
import type { PartitionManager } from '../cluster/partition-manager.js';
import type { Logger } from '../logging/logger.js';
import { defineHandler } from '../network/request-context.js';

/** What DeleteRecords needs: the partition layer's deleteRecordsBefore and checkpoint. */
export interface DeleteRecordsDeps {
  partitionManager: Pick<PartitionManager, 'deleteRecordsBefore' | 'checkpoint'>;
  logger: Logger;
}

interface PartitionResult {
  partitionIndex: number;
  lowWatermark: number;
  errorCode: number;
}

export function deleteRecordsHandler(broker: DeleteRecordsDeps) {
  return defineHandler(Api.DeleteRecords, {
    errorResponse(req, errorCode): DeleteRecordsResponse {
      return {
        throttleTimeMs: 0,
        topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode })) })),
      };
    },
    async handle(_ctx, req): Promise<DeleteRecordsResponse> {
      const topics = [];
      let moved = false;
      for (const t of req.topics) {
        const partitions: PartitionResult[] = [];
        for (const p of t.partitions) {
          const r = await broker.partitionManager.deleteRecordsBefore(t.name, p.partitionIndex, p.offset);
          if (r.errorCode === ErrorCode.NONE) moved = true;
          partitions.push({ partitionIndex: p.partitionIndex, lowWatermark: r.lowWatermark, errorCode: r.errorCode });
        }
        topics.push({ name: t.name, partitions });
      }
      // Make the new log start offsets durable now rather than at the next periodic checkpoint,
      // so a crash cannot bring deleted records back.
      if (moved) await broker.partitionManager.checkpoint().catch((err: Error) => broker.logger.warn('log start checkpoint failed', { error: err.message }));
      return { throttleTimeMs: 0, topics };
    },
  });
}
