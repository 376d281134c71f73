// DescribeProducers (v0): the active producers of partitions (id, epoch, last sequence and
// timestamp, coordinator epoch, start offset of the open transaction), from the producer state.
import type { DescribeProducersResponse } from '../../protocol/generated/describe-producers.js';
import { Api } from '../../protocol/generated/apis.js';
import type { PartitionManager } from '../cluster/partition-manager.js';
import { defineHandler } from '../network/request-context.js';

/** What DescribeProducers needs: the partition layer's producer state view. */
export interface DescribeProducersDeps {
  partitionManager: Pick<PartitionManager, 'describeProducers'>;
}

export function describeProducersHandler(broker: DescribeProducersDeps) {
  return defineHandler(Api.DescribeProducers, {
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
  });
}
