// The authorizedOperations bit fields (KIP-430) computed from the ACLs, as KafkaApis'
// authorizedOperations: every operation the resource type supports that the principal may do
// (all of them without an authorizer), one bit per operation code; Int.MinValue when the client
// did not ask. Filled in after the handler answered, for Metadata, DescribeGroups,
// DescribeCluster, ConsumerGroupDescribe and DescribeTopicPartitions (which has no flag: Kafka's
// DescribeTopicPartitionsRequestHandler always computes it, and the Java admin client's
// describeTopics uses that API).
import { Api } from '../../../protocol/generated/apis.js';
import type { ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse } from '../../../protocol/generated/consumer-group-describe.js';
import type { DescribeClusterRequest, DescribeClusterResponse } from '../../../protocol/generated/describe-cluster.js';
import type { DescribeTopicPartitionsResponse } from '../../../protocol/generated/describe-topic-partitions.js';
import type { DescribeGroupsRequest, DescribeGroupsResponse } from '../../../protocol/generated/describe-groups.js';
import type { MetadataRequest, MetadataResponse } from '../../../protocol/generated/metadata.js';
import type { ApiHandler, HandlerOutcome, RequestContext } from '../../network/request-context.js';
import { AclOperation as Op, CLUSTER_NAME, ResourceType as R } from './acl-model.js';
import { authorized, type HasAuthorizer } from './request-authz.js';

export const OPERATIONS_NOT_REQUESTED = -2147483648;

/** AclEntry.supportedOperations (Kafka 4.x). */
const SUPPORTED: Record<number, number[]> = {
  [R.TOPIC]: [Op.READ, Op.WRITE, Op.CREATE, Op.DESCRIBE, Op.DELETE, Op.ALTER, Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS],
  [R.GROUP]: [Op.READ, Op.DESCRIBE, Op.DELETE, Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS],
  [R.CLUSTER]: [Op.CREATE, Op.CLUSTER_ACTION, Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS, Op.IDEMPOTENT_WRITE, Op.ALTER, Op.DESCRIBE],
  [R.TRANSACTIONAL_ID]: [Op.DESCRIBE, Op.WRITE],
};

export function authorizedOperations(deps: HasAuthorizer, ctx: RequestContext, resourceType: number, name: string): number {
  let bits = 0;
  for (const op of SUPPORTED[resourceType] ?? []) if (authorized(deps, ctx, op, resourceType, name)) bits |= 1 << op;
  return bits;
}

/** Applies `fill` to the handler's response body (not to NO_RESPONSE and the like). */
export function afterResponse<Req, Res extends object>(h: ApiHandler, fill: (ctx: RequestContext, req: Req, res: Res) => Res): ApiHandler {
  return {
    ...h,
    handle(ctx, req) {
      const done = (o: HandlerOutcome): HandlerOutcome => (typeof o === 'object' && o !== null && !('body' in o) ? fill(ctx, req as Req, o as Res) : o);
      const out = h.handle(ctx, req);
      return out instanceof Promise ? out.then(done) : done(out);
    },
  };
}

/** api key -> wrapper filling that API's authorizedOperations fields. */
export function authorizedOperationsFillers(deps: HasAuthorizer): Map<number, (h: ApiHandler) => ApiHandler> {
  const ops = (ctx: RequestContext, type: number, name: string) => authorizedOperations(deps, ctx, type, name);
  // KafkaApis (Metadata, DescribeCluster) lists the cluster's operations only to a principal that
  // may DESCRIBE the cluster, and answers 0 (none) to others, whatever else they may do.
  const clusterOps = (ctx: RequestContext) => (authorized(deps, ctx, Op.DESCRIBE, R.CLUSTER, CLUSTER_NAME) ? ops(ctx, R.CLUSTER, CLUSTER_NAME) : 0);
  return new Map<number, (h: ApiHandler) => ApiHandler>([
    [Api.Metadata.apiKey, (h) => afterResponse<MetadataRequest, MetadataResponse>(h, (ctx, req, res) => ({
      ...res,
      clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? clusterOps(ctx) : OPERATIONS_NOT_REQUESTED,
      topics: req.includeTopicAuthorizedOperations
        ? res.topics.map((t) => (t.errorCode === 0 && t.name ? { ...t, topicAuthorizedOperations: ops(ctx, R.TOPIC, t.name) } : t))
        : res.topics,
    }))],
    [Api.DescribeCluster.apiKey, (h) => afterResponse<DescribeClusterRequest, DescribeClusterResponse>(h, (ctx, req, res) => ({
      ...res,
      clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? clusterOps(ctx) : OPERATIONS_NOT_REQUESTED,
    }))],
    [Api.DescribeTopicPartitions.apiKey, (h) => afterResponse<unknown, DescribeTopicPartitionsResponse>(h, (ctx, _req, res) => ({
      ...res,
      topics: res.topics.map((t) => (t.errorCode === 0 && t.name ? { ...t, topicAuthorizedOperations: ops(ctx, R.TOPIC, t.name) } : t)),
    }))],
    [Api.DescribeGroups.apiKey, (h) => afterResponse<DescribeGroupsRequest, DescribeGroupsResponse>(h, (ctx, req, res) => ({
      ...res,
      groups: res.groups.map((g) => ({
        ...g,
        authorizedOperations: req.includeAuthorizedOperations && g.errorCode === 0 ? ops(ctx, R.GROUP, g.groupId) : OPERATIONS_NOT_REQUESTED,
      })),
    }))],
    [Api.ConsumerGroupDescribe.apiKey, (h) => afterResponse<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse>(h, (ctx, req, res) => ({
      ...res,
      groups: res.groups.map((g) => ({
        ...g,
        authorizedOperations: req.includeAuthorizedOperations && g.errorCode === 0 ? ops(ctx, R.GROUP, g.groupId) : OPERATIONS_NOT_REQUESTED,
      })),
    }))],
  ]);
}
