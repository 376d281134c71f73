// Per-item authorization where KafkaApis authorizes per item rather than per request: the items
// the principal may not touch are answered with Kafka's error in place, the handler runs on the
// rest (not at all when nothing is left), and the answers are merged back in request order.
//   OffsetFetch        DESCRIBE per group; DESCRIBE per topic (named topics answer
//                      TOPIC_AUTHORIZATION_FAILED per partition; "all topics" leaves them out)
//   DescribeGroups     DESCRIBE per group (GROUP_AUTHORIZATION_FAILED in that group's entry)
//   ConsumerGroupDescribe  the same
//   DeleteTopics       DESCRIBE then DELETE per topic: an undescribable topic answers
//                      TOPIC_AUTHORIZATION_FAILED whether or not it exists (and by id without
//                      its name), a describable missing one UNKNOWN_TOPIC_OR_PARTITION (handler)
//   AddPartitionsToTxn WRITE on the transactional id; WRITE per topic: a refused topic fails its
//                      partitions, the others answer OPERATION_NOT_ATTEMPTED; v4+ (broker to
//                      broker) needs CLUSTER_ACTION
//   TxnOffsetCommit    WRITE on the transactional id, READ on the group, READ per topic
//   Describe/Alter/IncrementalAlterConfigs  DESCRIBE_CONFIGS / ALTER_CONFIGS per resource: topic,
//                      group, or the cluster for broker and broker-logger resources
//   DeleteGroups       DELETE per group;  DescribeTransactions  DESCRIBE per transactional id
//   ListTransactions   lists only the transactional ids the principal may DESCRIBE
//   CreatePartitions   ALTER per topic;   DeleteRecords  DELETE per topic
//   OffsetDelete       DELETE on the group, READ per topic;  DescribeProducers  READ per topic
//   OffsetForLeaderEpoch  DESCRIBE per topic (consumers; a follower needs CLUSTER_ACTION)
import { ErrorCode } from '../../../protocol/errors.js';
import { Api } from '../../../protocol/generated/apis.js';
import type { AddPartitionsToTxnRequest, AddPartitionsToTxnResponse, AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult } from '../../../protocol/generated/add-partitions-to-txn.js';
import type { ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse } from '../../../protocol/generated/consumer-group-describe.js';
import { defaultConsumerGroupDescribeResponseDescribedGroup } from '../../../protocol/generated/consumer-group-describe.js';
import type { DeleteTopicsRequest, DeleteTopicsResponse, DeleteTopicsResponseDeletableTopicResult } from '../../../protocol/generated/delete-topics.js';
import type { DescribeGroupsRequest, DescribeGroupsResponse } from '../../../protocol/generated/describe-groups.js';
import { defaultDescribeGroupsResponseDescribedGroup } from '../../../protocol/generated/describe-groups.js';
import type { OffsetFetchRequest, OffsetFetchResponse } from '../../../protocol/generated/offset-fetch.js';
import type { TxnOffsetCommitRequest, TxnOffsetCommitResponse } from '../../../protocol/generated/txn-offset-commit.js';
import { ZERO_UUID } from '../../../protocol/wire/defaults.js';
import type { ApiHandler, HandlerOutcome, RequestContext } from '../../network/request-context.js';
import { AclOperation as Op, CLUSTER_NAME, ResourceType as R } from './acl-model.js';
import { authorized, type HasAuthorizer } from './request-authz.js';

const OPERATION_NOT_ATTEMPTED = 55;
const CONFIG_TOPIC = 2;
const CONFIG_BROKER = 4;
const CONFIG_BROKER_LOGGER = 8;
const CONFIG_CLIENT_METRICS = 16;
const CONFIG_GROUP = 32;

export interface PerItemDeps extends HasAuthorizer {
  topics: { get(name: string): object | undefined; getById(id: string): { name: string } | undefined };
}

type Outcome<Res> = Res | Promise<HandlerOutcome>;
type Wrap = (h: ApiHandler) => ApiHandler;

/** Runs the handler on the allowed part (or skips it), then merges: `merge` gets the body or null. */
function split<Req, Res extends object>(
  h: ApiHandler,
  body: (ctx: RequestContext, req: Req) => { allowed: Req | null; merge(res: Res | null): Res } | Res,
): ApiHandler {
  return {
    ...h,
    handle(ctx, req) {
      const plan = body(ctx, req as Req);
      if (!('merge' in plan)) return plan;
      if (plan.allowed === null) return plan.merge(null);
      const done = (o: HandlerOutcome): HandlerOutcome => (typeof o === 'object' && o !== null && !('body' in o) ? plan.merge(o as Res) : o);
      const out = h.handle(ctx, plan.allowed) as Outcome<HandlerOutcome>;
      return out instanceof Promise ? out.then(done) : done(out);
    },
  };
}

export function perItemGuards(deps: PerItemDeps): Map<number, Wrap> {
  const can = (ctx: RequestContext, op: number, type: number, name: string) => authorized(deps, ctx, op, type, name);
  const refuse = (h: ApiHandler, req: unknown, code: number, version: number) => h.errorResponse!(req, code, version);

  const describeGroups: Wrap = (h) =>
    split<DescribeGroupsRequest, DescribeGroupsResponse>(h, (ctx, req) => {
      const ok = req.groups.map((g) => can(ctx, Op.DESCRIBE, R.GROUP, g));
      const allowed = req.groups.filter((_, i) => ok[i]);
      return {
        allowed: allowed.length ? { ...req, groups: allowed } : null,
        merge(res) {
          let j = 0;
          const groups = req.groups.map((groupId, i) =>
            ok[i] ? res!.groups[j++]! : { ...defaultDescribeGroupsResponseDescribedGroup(), groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, authorizedOperations: -2147483648 },
          );
          return { throttleTimeMs: res?.throttleTimeMs ?? 0, groups };
        },
      };
    });

  const consumerGroupDescribe: Wrap = (h) =>
    split<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse>(h, (ctx, req) => {
      const ok = req.groupIds.map((g) => can(ctx, Op.DESCRIBE, R.GROUP, g));
      const allowed = req.groupIds.filter((_, i) => ok[i]);
      return {
        allowed: allowed.length ? { ...req, groupIds: allowed } : null,
        merge(res) {
          let j = 0;
          const groups = req.groupIds.map((groupId, i) =>
            ok[i] ? res!.groups[j++]! : { ...defaultConsumerGroupDescribeResponseDescribedGroup(), groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, authorizedOperations: -2147483648 },
          );
          return { throttleTimeMs: res?.throttleTimeMs ?? 0, groups };
        },
      };
    });

  const offsetFetch: Wrap = (h) =>
    split<OffsetFetchRequest, OffsetFetchResponse>(h, (ctx, req) => {
      const v = ctx.header.apiVersion;
      const topicOk = (name: string) => can(ctx, Op.DESCRIBE, R.TOPIC, name);
      const refusedPartitions = (t: { name: string; partitionIndexes: number[] }) =>
        t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED }));
      if (v < 8) {
        if (!can(ctx, Op.DESCRIBE, R.GROUP, req.groupId)) return refuse(h, req, ErrorCode.GROUP_AUTHORIZATION_FAILED, v) as OffsetFetchResponse;
        const named = req.topics;
        const allowedTopics = named?.filter((t) => topicOk(t.name)) ?? null;
        return {
          allowed: named === null || allowedTopics!.length > 0 ? { ...req, topics: allowedTopics } : null,
          merge(res) {
            const base = res ?? { throttleTimeMs: 0, topics: [], errorCode: ErrorCode.NONE, groups: [] };
            if (named === null) return { ...base, topics: base.topics.filter((t) => topicOk(t.name)) };
            const byName = new Map(base.topics.map((t) => [t.name, t]));
            return { ...base, topics: named.map((t) => (topicOk(t.name) ? byName.get(t.name) : undefined) ?? { name: t.name, partitions: refusedPartitions(t) }) };
          },
        };
      }
      // v8+: several groups, each with its own error and topics.
      const nameOf = (t: { name: string; topicId: string }) => t.name || deps.topics.getById(t.topicId)?.name || '';
      const groupOk = req.groups.map((g) => can(ctx, Op.DESCRIBE, R.GROUP, g.groupId));
      const allowedGroups = req.groups
        .filter((_, i) => groupOk[i])
        .map((g) => ({ ...g, topics: g.topics === null ? null : g.topics.filter((t) => topicOk(nameOf(t))) }));
      return {
        allowed: allowedGroups.length ? { ...req, groups: allowedGroups } : null,
        merge(res) {
          const answered = new Map((res?.groups ?? []).map((g) => [g.groupId, g]));
          const groups = req.groups.map((g, i) => {
            if (!groupOk[i]) return { groupId: g.groupId, topics: [], errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
            const a = answered.get(g.groupId) ?? { groupId: g.groupId, topics: [], errorCode: ErrorCode.NONE };
            if (g.topics === null) return { ...a, topics: a.topics.filter((t) => topicOk(nameOf(t))) };
            const byKey = new Map(a.topics.map((t) => [t.name || t.topicId, t]));
            return {
              ...a,
              topics: g.topics.map((t) =>
                (topicOk(nameOf(t)) ? byKey.get(t.name || t.topicId) : undefined) ?? { name: t.name, topicId: t.topicId, partitions: refusedPartitions({ name: t.name, partitionIndexes: t.partitionIndexes }) },
              ),
            };
          });
          return { throttleTimeMs: res?.throttleTimeMs ?? 0, topics: [], errorCode: ErrorCode.NONE, groups };
        },
      };
    });

  const deleteTopics: Wrap = (h) =>
    split<DeleteTopicsRequest, DeleteTopicsResponse>(h, (ctx, req) => {
      const byId = ctx.header.apiVersion >= 6;
      const items = byId ? req.topics.map((t) => ({ name: t.name, topicId: t.topicId })) : req.topicNames.map((name) => ({ name: name as string | null, topicId: ZERO_UUID }));
      const refusal = items.map((t): DeleteTopicsResponseDeletableTopicResult | null => {
        const name = t.name ?? deps.topics.getById(t.topicId)?.name ?? null;
        if (name === null) return null; // unknown id: the handler answers UNKNOWN_TOPIC_ID
        const failed = (): DeleteTopicsResponseDeletableTopicResult => ({
          // By id, a topic the principal may not describe is not named (its name is not leaked).
          name: t.name,
          topicId: t.topicId,
          errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
          errorMessage: null,
        });
        if (!can(ctx, Op.DESCRIBE, R.TOPIC, name)) return failed();
        if (!deps.topics.get(name)) return null; // UNKNOWN_TOPIC_OR_PARTITION from the handler
        return can(ctx, Op.DELETE, R.TOPIC, name) ? null : failed();
      });
      const keep = <T>(list: T[]) => list.filter((_, i) => refusal[i] === null);
      const anyAllowed = refusal.some((r) => r === null);
      return {
        allowed: anyAllowed ? (byId ? { ...req, topics: keep(req.topics) } : { ...req, topicNames: keep(req.topicNames) }) : null,
        merge(res) {
          let j = 0;
          return { throttleTimeMs: res?.throttleTimeMs ?? 0, responses: refusal.map((r) => r ?? res!.responses[j++]!) };
        },
      };
    });

  const txnOffsetCommit: Wrap = (h) =>
    split<TxnOffsetCommitRequest, TxnOffsetCommitResponse>(h, (ctx, req) => {
      const all = (errorCode: number): TxnOffsetCommitResponse => ({
        throttleTimeMs: 0,
        topics: req.topics.map((t) => ({ name: t.name, topicId: t.topicId, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
      });
      if (!can(ctx, Op.WRITE, R.TRANSACTIONAL_ID, req.transactionalId)) return all(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
      if (!can(ctx, Op.READ, R.GROUP, req.groupId)) return all(ErrorCode.GROUP_AUTHORIZATION_FAILED);
      const ok = req.topics.map((t) => can(ctx, Op.READ, R.TOPIC, t.name));
      const allowed = req.topics.filter((_, i) => ok[i]);
      return {
        allowed: allowed.length ? { ...req, topics: allowed } : null,
        merge(res) {
          const byName = new Map((res?.topics ?? []).map((t) => [t.name, t]));
          const refused = all(ErrorCode.TOPIC_AUTHORIZATION_FAILED).topics;
          return { throttleTimeMs: res?.throttleTimeMs ?? 0, topics: req.topics.map((t, i) => (ok[i] ? byName.get(t.name) : undefined) ?? refused[i]!) };
        },
      };
    });

  const addPartitionsToTxn: Wrap = (h) =>
    split<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>(h, (ctx, req) => {
      const v = ctx.header.apiVersion;
      const topicResults = (topics: AddPartitionsToTxnRequest['v3AndBelowTopics'], refused: Set<string>): AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult[] =>
        topics.map((t) => ({
          name: t.name,
          resultsByPartition: t.partitions.map((partitionIndex) => ({
            partitionIndex,
            partitionErrorCode: refused.has(t.name) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : OPERATION_NOT_ATTEMPTED,
          })),
        }));
      const refusedTopics = (topics: AddPartitionsToTxnRequest['v3AndBelowTopics']) => new Set(topics.filter((t) => !can(ctx, Op.WRITE, R.TOPIC, t.name)).map((t) => t.name));
      if (v < 4) {
        if (!can(ctx, Op.WRITE, R.TRANSACTIONAL_ID, req.v3AndBelowTransactionalId)) return refuse(h, req, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, v) as AddPartitionsToTxnResponse;
        const refused = refusedTopics(req.v3AndBelowTopics);
        if (refused.size === 0) return { allowed: req, merge: (res) => res! };
        return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction: [], resultsByTopicV3AndBelow: topicResults(req.v3AndBelowTopics, refused) };
      }
      // v4+ comes from brokers (KIP-890 verification), which need CLUSTER_ACTION.
      if (!can(ctx, Op.CLUSTER_ACTION, R.CLUSTER, CLUSTER_NAME)) return refuse(h, req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, v) as AddPartitionsToTxnResponse;
      const refusedTxn = new Map<string, AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult[]>();
      for (const t of req.transactions) {
        if (!can(ctx, Op.WRITE, R.TRANSACTIONAL_ID, t.transactionalId)) {
          refusedTxn.set(t.transactionalId, t.topics.map((x) => ({ name: x.name, resultsByPartition: x.partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED })) })));
          continue;
        }
        const refused = refusedTopics(t.topics);
        if (refused.size > 0) refusedTxn.set(t.transactionalId, topicResults(t.topics, refused));
      }
      const allowed = req.transactions.filter((t) => !refusedTxn.has(t.transactionalId));
      return {
        allowed: allowed.length ? { ...req, transactions: allowed } : null,
        merge(res) {
          const answered = new Map((res?.resultsByTransaction ?? []).map((r) => [r.transactionalId, r]));
          return {
            throttleTimeMs: res?.throttleTimeMs ?? 0,
            errorCode: res?.errorCode ?? ErrorCode.NONE,
            resultsByTopicV3AndBelow: [],
            resultsByTransaction: req.transactions.map((t) =>
              refusedTxn.has(t.transactionalId) ? { transactionalId: t.transactionalId, topicResults: refusedTxn.get(t.transactionalId)! } : answered.get(t.transactionalId) ?? { transactionalId: t.transactionalId, topicResults: [] },
            ),
          };
        },
      };
    });

  /** Describe/Alter/IncrementalAlterConfigs: per resource, answering the refused ones in place. */
  const configs = (op: number, resultsField: 'results' | 'responses', refusedEntry: (r: { resourceType: number; resourceName: string }, errorCode: number) => object): Wrap => (h) =>
    split<{ resources: { resourceType: number; resourceName: string }[] }, Record<string, unknown> & { throttleTimeMs: number }>(h, (ctx, req) => {
      const refusal = req.resources.map((r) => {
        switch (r.resourceType) {
          case CONFIG_TOPIC:
            return can(ctx, op, R.TOPIC, r.resourceName) ? null : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
          case CONFIG_GROUP:
            return can(ctx, op, R.GROUP, r.resourceName) ? null : ErrorCode.GROUP_AUTHORIZATION_FAILED;
          case CONFIG_BROKER:
          case CONFIG_BROKER_LOGGER:
          case CONFIG_CLIENT_METRICS:
            return can(ctx, op, R.CLUSTER, CLUSTER_NAME) ? null : ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
          default:
            return null; // the handler answers an unknown resource type
        }
      });
      const allowed = req.resources.filter((_, i) => refusal[i] === null);
      return {
        allowed: allowed.length ? { ...req, resources: allowed } : null,
        merge(res) {
          const answered = (res?.[resultsField] as object[] | undefined) ?? [];
          let j = 0;
          return { ...(res ?? { throttleTimeMs: 0 }), [resultsField]: req.resources.map((r, i) => (refusal[i] === null ? answered[j++]! : refusedEntry(r, refusal[i]!))) };
        },
      };
    });

  /**
   * APIs whose request is a list of named items answered one result per item: refused items get
   * `refused(item)`, the others the handler's result of the same name.
   */
  const perName = <Item, Result>(
    listField: string,
    resultField: string,
    nameOf: (i: Item) => string,
    resultName: (r: Result) => string,
    allowed: (ctx: RequestContext, name: string) => boolean,
    refused: (i: Item) => Result,
    /** The response fields besides the list, when no item is left for the handler. */
    empty: Record<string, unknown> = {},
  ): Wrap => (h) =>
    split<Record<string, unknown>, Record<string, unknown> & { throttleTimeMs: number }>(h, (ctx, req) => {
      const items = req[listField] as Item[];
      const ok = items.map((i) => allowed(ctx, nameOf(i)));
      const kept = items.filter((_, i) => ok[i]);
      return {
        allowed: kept.length ? { ...req, [listField]: kept } : null,
        merge(res) {
          const byName = new Map(((res?.[resultField] as Result[] | undefined) ?? []).map((r) => [resultName(r), r]));
          return { ...(res ?? { throttleTimeMs: 0, ...empty }), [resultField]: items.map((item, i) => (ok[i] ? byName.get(nameOf(item)) : undefined) ?? refused(item)) };
        },
      };
    });

  const listTransactions: Wrap = (h) => ({
    ...h,
    handle(ctx, req) {
      const filter = (o: HandlerOutcome): HandlerOutcome => {
        if (typeof o !== 'object' || o === null || !('transactionStates' in o)) return o;
        const res = o as { transactionStates: { transactionalId: string }[] };
        return { ...res, transactionStates: res.transactionStates.filter((t) => can(ctx, Op.DESCRIBE, R.TRANSACTIONAL_ID, t.transactionalId)) };
      };
      const out = h.handle(ctx, req);
      return out instanceof Promise ? out.then(filter) : filter(out);
    },
  });

  /** A whole-request check in front of a per-item wrapper: `code` refuses everything. */
  const first = (check: (ctx: RequestContext, req: any) => number | null, inner: Wrap): Wrap => (h) => {
    const wrapped = inner(h);
    return {
      ...wrapped,
      handle(ctx, req) {
        const code = check(ctx, req);
        return code === null ? wrapped.handle(ctx, req) : refuse(h, req, code, ctx.header.apiVersion);
      },
    };
  };
  type Partitioned = { name: string; partitions: { partitionIndex: number }[] };

  return new Map<number, Wrap>([
    [Api.OffsetDelete.apiKey, first(
      (ctx, req) => (can(ctx, Op.DELETE, R.GROUP, req.groupId) ? null : ErrorCode.GROUP_AUTHORIZATION_FAILED),
      perName<Partitioned, { name: string }>('topics', 'topics', (t) => t.name, (r) => r.name, (ctx, t) => can(ctx, Op.READ, R.TOPIC, t), (t) => ({
        name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })),
      }), { errorCode: ErrorCode.NONE }),
    )],
    [Api.DescribeProducers.apiKey, perName<{ name: string; partitionIndexes: number[] }, { name: string }>('topics', 'topics', (t) => t.name, (r) => r.name, (ctx, t) => can(ctx, Op.READ, R.TOPIC, t), (t) => ({
      name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null, activeProducers: [] })),
    }))],
    [Api.OffsetForLeaderEpoch.apiKey, first(
      (ctx, req) => (req.replicaId >= 0 && !can(ctx, Op.CLUSTER_ACTION, R.CLUSTER, CLUSTER_NAME) ? ErrorCode.CLUSTER_AUTHORIZATION_FAILED : null),
      perName<{ topic: string; partitions: { partition: number }[] }, { topic: string }>('topics', 'topics', (t) => t.topic, (r) => r.topic, (ctx, t) => can(ctx, Op.DESCRIBE, R.TOPIC, t), (t) => ({
        topic: t.topic, partitions: t.partitions.map((p) => ({ errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, partition: p.partition, leaderEpoch: -1, endOffset: -1 })),
      })),
    )],
    [Api.DeleteGroups.apiKey, perName<string, { groupId: string }>('groupsNames', 'results', (g) => g, (r) => r.groupId, (ctx, g) => can(ctx, Op.DELETE, R.GROUP, g), (groupId) => ({ groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: null }))],
    [Api.DescribeTransactions.apiKey, perName<string, { transactionalId: string }>('transactionalIds', 'transactionStates', (t) => t, (r) => r.transactionalId, (ctx, t) => can(ctx, Op.DESCRIBE, R.TRANSACTIONAL_ID, t), (transactionalId) => ({
      errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1, producerId: -1, producerEpoch: -1, topics: [],
    }))],
    [Api.ListTransactions.apiKey, listTransactions],
    [Api.CreatePartitions.apiKey, perName<{ name: string }, { name: string }>('topics', 'results', (t) => t.name, (r) => r.name, (ctx, t) => can(ctx, Op.ALTER, R.TOPIC, t), (t) => ({ name: t.name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null }))],
    [Api.DeleteRecords.apiKey, perName<{ name: string; partitions: { partitionIndex: number }[] }, { name: string }>('topics', 'topics', (t) => t.name, (r) => r.name, (ctx, t) => can(ctx, Op.DELETE, R.TOPIC, t), (t) => ({
      name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })),
    }))],
    [Api.OffsetFetch.apiKey, offsetFetch],
    [Api.DescribeGroups.apiKey, describeGroups],
    [Api.ConsumerGroupDescribe.apiKey, consumerGroupDescribe],
    [Api.DeleteTopics.apiKey, deleteTopics],
    [Api.AddPartitionsToTxn.apiKey, addPartitionsToTxn],
    [Api.TxnOffsetCommit.apiKey, txnOffsetCommit],
    [Api.DescribeConfigs.apiKey, configs(Op.DESCRIBE_CONFIGS, 'results', (r, errorCode) => ({ errorCode, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] }))],
    [Api.AlterConfigs.apiKey, configs(Op.ALTER_CONFIGS, 'responses', (r, errorCode) => ({ errorCode, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName }))],
    [Api.IncrementalAlterConfigs.apiKey, configs(Op.ALTER_CONFIGS, 'responses', (r, errorCode) => ({ errorCode, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName }))],
  ]);
}
