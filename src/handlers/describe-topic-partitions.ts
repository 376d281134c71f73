// DescribeTopicPartitions (v0, KIP-966): topic and partition metadata with pagination, as Kafka's
// DescribeTopicPartitionsRequestHandler + KRaftMetadataCache.describeTopicResponse:
//  - no topics asked for = every topic; topics are answered in name order;
//  - at most min(responsePartitionLimit, 2000) partitions per response; when a topic does not
//    fit, nextCursor names it and the first partition left out, and the next request passes that
//    cursor back (topics before the cursor topic are skipped, the cursor topic starts at its index);
//  - topics asked for by name that do not exist answer UNKNOWN_TOPIC_OR_PARTITION (or
//    INVALID_TOPIC_EXCEPTION for an illegal name); with "all topics" they are just skipped;
//  - a cursor naming a topic that is not in the request's list is an INVALID_REQUEST.
//  - with an authorizer, DESCRIBE per topic: unauthorized topics are left out before pagination;
//    named ones are answered TOPIC_AUTHORIZATION_FAILED (zero topic id, no partitions) after the
//    authorized ones, whether or not they exist; topicAuthorizedOperations comes from the ACLs.
import { ErrorCode } from '../../protocol/errors.js';
import type {
  DescribeTopicPartitionsResponse,
  DescribeTopicPartitionsResponseCursor as Cursor,
  DescribeTopicPartitionsResponseDescribeTopicPartitionsResponsePartition as PartitionInfo,
  DescribeTopicPartitionsResponseDescribeTopicPartitionsResponseTopic as TopicInfo,
} from '../../protocol/generated/describe-topic-partitions.js';
import { Api } from '../../protocol/generated/apis.js';
import type { TopicLookup } from '../cluster/cluster-view.js';
import type { PartitionManager } from '../cluster/partition-manager.js';
import { authorized, type HasAuthorizer } from '../auth/acl/request-authz.js';
import { authorizedOperations } from '../auth/acl/authorized-operations.js';
import { AclOperation, ResourceType } from '../auth/acl/acl-model.js';

/** What DescribeTopicPartitions needs: topics, partition leadership, ACLs. */
export interface DescribeTopicPartitionsDeps extends TopicLookup, HasAuthorizer {
  partitionManager: Pick<PartitionManager, 'partition'>;
}
import { invalidTopicNameReason, isInternalTopic } from '../metadata/topic-name.js';
import type { TopicRecord } from '../metadata/topic-registry.js';
import { ZERO_UUID } from '../metadata/uuid.js';
import { defineHandler } from '../network/request-context.js';

/** Kafka's max.request.partition.size.limit default: the cap on responsePartitionLimit. */
const MAX_PARTITIONS_PER_RESPONSE = 2000;

/** Kafka's "authorized operations not computed" sentinel (Integer.MIN_VALUE). */
const UNKNOWN_OPERATIONS = -2147483648;

/**
 * With no authorizer Kafka reports every operation a TOPIC supports: READ 3, WRITE 4, CREATE 5,
 * DELETE 6, ALTER 7, DESCRIBE 8, DESCRIBE_CONFIGS 10, ALTER_CONFIGS 11, as a bit field.
 */
export const TOPIC_AUTHORIZED_OPERATIONS = [3, 4, 5, 6, 7, 8, 10, 11].reduce((bits, op) => bits | (1 << op), 0);

export function describeTopicPartitionsHandler(broker: DescribeTopicPartitionsDeps) {
  return defineHandler(Api.DescribeTopicPartitions, {
    errorResponse(req, errorCode): DescribeTopicPartitionsResponse {
      return { throttleTimeMs: 0, topics: req.topics.map((t) => errorTopic(t.name, errorCode, UNKNOWN_OPERATIONS)), nextCursor: null };
    },
    handle(ctx, req): DescribeTopicPartitionsResponse {
      const fetchAll = req.topics.length === 0;
      const cursor = req.cursor;
      const names = new Set<string>();
      if (fetchAll) {
        // The cursor topic is kept even if it was deleted meanwhile; it is then skipped below.
        if (cursor) names.add(cursor.topicName);
        for (const t of broker.topics.all()) if (!cursor || t.name > cursor.topicName) names.add(t.name);
      } else {
        for (const t of req.topics) if (!cursor || t.name >= cursor.topicName) names.add(t.name);
        if (cursor && !names.has(cursor.topicName)) {
          // Kafka throws InvalidRequestException; the error response repeats every requested topic.
          return {
            throttleTimeMs: 0,
            topics: req.topics.map((t) => errorTopic(t.name, ErrorCode.INVALID_REQUEST, UNKNOWN_OPERATIONS)),
            nextCursor: null,
          };
        }
      }

      if (cursor && cursor.partitionIndex < 0) {
        return { throttleTimeMs: 0, topics: req.topics.map((t) => errorTopic(t.name, ErrorCode.INVALID_REQUEST, UNKNOWN_OPERATIONS)), nextCursor: null };
      }

      // Kafka does not disclose whether an undescribable topic exists: it is refused by name only.
      const refused: TopicInfo[] = [];
      const allowed = [...names].sort().filter((name) => {
        if (authorized(broker, ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, name)) return true;
        if (!fetchAll) refused.push(errorTopic(name, ErrorCode.TOPIC_AUTHORIZATION_FAILED, UNKNOWN_OPERATIONS, false));
        return false;
      });
      const operations = (name: string) => (broker.authorizer ? authorizedOperations(broker, ctx, ResourceType.TOPIC, name) : TOPIC_AUTHORIZED_OPERATIONS);

      // Kafka: max(min(max.request.partition.size.limit, responsePartitionLimit), 1).
      let remaining = Math.max(Math.min(MAX_PARTITIONS_PER_RESPONSE, req.responsePartitionLimit), 1);
      const topics: TopicInfo[] = [];
      let nextCursor: Cursor | null = null;
      for (const name of allowed) {
        if (remaining === 0) {
          // Everything before this topic fitted exactly: continue from its first partition.
          nextCursor = { topicName: name, partitionIndex: 0 };
          break;
        }
        if (remaining < 0) continue;
        const t = broker.topics.get(name);
        if (!t) {
          if (!fetchAll) {
            const code = invalidTopicNameReason(name) === null ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.INVALID_TOPIC_EXCEPTION;
            topics.push(errorTopic(name, code, operations(name)));
          }
          continue;
        }
        const start = cursor && name === cursor.topicName ? cursor.partitionIndex : 0;
        const upper = Math.min(t.partitions, start + remaining);
        const partitions: PartitionInfo[] = [];
        for (let p = start; p < upper; p++) partitions.push(partitionInfo(broker, t, p));
        topics.push({
          errorCode: ErrorCode.NONE,
          name,
          topicId: t.id,
          isInternal: isInternalTopic(name),
          partitions,
          topicAuthorizedOperations: operations(name),
        });
        if (upper < t.partitions) {
          nextCursor = { topicName: name, partitionIndex: upper };
          break;
        }
        remaining -= partitions.length;
      }
      return { throttleTimeMs: 0, topics: [...topics, ...refused], nextCursor };
    },
  });
}

function partitionInfo(broker: DescribeTopicPartitionsDeps, t: TopicRecord, index: number): PartitionInfo {
  const part = broker.partitionManager.partition(t.name, index);
  return {
    errorCode: ErrorCode.NONE,
    partitionIndex: index,
    leaderId: part ? part.leaderId : -1,
    leaderEpoch: part ? part.leaderEpoch : -1,
    replicaNodes: part ? part.replicas : [],
    isrNodes: part ? part.isr : [],
    // No eligible-leader-replica tracking (KIP-966): the ISR is always the whole replica set.
    eligibleLeaderReplicas: [],
    lastKnownElr: [],
    offlineReplicas: [],
  };
}

function errorTopic(name: string, errorCode: number, authorizedOps: number, isInternal = isInternalTopic(name)): TopicInfo {
  return { errorCode, name, topicId: ZERO_UUID, isInternal, partitions: [], topicAuthorizedOperations: authorizedOps };
}
