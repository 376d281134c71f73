// ElectLeaders (v0-2, KIP-183/460): preferred (0) or unclean (1) leader election. Every partition
// has a single replica, this broker, which is both the preferred replica and the live leader, so
// an election is never needed. Answers as Kafka's ReplicationControlManager.electLeaders:
//   named partition that exists          ELECTION_NOT_NEEDED (84)
//   unknown topic or partition           UNKNOWN_TOPIC_OR_PARTITION
//   topicPartitions = null (all)         every topic listed, partitions with ELECTION_NOT_NEEDED left out
//   election type other than 0/1         INVALID_REQUEST for the request and each named partition
import { ErrorCode } from '../../protocol/errors.js';
import type { ElectLeadersRequest, ElectLeadersResponse, ElectLeadersResponsePartitionResult as PartitionResult } from '../../protocol/generated/elect-leaders.js';
import { Api } from '../../protocol/generated/apis.js';
import type { TopicLookup } from '../cluster/cluster-view.js';
import type { HasAuthorizer } from '../auth/acl/request-authz.js';

/** What ElectLeaders needs: topics and ACLs; in cluster mode the controller (null on a single broker). */
export interface ElectLeadersDeps extends TopicLookup, HasAuthorizer, Partial<HasClusterControl> {}
import { defineHandler } from '../network/request-context.js';
import { onController, type HasClusterControl } from '../cluster/controller/cluster-control.js';
import type { Controller } from '../cluster/controller/controller.js';

const PREFERRED = 0;
const UNCLEAN = 1;
const NOT_NEEDED_MESSAGE = 'Leader election not needed for topic partition.';

export function electLeadersHandler(broker: ElectLeadersDeps) {
  return defineHandler(Api.ElectLeaders, {
    // As Kafka's ElectLeadersRequest.getErrorResponse: the error on the request and on every named partition.
    errorResponse: (req, errorCode) => refusal(req, errorCode),
    handle(ctx, req): ElectLeadersResponse | Promise<ElectLeadersResponse> {
      const electionType = ctx.header.apiVersion >= 1 ? req.electionType : PREFERRED;
      if (electionType !== PREFERRED && electionType !== UNCLEAN) {
        const message = `Unknown election type ${electionType}`;
        return {
          throttleTimeMs: 0,
          errorCode: ErrorCode.INVALID_REQUEST,
          replicaElectionResults: (req.topicPartitions ?? []).map((t) => ({
            topic: t.topic,
            partitionResult: t.partitions.map((partitionId) => ({ partitionId, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: message })),
          })),
        };
      }
      const cluster = broker.cluster;
      if (cluster) {
        return onController(
          cluster,
          Api.ElectLeaders.apiKey,
          ctx.header.apiVersion,
          req,
          (controller) => electInCluster(controller, req, electionType === UNCLEAN ? 'unclean' : 'preferred'),
          (errorCode) => refusal(req, errorCode),
        );
      }
      if (req.topicPartitions === null) {
        // "All partitions": those already led by their preferred replica are not reported.
        return {
          throttleTimeMs: 0,
          errorCode: ErrorCode.NONE,
          replicaElectionResults: broker.topics.all().map((t) => ({ topic: t.name, partitionResult: [] })),
        };
      }
      const replicaElectionResults = req.topicPartitions.map((t) => ({
        topic: t.topic,
        partitionResult: t.partitions.map((partitionId): PartitionResult => {
          const topic = broker.topics.get(t.topic);
          if (!topic) return { partitionId, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `No such topic as ${t.topic}` };
          if (partitionId < 0 || partitionId >= topic.partitions) {
            return { partitionId, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `No such partition as ${t.topic}-${partitionId}` };
          }
          return { partitionId, errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: NOT_NEEDED_MESSAGE };
        }),
      }));
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults };
    },
  });
}

function refusal(req: ElectLeadersRequest, errorCode: number): ElectLeadersResponse {
  return {
    throttleTimeMs: 0,
    errorCode,
    replicaElectionResults: (req.topicPartitions ?? []).map((t) => ({
      topic: t.topic,
      partitionResult: t.partitions.map((partitionId) => ({ partitionId, errorCode, errorMessage: null })),
    })),
  };
}

const MESSAGES: Record<number, string> = {
  [ErrorCode.ELECTION_NOT_NEEDED]: NOT_NEEDED_MESSAGE,
  [ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE]: 'Failed to elect leader: the preferred replica is not alive or not in the ISR.',
  [ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE]: 'Failed to elect leader: no live replica is eligible.',
  [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]: 'This server does not host this topic-partition.',
};

/**
 * Cluster mode, on the controller: the election runs (Kafka's ReplicationControlManager.electLeaders).
 * "All partitions" (null) leaves out the ELECTION_NOT_NEEDED ones, as Kafka does.
 */
async function electInCluster(controller: Controller, req: ElectLeadersRequest, type: 'preferred' | 'unclean'): Promise<ElectLeadersResponse> {
  const named = req.topicPartitions?.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
  const results = await controller.electLeaders(type, named);
  const byTopic = new Map<string, PartitionResult[]>();
  for (const t of req.topicPartitions ?? []) if (!byTopic.has(t.topic)) byTopic.set(t.topic, []);
  for (const r of results) {
    // Kafka (ReplicationControlManager.electLeaders): asked for every partition, it leaves out only
    // those that already have the desired leader; other failures are reported.
    if (named === undefined && r.errorCode === ErrorCode.ELECTION_NOT_NEEDED) continue;
    let list = byTopic.get(r.topic);
    if (!list) byTopic.set(r.topic, (list = []));
    list.push({ partitionId: r.partition, errorCode: r.errorCode, errorMessage: r.errorCode === ErrorCode.NONE ? null : (r.errorMessage ?? MESSAGES[r.errorCode] ?? null) });
  }
  const errorCode = results.find((r) => r.errorCode === ErrorCode.NOT_CONTROLLER) ? ErrorCode.NOT_CONTROLLER : ErrorCode.NONE;
  return { throttleTimeMs: 0, errorCode, replicaElectionResults: [...byTopic].map(([topic, partitionResult]) => ({ topic, partitionResult })) };
}
