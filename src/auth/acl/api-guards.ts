// Whole-request authorization for APIs whose Kafka check concerns one resource (JoinGroup: READ
// on its group) or that this broker checks all-or-nothing. Registry wraps those handlers: a
// refused request is answered with the handler's errorResponse carrying the Kafka error code.
// Produce, Fetch, Metadata, ListOffsets, OffsetCommit, CreateTopics, DescribeTopicPartitions and ListGroups check inside their handlers instead, per
// topic / group, as KafkaApis does; OffsetFetch, DescribeGroups, ConsumerGroupDescribe,
// DeleteTopics, AddPartitionsToTxn, TxnOffsetCommit, the config APIs, DeleteGroups,
// Describe/ListTransactions, CreatePartitions, DeleteRecords, OffsetDelete, DescribeProducers and
// OffsetForLeaderEpoch per item around their handlers (per-item-guards.ts).
//
// "all-or-nothing" below: Kafka answers these per item (a refused topic among allowed ones);
// here one refused item refuses the request, which never allows more than Kafka would.
import { ErrorCode } from '../../../protocol/errors.js';
import type { RequestContext } from '../../network/request-context.js';
import { AclOperation as Op, CLUSTER_NAME, ResourceType as R } from './acl-model.js';
import { authorized, authorizedForAny, type HasAuthorizer } from './request-authz.js';

export type Guard = (ctx: RequestContext, req: any) => number | null;

/** Topic ids to names, for the share APIs that name topics by id (unknown ids are left to the handler). */
export interface TopicIds {
  topics: { getById(id: string): { name: string } | undefined };
}

export function apiGuards(broker: HasAuthorizer & TopicIds): Map<number, Guard> {
  const can = (ctx: RequestContext, op: number, type: number, name: string) => authorized(broker, ctx, op, type, name);
  const cluster = (op: number): Guard => (ctx) => (can(ctx, op, R.CLUSTER, CLUSTER_NAME) ? null : ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
  const group = (op: number, field = 'groupId'): Guard => (ctx, req) => (can(ctx, op, R.GROUP, req[field]) ? null : ErrorCode.GROUP_AUTHORIZATION_FAILED);
  const topics = (op: number, list: (req: any) => string[]): Guard => (ctx, req) =>
    list(req).every((t) => can(ctx, op, R.TOPIC, t)) ? null : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
  const topicNamesById = (list: { topicId: string }[]) => list.flatMap((t) => {
    const name = broker.topics.getById(t.topicId)?.name;
    return name === undefined ? [] : [name];
  });
  const txn = (ctx: RequestContext, id: string) => (can(ctx, Op.WRITE, R.TRANSACTIONAL_ID, id) ? null : ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  return new Map<number, Guard>([
    // FindCoordinator: DESCRIBE on the group or transactional id behind each key.
    [10, (ctx, req) => {
      const keys: string[] = req.coordinatorKeys?.length ? req.coordinatorKeys : [req.key];
      // Share-coordinator keys are looked up by brokers (Kafka: CLUSTER_ACTION).
      if (req.keyType === 2) return can(ctx, Op.CLUSTER_ACTION, R.CLUSTER, CLUSTER_NAME) ? null : ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
      const txnKeys = req.keyType === 1;
      return keys.every((k) => can(ctx, Op.DESCRIBE, txnKeys ? R.TRANSACTIONAL_ID : R.GROUP, k)) ? null
        : txnKeys ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED : ErrorCode.GROUP_AUTHORIZATION_FAILED;
    }],
    [11, group(Op.READ)], // JoinGroup
    [12, group(Op.READ)], // Heartbeat
    [13, group(Op.READ)], // LeaveGroup
    [14, group(Op.READ)], // SyncGroup
    [68, group(Op.READ)], // ConsumerGroupHeartbeat (subscribed topics are filtered by the assignment)
    // InitProducerId: WRITE on the transactional id, or for idempotence IDEMPOTENT_WRITE on the
    // cluster or WRITE on any topic (KIP-679).
    [22, (ctx, req) => req.transactionalId !== null ? txn(ctx, req.transactionalId)
      : can(ctx, Op.IDEMPOTENT_WRITE, R.CLUSTER, CLUSTER_NAME) || authorizedForAny(broker, ctx, Op.WRITE, R.TOPIC) ? null : ErrorCode.CLUSTER_AUTHORIZATION_FAILED],
    [25, (ctx, req) => txn(ctx, req.transactionalId) ?? (can(ctx, Op.READ, R.GROUP, req.groupId) ? null : ErrorCode.GROUP_AUTHORIZATION_FAILED)], // AddOffsetsToTxn
    [26, (ctx, req) => txn(ctx, req.transactionalId)], // EndTxn
    [27, cluster(Op.CLUSTER_ACTION)], // WriteTxnMarkers
    [56, cluster(Op.CLUSTER_ACTION)], // AlterPartition (cluster mode, broker to controller)
    [63, cluster(Op.CLUSTER_ACTION)], // BrokerHeartbeat (cluster mode: controlled shutdown)
    [64, cluster(Op.ALTER)], // UnregisterBroker (cluster mode)
    // The share persister's RPCs, broker to share coordinator (cluster mode).
    [83, cluster(Op.CLUSTER_ACTION)], // InitializeShareGroupState
    [84, cluster(Op.CLUSTER_ACTION)], // ReadShareGroupState
    [85, cluster(Op.CLUSTER_ACTION)], // WriteShareGroupState
    [86, cluster(Op.CLUSTER_ACTION)], // DeleteShareGroupState
    [87, cluster(Op.CLUSTER_ACTION)], // ReadShareGroupStateSummary
    [35, cluster(Op.DESCRIBE)], // DescribeLogDirs
    [43, cluster(Op.ALTER)], // ElectLeaders
    [45, cluster(Op.ALTER)], // AlterPartitionReassignments
    [46, cluster(Op.DESCRIBE)], // ListPartitionReassignments
    [50, cluster(Op.DESCRIBE)], // DescribeUserScramCredentials
    [51, cluster(Op.ALTER)], // AlterUserScramCredentials
    // Share groups (KIP-932), as KafkaApis checks them; topics all-or-nothing (see above).
    [76, (ctx, req) => group(Op.READ)(ctx, req) ?? (req.subscribedTopicNames ? topics(Op.DESCRIBE, () => req.subscribedTopicNames)(ctx, req) : null)], // ShareGroupHeartbeat
    [77, (ctx, req) => (req.groupIds.every((g: string) => can(ctx, Op.DESCRIBE, R.GROUP, g)) ? null : ErrorCode.GROUP_AUTHORIZATION_FAILED)], // ShareGroupDescribe
    [78, (ctx, req) => (req.groupId === null ? null : group(Op.READ)(ctx, req)) ?? topics(Op.READ, (r) => topicNamesById(r.topics))(ctx, req)], // ShareFetch
    [79, (ctx, req) => (req.groupId === null ? null : group(Op.READ)(ctx, req)) ?? topics(Op.READ, (r) => topicNamesById(r.topics))(ctx, req)], // ShareAcknowledge
    [90, (ctx, req) => req.groups.every((g: any) => can(ctx, Op.DESCRIBE, R.GROUP, g.groupId)) ? topics(Op.DESCRIBE, (r) => r.groups.flatMap((g: any) => (g.topics ?? []).map((t: any) => t.topicName)))(ctx, req) : ErrorCode.GROUP_AUTHORIZATION_FAILED], // DescribeShareGroupOffsets
    [91, (ctx, req) => group(Op.READ)(ctx, req) ?? topics(Op.READ, (r) => r.topics.map((t: any) => t.topicName))(ctx, req)], // AlterShareGroupOffsets
    [92, (ctx, req) => group(Op.DELETE)(ctx, req) ?? topics(Op.READ, (r) => r.topics.map((t: any) => t.topicName))(ctx, req)], // DeleteShareGroupOffsets
  ]);
}
