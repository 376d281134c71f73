// DescribeProducers (v0): the active producers of partitions (id, epoch, last sequence and
// timestamp, coordinator epoch, start offset of the open transaction), from the producer state.
import type { DescribeProducersRequest, DescribeProducersResponse } from '../../protocol/generated/describe-producers.js';
import type { PartitionManager } from '../cluster/partition-manager.js';
import type { ApiHandler } from '../network/request-context.js';

/** What DescribeProducers needs: the partition layer's producer state view. */
export interface DescribeProducersDeps {
  partitionManager: Pick<PartitionManager, 'describeProducers'>;
}

export function describeProducersHandler(broker: DescribeProducersDeps): ApiHandler<DescribeProducersRequest> {
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
            const r = broker.partitionManager.describeProducers(t.name, partitionIndex);
            return { partitionIndex, errorCode: r.errorCode, errorMessage: null, activeProducers: r.activeProducers };
          }),
        })),
      };
    },
  };
}
