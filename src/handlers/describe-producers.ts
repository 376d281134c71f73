// DescribeProducers (v0): the active producers of partitions (id, epoch, last sequence and
// timestamp, coordinator epoch, start offset of the open transaction), from the producer state.
import { ErrorCode } from '../../protocol/errors.js';
import type { DescribeProducersRequest, DescribeProducersResponse } from '../../protocol/generated/describe-producers.js';
import type { Broker } from '../broker.js';
import type { ApiHandler } from '../network/request-context.js';

export function describeProducersHandler(broker: Broker): ApiHandler<DescribeProducersRequest> {
  return {
    apiKey: 61,
    minVersion: 0,
    maxVersion: 0,
    errorResponse(req, errorCode): DescribeProducersResponse {
      return {
        throttleTimeMs: 0,
        topics: req.topics.map((t) => ({
          name: t.name,
          partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode, errorMessage: null, activeProducers: [] })),
        })),
      };
    },
    handle(_ctx, req): DescribeProducersResponse {
      return {
        throttleTimeMs: 0,
        topics: req.topics.map((t) => ({
          name: t.name,
          partitions: t.partitionIndexes.map((partitionIndex) => {
            const p = broker.partition(t.name, partitionIndex);
            if (!p) return { partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null, activeProducers: [] };
            return { partitionIndex, errorCode: ErrorCode.NONE, errorMessage: null, activeProducers: p.log.producers.describe() };
          }),
        })),
      };
    },
  };
}
