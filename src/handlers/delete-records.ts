// DeleteRecords (v0-2): moves a partition's log start offset forward ("delete everything before
// offset"; -1 means the high watermark) and answers the new low watermark. Segments wholly below
// the new start are deleted; fetches below it get OFFSET_OUT_OF_RANGE and ListOffsets earliest
// reports it. As Kafka's Partition.deleteRecordsOnLeader:
//   offset < 0 (other than -1) or beyond the HW   OFFSET_OUT_OF_RANGE, lowWatermark -1
//   cleanup.policy without "delete"               POLICY_VIOLATION
//   unknown topic or partition                    UNKNOWN_TOPIC_OR_PARTITION
// An offset below the current start changes nothing and answers the current start.
import { ErrorCode } from '../../protocol/errors.js';
import type { DeleteRecordsRequest, DeleteRecordsResponse } from '../../protocol/generated/delete-records.js';
import { LogError } from '../../storage/log/partition-log.js';
import type { Broker } from '../broker.js';
import type { ApiHandler } from '../network/request-context.js';

const HIGH_WATERMARK = -1;
const INVALID_LOW_WATERMARK = -1;

interface PartitionResult {
  partitionIndex: number;
  lowWatermark: number;
  errorCode: number;
}

export function deleteRecordsHandler(broker: Broker): ApiHandler<DeleteRecordsRequest> {
  return {
    apiKey: 21,
    minVersion: 0,
    maxVersion: 2,
    async handle(_ctx, req): Promise<DeleteRecordsResponse> {
      const topics = [];
      let moved = false;
      for (const t of req.topics) {
        const partitions: PartitionResult[] = [];
        for (const p of t.partitions) {
          const r = await deleteOne(broker, t.name, p.partitionIndex, p.offset);
          if (r.errorCode === ErrorCode.NONE) moved = true;
          partitions.push(r);
        }
        topics.push({ name: t.name, partitions });
      }
      // Make the new log start offsets durable now rather than at the next periodic checkpoint,
      // so a crash cannot bring deleted records back.
      if (moved) await broker.logManager.checkpoint().catch((err: Error) => broker.logger.warn('log start checkpoint failed', { error: err.message }));
      return { throttleTimeMs: 0, topics };
    },
  };
}

async function deleteOne(broker: Broker, topic: string, index: number, offset: number): Promise<PartitionResult> {
  const failed = (errorCode: number): PartitionResult => ({ partitionIndex: index, lowWatermark: INVALID_LOW_WATERMARK, errorCode });
  const partition = broker.partition(topic, index);
  if (!partition) return failed(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (!(broker.topicConfig(topic).get('cleanup.policy') as string[]).includes('delete')) return failed(ErrorCode.POLICY_VIOLATION);
  const log = partition.log;
  if (offset !== HIGH_WATERMARK && (offset < 0 || offset > log.highWatermark)) return failed(ErrorCode.OFFSET_OUT_OF_RANGE);
  try {
    const lowWatermark = await log.deleteRecordsBefore(offset);
    broker.logger.info('records deleted', { topic, partition: index, logStartOffset: lowWatermark });
    return { partitionIndex: index, lowWatermark, errorCode: ErrorCode.NONE };
  } catch (err) {
    if (err instanceof LogError) return failed(ErrorCode[err.code]);
    broker.logger.error('delete records failed', { topic, partition: index, error: (err as Error).message });
    return failed(ErrorCode.KAFKA_STORAGE_ERROR);
  }
}
