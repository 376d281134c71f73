// Whole-request authorization for APIs whose Kafka check concerns one resource (JoinGroup: READ
// on its group) or that this broker checks all-or-nothing. Registry wraps those handlers: a
// refused request is answered with the handler's errorResponse carrying the Kafka error code.
// Produce, Fetch, Metadata, ListOffsets, OffsetCommit, CreateTopics and ListGroups check inside their handlers instead, per
// topic / group, as KafkaApis does.
//
// "all-or-nothing" below: Kafka answers these per item (a refused topic among allowed ones);
// here one refused item refuses the request, which never allows more than Kafka would.
import { ErrorCode } from '../../../protocol/errors.js';
import type { RequestContext } from '../../network/request-context.js';
import { AclOperation as Op, CLUSTER_NAME, ResourceType as R } from './acl-model.js';
import { authorized, authorizedForAny, type HasAuthorizer } from './request-authz.js';

export type Guard = (ctx: RequestContext, req: any) => number | null;

const CONFIG_BROKER = 4;
const CONFIG_TOPIC = 2;

export function apiGuards(broker: HasAuthorizer, topicNameById: (id: string) => string | undefined): Map<number, Guard> {
  const can = (ctx: RequestContext, op: number, type: number, name: string) => authorized(broker, ctx, op, type, name);
  const cluster = (op: number): Guard => (ctx) => (can(ctx, op, R.CLUSTER, CLUSTER_NAME) ? null : ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
  const group = (op: number, field = 'groupId'): Guard => (ctx, req) => (can(ctx, op, R.GROUP, req[field]) ? null : ErrorCode.GROUP_AUTHORIZATION_FAILED);
  const topics = (op: number, list: (req: any) => string[]): Guard => (ctx, req) =>
    list(req).every((t) => can(ctx, op, R.TOPIC, t)) ? null : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
  const txn = (ctx: RequestContext, id: string) => (can(ctx, Op.WRITE, R.TRANSACTIONAL_ID, id) ? null : ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  const configs = (op: number): Guard => (ctx, req) => {
    for (const r of req.resources as { resourceType: number; resourceName: string }[]) {
      if (r.resourceType === CONFIG_TOPIC && !can(ctx, op, R.TOPIC, r.resourceName)) return ErrorCode.TOPIC_AUTHORIZATION_FAILED;
      if (r.resourceType === CONFIG_BROKER && !can(ctx, op, R.CLUSTER, CLUSTER_NAME)) return ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
    }
    return null;
  };
  const groupIds = (req: any): string[] => (req.groups?.length ? req.groups.map((g: any) => g.groupId) : [req.groupId]);
  const fetchTopics = (req: any): string[] =>
    (req.groups?.length ? req.groups.flatMap((g: any) => g.topics ?? []) : (req.topics ?? [])).map((t: any) => t.name);
  return new Map<number, Guard>([
    // OffsetFetch: DESCRIBE on each group and each named topic (all-or-nothing; Kafka filters topics).
    [9, (ctx, req) => groupIds(req).every((g) => can(ctx, Op.DESCRIBE, R.GROUP, g)) ? topics(Op.DESCRIBE, fetchTopics)(ctx, req) : ErrorCode.GROUP_AUTHORIZATION_FAILED],
    // FindCoordinator: DESCRIBE on the group or transactional id behind each key.
    [10, (ctx, req) => {
      const keys: string[] = req.coordinatorKeys?.length ? req.coordinatorKeys : [req.key];
      const txnKeys = req.keyType === 1;
      return keys.every((k) => can(ctx, Op.DESCRIBE, txnKeys ? R.TRANSACTIONAL_ID : R.GROUP, k)) ? null
        : txnKeys ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED : ErrorCode.GROUP_AUTHORIZATION_FAILED;
    }],
    [15, (ctx, req) => (req.groups as string[]).every((g) => can(ctx, Op.DESCRIBE, R.GROUP, g)) ? null : ErrorCode.GROUP_AUTHORIZATION_FAILED], // DescribeGroups, all-or-nothing
    // DeleteTopics: DELETE on each topic (named, or by id).
    [20, topics(Op.DELETE, (r) => [...(r.topicNames ?? []), ...(r.topics ?? []).map((t: any) => t.name ?? topicNameById(t.topicId) ?? '')])],
    // AddPartitionsToTxn: WRITE on each transactional id and each topic.
    [24, (ctx, req) => {
      const txns = req.transactions?.length ? req.transactions : [{ transactionalId: req.v3AndBelowTransactionalId, topics: req.v3AndBelowTopics }];
      for (const t of txns) {
        const refused = txn(ctx, t.transactionalId) ?? topics(Op.WRITE, () => t.topics.map((x: any) => x.name))(ctx, req);
        if (refused !== null) return refused;
      }
      return null;
    }],
    // TxnOffsetCommit: WRITE on the transactional id, READ on the group, READ on each topic.
    [28, (ctx, req) => txn(ctx, req.transactionalId) ?? group(Op.READ)(ctx, req) ?? topics(Op.READ, (r) => r.topics.map((t: any) => t.name))(ctx, req)],
    [11, group(Op.READ)], // JoinGroup
    [12, group(Op.READ)], // Heartbeat
    [13, group(Op.READ)], // LeaveGroup
    [14, group(Op.READ)], // SyncGroup
    [68, group(Op.READ)], // ConsumerGroupHeartbeat (subscribed topics are filtered by the assignment)
    [69, (ctx, req) => (req.groupIds as string[]).every((g) => can(ctx, Op.DESCRIBE, R.GROUP, g)) ? null : ErrorCode.GROUP_AUTHORIZATION_FAILED], // ConsumerGroupDescribe, all-or-nothing
    [42, (ctx, req) => (req.groupsNames as string[]).every((g) => can(ctx, Op.DELETE, R.GROUP, g)) ? null : ErrorCode.GROUP_AUTHORIZATION_FAILED], // DeleteGroups, all-or-nothing
    [47, (ctx, req) => group(Op.DELETE)(ctx, req) ?? topics(Op.READ, (r) => r.topics.map((t: any) => t.name))(ctx, req)], // OffsetDelete
    // InitProducerId: WRITE on the transactional id, or for idempotence IDEMPOTENT_WRITE on the
    // cluster or WRITE on any topic (KIP-679).
    [22, (ctx, req) => req.transactionalId !== null ? txn(ctx, req.transactionalId)
      : can(ctx, Op.IDEMPOTENT_WRITE, R.CLUSTER, CLUSTER_NAME) || authorizedForAny(broker, ctx, Op.WRITE, R.TOPIC) ? null : ErrorCode.CLUSTER_AUTHORIZATION_FAILED],
    [25, (ctx, req) => txn(ctx, req.transactionalId) ?? (can(ctx, Op.READ, R.GROUP, req.groupId) ? null : ErrorCode.GROUP_AUTHORIZATION_FAILED)], // AddOffsetsToTxn
    [26, (ctx, req) => txn(ctx, req.transactionalId)], // EndTxn
    [27, cluster(Op.CLUSTER_ACTION)], // WriteTxnMarkers
    [65, (ctx, req) => (req.transactionalIds as string[]).every((id) => can(ctx, Op.DESCRIBE, R.TRANSACTIONAL_ID, id)) ? null : ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED], // DescribeTransactions, all-or-nothing
    [66, cluster(Op.DESCRIBE)], // ListTransactions (Kafka filters by DESCRIBE per id; here the cluster)
    [61, topics(Op.READ, (r) => r.topics.map((t: any) => t.name))], // DescribeProducers
    [37, topics(Op.ALTER, (r) => r.topics.map((t: any) => t.name))], // CreatePartitions
    [21, topics(Op.DELETE, (r) => r.topics.map((t: any) => t.name))], // DeleteRecords
    [23, (ctx, req) => (req.replicaId >= 0 ? cluster(Op.CLUSTER_ACTION)(ctx, req) : topics(Op.DESCRIBE, (r) => r.topics.map((t: any) => t.topic))(ctx, req))], // OffsetForLeaderEpoch
    [75, topics(Op.DESCRIBE, (r) => r.topics.map((t: any) => t.name))], // DescribeTopicPartitions
    [32, configs(Op.DESCRIBE_CONFIGS)], // DescribeConfigs
    [33, configs(Op.ALTER_CONFIGS)], // AlterConfigs
    [44, configs(Op.ALTER_CONFIGS)], // IncrementalAlterConfigs
    [35, cluster(Op.DESCRIBE)], // DescribeLogDirs
    [43, cluster(Op.ALTER)], // ElectLeaders
    [45, cluster(Op.ALTER)], // AlterPartitionReassignments
    [46, cluster(Op.DESCRIBE)], // ListPartitionReassignments
    [50, cluster(Op.DESCRIBE)], // DescribeUserScramCredentials
    [51, cluster(Op.ALTER)], // AlterUserScramCredentials
  ]);
}
