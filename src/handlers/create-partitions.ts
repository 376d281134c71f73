// CreatePartitions: grow a topic's partition count (never shrink), optionally validate only.
import { ErrorCode } from '../../protocol/errors.js';
import type { CreatePartitionsRequest, CreatePartitionsResponse } from '../../protocol/generated/create-partitions.js';
import { Api } from '../../protocol/generated/apis.js';
import type { TopicLookup } from '../cluster/cluster-view.js';
import type { Logger } from '../logging/logger.js';
import type { HasAuthorizer } from '../auth/acl/request-authz.js';

/** What CreatePartitions needs: topics, adding partitions, this broker's id, ACLs. */
export interface CreatePartitionsDeps extends TopicLookup, HasAuthorizer, Partial<HasClusterControl> {
  readonly nodeId: number;
  createPartitions(name: string, newTotal: number): Promise<void>;
  logger: Logger;
}
import { defineHandler } from '../network/request-context.js';
import { onController, type HasClusterControl } from '../cluster/controller/cluster-control.js';

export function createPartitionsHandler(broker: CreatePartitionsDeps) {
  return defineHandler(Api.CreatePartitions, {
    errorResponse: refusal,
    async handle(ctx, req): Promise<CreatePartitionsResponse> {
      // Cluster mode: the controller assigns the new partitions (rack-aware) and writes them to
      // the store; every broker opens its replicas from the store's watch.
      const cluster = broker.cluster;
      if (cluster && !cluster.controller) {
        return onController(cluster, Api.CreatePartitions.apiKey, ctx.header.apiVersion, req, () => Promise.reject(new Error('unreachable')), (errorCode) => refusal(req, errorCode));
      }
      const controller = cluster?.controller;
      const counts = new Map<string, number>();
      for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
      const results = [];
      for (const t of req.topics) {
        const r = (errorCode: number, errorMessage: string | null) => ({ name: t.name, errorCode, errorMessage });
        if (counts.get(t.name)! > 1) {
          results.push(r(ErrorCode.INVALID_REQUEST, 'Duplicate topic in request.'));
          continue;
        }
        const topic = broker.topics.get(t.name);
        if (controller && topic && t.count > topic.partitions) {
          const added = t.count - topic.partitions;
          if (t.assignments !== null && t.assignments.length !== added) {
            results.push(r(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Attempted to add ${added} additional partition(s), but only ${t.assignments.length} assignment(s) were specified.`));
            continue;
          }
          if (req.validateOnly) {
            results.push(r(ErrorCode.NONE, null));
            continue;
          }
          const res = await controller.createPartitions(t.name, t.count, t.assignments?.map((a) => a.brokerIds));
          results.push(r(res.errorCode, res.errorCode === ErrorCode.NONE ? null : (res.errorMessage ?? null)));
          continue;
        }
        if (!topic) {
          results.push(r(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.'));
          continue;
        }
        if (t.count < topic.partitions) {
          results.push(r(ErrorCode.INVALID_PARTITIONS, `Topic currently has ${topic.partitions} partitions, which is higher than the requested ${t.count}.`));
          continue;
        }
        if (t.count === topic.partitions) {
          results.push(r(ErrorCode.INVALID_PARTITIONS, `Topic already has ${topic.partitions} partitions.`));
          continue;
        }
        if (t.assignments !== null) {
          const added = t.count - topic.partitions;
          if (t.assignments.length !== added) {
            results.push(r(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Attempted to add ${added} additional partition(s), but only ${t.assignments.length} assignment(s) were specified.`));
            continue;
          }
          const bad = t.assignments.find((a) => a.brokerIds.length !== topic.replicationFactor || a.brokerIds.some((id) => id !== broker.nodeId));
          if (bad) {
            results.push(r(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Invalid replica assignment ${bad.brokerIds.join(',')}`));
            continue;
          }
        }
        if (req.validateOnly) {
          results.push(r(ErrorCode.NONE, null));
          continue;
        }
        try {
          await broker.createPartitions(t.name, t.count);
          results.push(r(ErrorCode.NONE, null));
        } catch (err) {
          broker.logger.error('create partitions failed', { topic: t.name, error: (err as Error).message });
          results.push(r(ErrorCode.KAFKA_STORAGE_ERROR, (err as Error).message));
        }
      }
      return { throttleTimeMs: 0, results };
    },
  });
}

function refusal(req: CreatePartitionsRequest, errorCode: number): CreatePartitionsResponse {
  return { throttleTimeMs: 0, results: req.topics.map((t) => ({ name: t.name, errorCode, errorMessage: null })) };
}
