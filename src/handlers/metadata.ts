// Metadata: brokers, controller and topic/partition leadership, with auto-creation per
// auto.create.topics.enable (and the request's allowAutoTopicCreation from v4; v0-3 always ask).
// Metadata is the only path that auto-creates: Produce and FindCoordinator never do.
import { ErrorCode } from '../../protocol/errors.js';
import type { MetadataResponse, MetadataResponseMetadataResponseTopic as MetadataResponseTopic } from '../../protocol/generated/metadata.js';
import { Api } from '../../protocol/generated/apis.js';
import type { ClusterView, TopicLookup } from '../cluster/cluster-view.js';
import type { PartitionManager } from '../cluster/partition-manager.js';
import type { BrokerConfig } from '../config/broker-config.js';
import type { Logger } from '../logging/logger.js';
import type { HasAuthorizer } from '../auth/acl/request-authz.js';

/** What Metadata needs: brokers, topics, partition leadership, auto-creation, ACLs. */
export interface MetadataDeps extends ClusterView, TopicLookup, HasAuthorizer {
  partitionManager: Pick<PartitionManager, 'partition'>;
  config: Pick<BrokerConfig, 'get'>;
  autoCreateTopic(name: string): Promise<TopicRecord>;
  logger: Logger;
}
import { invalidTopicNameReason, isBrokerOwnedTopic, isInternalTopic, unifyCollisionChars } from '../metadata/topic-name.js';
import type { TopicRecord } from '../metadata/topic-registry.js';
import { ZERO_UUID } from '../metadata/uuid.js';
import { defineHandler } from '../network/request-context.js';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../auth/acl/acl-model.js';
import { authorized } from '../auth/acl/request-authz.js';

const UNKNOWN_AUTHORIZED_OPERATIONS = -2147483648;

export function topicMetadata(broker: Pick<MetadataDeps, 'partitionManager'>, t: TopicRecord): MetadataResponseTopic {
  const partitions = [];
  for (let p = 0; p < t.partitions; p++) {
    const part = broker.partitionManager.partition(t.name, p);
    partitions.push({
      // Cluster mode: a partition whose state has not arrived yet, or with no live leader, has no leader to name.
      errorCode: part && part.leaderId >= 0 ? ErrorCode.NONE : ErrorCode.LEADER_NOT_AVAILABLE,
      partitionIndex: p,
      leaderId: part ? part.leaderId : -1,
      leaderEpoch: part ? part.leaderEpoch : -1,
      replicaNodes: part ? part.replicas : [],
      isrNodes: part ? part.isr : [],
      offlineReplicas: [],
    });
  }
  return {
    errorCode: ErrorCode.NONE,
    name: t.name,
    topicId: t.id,
    isInternal: isInternalTopic(t.name),
    partitions,
    topicAuthorizedOperations: UNKNOWN_AUTHORIZED_OPERATIONS,
  };
}

function errorTopic(name: string | null, topicId: string, errorCode: number): MetadataResponseTopic {
  return {
    errorCode,
    name,
    topicId,
    isInternal: false,
    partitions: [],
    topicAuthorizedOperations: UNKNOWN_AUTHORIZED_OPERATIONS,
  };
}

export function metadataHandler(broker: MetadataDeps) {
  return defineHandler(Api.Metadata, {
    errorResponse(req, errorCode, version): MetadataResponse {
      // The error on every requested topic (every existing topic for an all-topics request); the
      // broker list stays, so clients can keep retrying against it.
      const all = req.topics === null || (version === 0 && req.topics.length === 0);
      const topics = all
        ? broker.topics.all().map((t) => errorTopic(t.name, t.id, errorCode))
        : req.topics!.map((t) => errorTopic(t.name ?? null, t.topicId ?? ZERO_UUID, errorCode));
      const listener = broker.boundListeners[0]?.name ?? 'PLAINTEXT';
      return {
        throttleTimeMs: 0,
        brokers: broker.brokersFor(listener).map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack })),
        clusterId: broker.clusterId,
        controllerId: broker.controllerId ?? broker.nodeId,
        topics,
        clusterAuthorizedOperations: UNKNOWN_AUTHORIZED_OPERATIONS,
        // Kafka's MetadataRequest.getErrorResponse reports the error per topic, not at the top.
        errorCode: ErrorCode.NONE,
      };
    },
    async handle(ctx, req): Promise<MetadataResponse> {
      const v = ctx.header.apiVersion;
      // v0: an empty list means "all topics"; v1+: null means all, empty means none.
      const all = req.topics === null || (v === 0 && req.topics.length === 0);
      const allowAutoCreate = (v < 4 || req.allowAutoTopicCreation) && broker.config.get('auto.create.topics.enable');
      const topics: MetadataResponseTopic[] = [];
      // As KafkaApis: topics the caller may not DESCRIBE are left out of "all topics" and answered
      // TOPIC_AUTHORIZATION_FAILED when named (whether or not they exist); auto-creation needs
      // CREATE on the cluster or on the topic.
      const canDescribe = (name: string) => authorized(broker, ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, name);
      if (all) {
        for (const t of broker.topics.all()) if (canDescribe(t.name)) topics.push(topicMetadata(broker, t));
      } else {
        for (const rt of req.topics!) {
          if (rt.name === null || rt.name === undefined) {
            const t = rt.topicId && rt.topicId !== ZERO_UUID ? broker.topics.getById(rt.topicId) : undefined;
            if (t && !canDescribe(t.name)) {
              topics.push(errorTopic(null, rt.topicId!, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
              continue;
            }
            topics.push(t ? topicMetadata(broker, t) : errorTopic(null, rt.topicId ?? ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_ID));
            continue;
          }
          const name = rt.name;
          if (!canDescribe(name)) {
            topics.push(errorTopic(name, ZERO_UUID, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
            continue;
          }
          const existing = broker.topics.get(name);
          if (existing) {
            topics.push(topicMetadata(broker, existing));
            continue;
          }
          // As Kafka (KafkaApis.getTopicMetadata): an illegal name is INVALID_TOPIC_EXCEPTION whether
          // or not auto-creation is on, and is never created.
          if (invalidTopicNameReason(name) !== null) {
            topics.push(errorTopic(name, ZERO_UUID, ErrorCode.INVALID_TOPIC_EXCEPTION));
            continue;
          }
          if (!allowAutoCreate) {
            topics.push(errorTopic(name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
            continue;
          }
          // Internal and aggregation topics are created by the broker itself, never on request.
          if (isBrokerOwnedTopic(name)) {
            topics.push(errorTopic(name, ZERO_UUID, ErrorCode.INVALID_TOPIC_EXCEPTION));
            continue;
          }
          if (!authorized(broker, ctx, AclOperation.CREATE, ResourceType.CLUSTER, CLUSTER_NAME) && !authorized(broker, ctx, AclOperation.CREATE, ResourceType.TOPIC, name)) {
            topics.push(errorTopic(name, ZERO_UUID, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
            continue;
          }
          const collision = broker.topics.collidingTopic(name);
          if (collision && unifyCollisionChars(collision.name) === unifyCollisionChars(name)) {
            topics.push(errorTopic(name, ZERO_UUID, ErrorCode.INVALID_TOPIC_EXCEPTION));
            continue;
          }
          try {
            topics.push(topicMetadata(broker, await broker.autoCreateTopic(name)));
          } catch (err) {
            broker.logger.error('auto-create failed', { topic: name, error: (err as Error).message });
            topics.push(errorTopic(name, ZERO_UUID, ErrorCode.UNKNOWN_SERVER_ERROR));
          }
        }
      }
      const brokers = broker.brokersFor(ctx.connection.listenerName);
      return {
        throttleTimeMs: 0,
        brokers: brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack })),
        clusterId: broker.clusterId,
        controllerId: broker.controllerId ?? broker.nodeId,
        topics,
        clusterAuthorizedOperations: UNKNOWN_AUTHORIZED_OPERATIONS,
        // v13 (KIP-1102): a top-level error such as REBOOTSTRAP_REQUIRED tells the client to
        // rebootstrap; like Kafka's broker, this one always knows its own metadata.
        errorCode: ErrorCode.NONE,
      };
    },
  });
}
