// AlterPartitionReassignments (v0-1, KIP-455): move a partition's replicas to other brokers, or
// cancel a move (replicas = null). This broker is the only one, so the only valid target is the
// replica set the partition already has, a no-op that succeeds at once. Errors as Kafka's
// ReplicationControlManager.alterPartitionReassignment / validateManualPartitionAssignment:
//   unknown topic / partition             UNKNOWN_TOPIC_OR_PARTITION
//   replicas = null (cancel)              NO_REASSIGNMENT_IN_PROGRESS (85)
//   empty list, unknown or repeated id    INVALID_REPLICA_ASSIGNMENT (39)
//   v1 AllowReplicationFactorChange=false and a replica count other than the partition's
//                                         INVALID_REPLICATION_FACTOR (38) (KIP-860; checked
//                                         after the assignment itself, as in Kafka)
import { ErrorCode } from '../../protocol/errors.js';
import type {
  AlterPartitionReassignmentsRequest,
  AlterPartitionReassignmentsResponse,
  AlterPartitionReassignmentsResponseReassignablePartitionResponse as PartitionResponse,
} from '../../protocol/generated/alter-partition-reassignments.js';
import { Api } from '../../protocol/generated/apis.js';
import type { ClusterView, TopicLookup } from '../cluster/cluster-view.js';
import type { HasAuthorizer } from '../auth/acl/request-authz.js';
import { onController, type HasClusterControl } from '../cluster/controller/cluster-control.js';
import type { Controller } from '../cluster/controller/controller.js';
import type { PartitionManager } from '../cluster/partition-manager.js';

/** What AlterPartitionReassignments needs: topics, the brokers, ACLs; in cluster mode the controller and the partitions' replicas. */
export interface AlterPartitionReassignmentsDeps extends TopicLookup, Pick<ClusterView, 'brokersFor'>, HasAuthorizer, HasClusterControl {
  readonly partitionManager: Pick<PartitionManager, 'partition'>;
}
import { defineHandler } from '../network/request-context.js';

export function alterPartitionReassignmentsHandler(broker: AlterPartitionReassignmentsDeps) {
  return defineHandler(Api.AlterPartitionReassignments, {
    // As Kafka's AlterPartitionReassignmentsRequest.getErrorResponse: the error on the request and every named partition.
    errorResponse: (req, errorCode) => refusal(req, errorCode),
    handle(ctx, req): AlterPartitionReassignmentsResponse | Promise<AlterPartitionReassignmentsResponse> {
      const allowReplicationFactorChange = ctx.header.apiVersion >= 1 ? req.allowReplicationFactorChange : true;
      const cluster = broker.cluster;
      if (cluster) {
        return onController(
          cluster,
          Api.AlterPartitionReassignments.apiKey,
          ctx.header.apiVersion,
          req,
          (controller) => reassignInCluster(broker, controller, req, allowReplicationFactorChange),
          (errorCode, errorMessage) => ({ ...refusal(req, errorCode), errorMessage }),
        );
      }
      const responses = req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p): PartitionResponse => {
          const error = reassign(broker, t.name, p.partitionIndex, p.replicas, allowReplicationFactorChange);
          return { partitionIndex: p.partitionIndex, errorCode: error?.code ?? ErrorCode.NONE, errorMessage: error?.message ?? null };
        }),
      }));
      return { throttleTimeMs: 0, allowReplicationFactorChange, errorCode: ErrorCode.NONE, errorMessage: null, responses };
    },
  });
}

function refusal(req: AlterPartitionReassignmentsRequest, errorCode: number): AlterPartitionReassignmentsResponse {
      return {
        throttleTimeMs: 0,
        allowReplicationFactorChange: req.allowReplicationFactorChange,
        errorCode,
        errorMessage: null,
        responses: req.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode, errorMessage: null })),
        })),
      };
    }

/**
 * Cluster mode, on the controller: each partition checked as below, then a real move (KIP-455):
 * the new replicas are added and catch up, join the ISR, leadership moves into the target, the
 * removed replicas leave (their data is deleted). The answer comes once the move has started.
 */
async function reassignInCluster(
  broker: AlterPartitionReassignmentsDeps,
  controller: Controller,
  req: AlterPartitionReassignmentsRequest,
  allowReplicationFactorChange: boolean,
): Promise<AlterPartitionReassignmentsResponse> {
  const responses = [];
  for (const t of req.topics) {
    const partitions: PartitionResponse[] = [];
    for (const p of t.partitions) {
      const error = p.replicas === null ? missing(broker, t.name, p.partitionIndex) : reassign(broker, t.name, p.partitionIndex, p.replicas, allowReplicationFactorChange);
      if (error) {
        partitions.push({ partitionIndex: p.partitionIndex, errorCode: error.code, errorMessage: error.message });
        continue;
      }
      const [r] = await controller.alterPartitionReassignments([{ topic: t.name, partition: p.partitionIndex, replicas: p.replicas }]);
      partitions.push({ partitionIndex: p.partitionIndex, errorCode: r!.errorCode, errorMessage: r!.errorMessage ?? null });
    }
    responses.push({ name: t.name, partitions });
  }
  return { throttleTimeMs: 0, allowReplicationFactorChange, errorCode: ErrorCode.NONE, errorMessage: null, responses };
}

function missing(broker: AlterPartitionReassignmentsDeps, topic: string, index: number): { code: number; message: string } | null {
  const t = broker.topics.get(topic);
  if (!t) return { code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `Unable to find a topic named ${topic}.` };
  if (index < 0 || index >= t.partitions) return { code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `Unable to find partition ${topic}:${index}.` };
  return null;
}

function reassign(broker: AlterPartitionReassignmentsDeps, topic: string, index: number, replicas: number[] | null, allowReplicationFactorChange: boolean): { code: number; message: string } | null {
  const t = broker.topics.get(topic);
  if (!t) return { code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `Unable to find a topic named ${topic}.` };
  if (index < 0 || index >= t.partitions) return { code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `Unable to find partition ${topic}:${index}.` };
  if (replicas === null) return { code: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, message: 'No partition reassignment is in progress.' };
  if (replicas.length === 0) {
    return { code: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: 'The manual partition assignment includes an empty replica list.' };
  }
  // Kafka accepts any registered broker, a stopped (fenced) one too: in cluster mode the controller
  // checks the broker registry (brokersFor lists live brokers only).
  const known = new Set([...broker.brokersFor('').map((b) => b.nodeId), ...(broker.partitionManager.partition(topic, index)?.replicas ?? [])]);
  let prev: number | null = null;
  for (const id of [...replicas].sort((a, b) => a - b)) {
    if (!known.has(id) && !broker.cluster) {
      return { code: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: `The manual partition assignment includes broker ${id}, but no such broker is registered.` };
    }
    if (id === prev) return { code: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: `The manual partition assignment includes the broker ${id} more than once.` };
    prev = id;
  }
  if (!allowReplicationFactorChange && replicas.length !== t.replicationFactor) {
    return { code: ErrorCode.INVALID_REPLICATION_FACTOR, message: `The replication factor is changed from ${t.replicationFactor} to ${replicas.length}` };
  }
  // Single broker: every replica is this broker, exactly once: the partition already has this
  // assignment. Cluster mode: valid, the controller moves it.
  return null;
}
