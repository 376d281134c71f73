// ListPartitionReassignments (v0, KIP-455): the reassignments in progress. With one broker a
// replica set can only be "changed" to itself, which completes at once, so nothing is ever in
// progress: the answer is an empty list. Topics or partitions that do not exist are simply left
// out, as Kafka's ReplicationControlManager.listPartitionReassignments does.
import { ErrorCode } from '../../protocol/errors.js';
import type { ListPartitionReassignmentsResponse } from '../../protocol/generated/list-partition-reassignments.js';
import { Api } from '../../protocol/generated/apis.js';
import { defineHandler } from '../network/request-context.js';
import { onController, type HasClusterControl } from '../cluster/controller/cluster-control.js';

/** Cluster mode: the controller holds the reassignments in progress (null on a single broker). */
export interface ListPartitionReassignmentsDeps extends Partial<HasClusterControl> {}

export function listPartitionReassignmentsHandler(deps: ListPartitionReassignmentsDeps = {}) {
  return defineHandler(Api.ListPartitionReassignments, {
    errorResponse(_req, errorCode): ListPartitionReassignmentsResponse {
      return { throttleTimeMs: 0, errorCode, errorMessage: null, topics: [] };
    },
    handle(ctx, req): ListPartitionReassignmentsResponse | Promise<ListPartitionReassignmentsResponse> {
      const cluster = deps.cluster;
      if (!cluster) return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics: [] };
      return onController(
        cluster,
        Api.ListPartitionReassignments.apiKey,
        ctx.header.apiVersion,
        req,
        async (controller) => {
          const wanted = req.topics === null ? undefined : req.topics.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition })));
          const ongoing = await controller.listPartitionReassignments(wanted);
          const byTopic = new Map<string, ListPartitionReassignmentsResponse['topics'][number]>();
          for (const r of ongoing) {
            let t = byTopic.get(r.topic);
            if (!t) byTopic.set(r.topic, (t = { name: r.topic, partitions: [] }));
            t.partitions.push({ partitionIndex: r.partition, replicas: r.replicas, addingReplicas: r.addingReplicas, removingReplicas: r.removingReplicas });
          }
          return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics: [...byTopic.values()] };
        },
        (errorCode, errorMessage): ListPartitionReassignmentsResponse => ({ throttleTimeMs: 0, errorCode, errorMessage, topics: [] }),
      );
    },
  });
}
