// Produce: authorize, resolve topic ids, add partitions to the transaction (v12), then append each
// partition through the partition layer (src/cluster/partition-manager.ts, origin 'client'), which
// validates the records (src/cluster/client-records.ts: zero-decode for uncompressed well-formed
// batches, legacy v0-2 message sets up-converted), checks leadership and min.insync, and assigns
// offsets synchronously. The answer goes once every append is acknowledged (acks=1/-1), or not
// at all (acks=0).
//
// v12 is transaction version 2 (KIP-890 part 2): a transactional batch adds its partition to the
// producer's transaction itself (produce-txn-v2.ts), no AddPartitionsToTxn needed. v13 (KIP-516)
// names topics by id: an id no topic has answers UNKNOWN_TOPIC_ID, and the answer carries ids.
import { ErrorCode } from '../../protocol/errors.js';
import type { ProduceRequest, ProduceResponse, ProduceResponsePartitionProduceResponse, ProduceResponseTopicProduceResponse } from '../../protocol/generated/produce.js';
import { Api } from '../../protocol/generated/apis.js';
import type { ClusterView } from '../cluster/cluster-view.js';
import { leaderEndpoints, LEADER_HINTS_SINCE_PRODUCE } from '../cluster/leader-endpoints.js';
import type { AppendOptions, AppendOutcome, PartitionManager } from '../cluster/partition-manager.js';
import { tpKey } from '../cluster/topic-partition.js';
import { ZERO_UUID } from '../metadata/uuid.js';
import type { Logger } from '../logging/logger.js';
import type { TopicRecord } from '../metadata/topic-registry.js';
import { addProducePartitionsToTxn, TXN_V2_PRODUCE_SINCE, verifyProducePartitionsRemotely, type TxnPartitionAdder } from './produce-txn-v2.js';
import { CLOSE_CONNECTION, defineHandler, NO_RESPONSE, type HandlerOutcome, type RequestContext } from '../network/request-context.js';
import { AclOperation, ResourceType } from '../auth/acl/acl-model.js';
import { authorized, type HasAuthorizer } from '../auth/acl/request-authz.js';

/** What Produce needs: the partition layer's append, topic ids, ACLs and (v12) the transaction coordinator. */
export interface ProduceDeps extends HasAuthorizer, Pick<ClusterView, 'brokersFor'> {
  partitionManager: Pick<PartitionManager, 'append' | 'partition' | 'hostedPartition'>;
  topics: { getById(id: string): TopicRecord | undefined };
  txnCoordinator: TxnPartitionAdder | null;
  logger: Logger;
}

type PartitionResult = ProduceResponsePartitionProduceResponse;

function failed(index: number, errorCode: number, errorMessage: string | null = null): PartitionResult {
  return { index, errorCode, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, recordErrors: [], errorMessage };
}

const TOPIC_IDS_SINCE = 13;

function response(topics: ProduceResponseTopicProduceResponse[]): ProduceResponse {
  return { responses: topics, throttleTimeMs: 0 };
}

/** KIP-951 (v10+): a NOT_LEADER_OR_FOLLOWER answer names the leader, whose endpoint the response carries. */
function withLeaderHints(res: ProduceResponse, version: number, outcomes: (AppendOutcome | PartitionResult)[], deps: ProduceDeps, listener: string): ProduceResponse {
  if (version < LEADER_HINTS_SINCE_PRODUCE) return res;
  const leaders: number[] = [];
  for (const o of outcomes) if ('currentLeader' in o && o.currentLeader && !('index' in o)) leaders.push(o.currentLeader.leaderId);
  if (leaders.length > 0) res.nodeEndpoints = leaderEndpoints(deps, listener, leaders);
  return res;
}

/** The partition response; read after the append's completion settled (it may turn into KAFKA_STORAGE_ERROR). */
function answered(index: number, r: AppendOutcome, version: number): PartitionResult {
  const out: PartitionResult = { index, errorCode: r.errorCode, baseOffset: r.baseOffset, logAppendTimeMs: r.logAppendTimeMs, logStartOffset: r.logStartOffset, recordErrors: r.recordErrors, errorMessage: r.errorMessage };
  if (r.currentLeader && version >= LEADER_HINTS_SINCE_PRODUCE) out.currentLeader = r.currentLeader;
  return out;
}

/**
 * The last options built for a non-transactional request, reused while the next one has the same
 * values (a producer's requests all do): append() only reads them, and one object fewer per
 * request is ~50 bytes at 40,000 requests/s (issue 14, per-request garbage).
 */
let lastOptions: AppendOptions = { produceVersion: -1, transactionalId: null, timeoutMs: -1, internalTopicsAllowed: false };

function appendOptionsOf(ctx: RequestContext, req: ProduceRequest): AppendOptions {
  const version = ctx.header.apiVersion;
  const transactionalId = version >= 3 ? req.transactionalId : null;
  // timeoutMs bounds how long acks=-1 waits for the ISR (replicated partitions).
  const timeoutMs = Math.max(0, req.timeoutMs);
  // As KafkaApis: internal topics take Produce only from the admin client id (here: another broker's aggregation stage).
  const internalTopicsAllowed = ctx.header.clientId === '__admin_client';
  const last = lastOptions;
  if (transactionalId === null && last.produceVersion === version && last.timeoutMs === timeoutMs && last.internalTopicsAllowed === internalTopicsAllowed) return last;
  const options: AppendOptions = { produceVersion: version, transactionalId, timeoutMs, internalTopicsAllowed };
  if (transactionalId === null) lastOptions = options;
  return options;
}

/** Appends every allowed partition, then answers once the writes have settled (acks 1 / -1). */
function appendAll(
  deps: ProduceDeps,
  ctx: RequestContext,
  req: ProduceRequest,
  names: (string | undefined)[],
  refusals: number[],
  addErrors: Map<string, number> | null,
): HandlerOutcome<ProduceResponse> | Promise<HandlerOutcome<ProduceResponse>> {
  const version = ctx.header.apiVersion;
  const acks = req.acks;
  const topicData = req.topicData;
  const nTopics = topicData.length;
  const appendOptions = appendOptionsOf(ctx, req);
  let anyError = false;
  let firstPending: Promise<void> | null = null;
  let morePending: Promise<void>[] | null = null;
  // Per topic, per partition: the refusal, or the append's outcome until it has settled.
  const results = new Array<(AppendOutcome | PartitionResult)[]>(nTopics);
  for (let ti = 0; ti < nTopics; ti++) {
    const name = names[ti];
    const refusal = refusals[ti]!;
    const parts = topicData[ti]!.partitionData;
    const out = new Array<AppendOutcome | PartitionResult>(parts.length);
    for (let pi = 0; pi < parts.length; pi++) {
      const p = parts[pi]!;
      if (refusal !== ErrorCode.NONE) {
        anyError = true;
        out[pi] = failed(p.index, refusal);
        continue;
      }
      if (name === undefined) {
        anyError = true;
        out[pi] = failed(p.index, ErrorCode.UNKNOWN_TOPIC_ID);
        continue;
      }
      const addError = addErrors?.get(tpKey(name, p.index)) ?? ErrorCode.NONE;
      if (addError !== ErrorCode.NONE) {
        anyError = true;
        out[pi] = failed(p.index, addError);
        continue;
      }
      const r = deps.partitionManager.append('client', name, p.index, p.records, acks, appendOptions);
      if (r.errorCode !== ErrorCode.NONE) anyError = true;
      if (r.completion) {
        if (firstPending === null) firstPending = r.completion;
        else (morePending ??= [firstPending]).push(r.completion);
      }
      out[pi] = r;
    }
    results[ti] = out;
  }
  if (acks === 0) {
    // Kafka has no way to report an acks=0 failure except closing the connection.
    return anyError ? CLOSE_CONNECTION : NO_RESPONSE;
  }
  const settled = anyError;
  if (morePending !== null) return Promise.all(morePending).then(() => answerAll(deps, ctx, req, results, settled));
  if (firstPending !== null) return firstPending.then(() => answerAll(deps, ctx, req, results, settled));
  return answerAll(deps, ctx, req, results, anyError);
}

/** The response, from outcomes read only now: a failed write turns an outcome into KAFKA_STORAGE_ERROR. */
function answerAll(deps: ProduceDeps, ctx: RequestContext, req: ProduceRequest, results: (AppendOutcome | PartitionResult)[][], anyError: boolean): ProduceResponse {
  const version = ctx.header.apiVersion;
  const topicData = req.topicData;
  const hinted = anyError && version >= LEADER_HINTS_SINCE_PRODUCE ? ([] as AppendOutcome[]) : null;
  const responses = new Array<ProduceResponseTopicProduceResponse>(topicData.length);
  for (let ti = 0; ti < topicData.length; ti++) {
    const t = topicData[ti]!;
    const out = results[ti]!;
    for (let pi = 0; pi < out.length; pi++) {
      const o = out[pi]!;
      if ('index' in o) continue;
      if (hinted !== null) hinted.push(o);
      out[pi] = answered(t.partitionData[pi]!.index, o, version);
    }
    const partitionResponses = out as PartitionResult[];
    responses[ti] = version >= TOPIC_IDS_SINCE ? { name: '', topicId: t.topicId, partitionResponses } : { name: t.name, topicId: ZERO_UUID, partitionResponses };
  }
  const res = response(responses);
  return hinted !== null ? withLeaderHints(res, version, hinted, deps, ctx.connection.listenerName) : res;
}

/**
 * The common request: one topic, one partition, not transactional (a producer sending one record
 * or batch at a time) — or transactional before v12 on one broker, its transactional id authorized. Same outcome as appendAll/answerAll — it hands them every case where they
 * would do more than answer one successful append (unknown topic, refusal, append error) — with
 * exact-size arrays and none of their per-topic bookkeeping (issue 14, per-request garbage).
 */
function produceOne(deps: ProduceDeps, ctx: RequestContext, req: ProduceRequest): HandlerOutcome<ProduceResponse> | Promise<HandlerOutcome<ProduceResponse>> {
  const version = ctx.header.apiVersion;
  const t = req.topicData[0]!;
  const name = version >= TOPIC_IDS_SINCE ? deps.topics.getById(t.topicId)?.name : t.name;
  const refusal = name !== undefined && !authorized(deps, ctx, AclOperation.WRITE, ResourceType.TOPIC, name) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.NONE;
  if (name === undefined || refusal !== ErrorCode.NONE) return appendAll(deps, ctx, req, [name], [refusal], null);
  const p = t.partitionData[0]!;
  const r = deps.partitionManager.append('client', name, p.index, p.records, req.acks, appendOptionsOf(ctx, req));
  if (req.acks === 0) return r.errorCode !== ErrorCode.NONE ? CLOSE_CONNECTION : NO_RESPONSE;
  if (r.errorCode !== ErrorCode.NONE) {
    // As appendAll with an error: the answer may name the leader (KIP-951).
    const results: (AppendOutcome | PartitionResult)[][] = [[r]];
    if (r.completion === null) return answerAll(deps, ctx, req, results, true);
    return r.completion.then(() => answerAll(deps, ctx, req, results, true));
  }
  if (r.completion === null) return answerOne(version, t, p.index, r);
  return r.completion.then(() => answerOne(version, t, p.index, r));
}

/** answerAll for one topic with one partition whose append had no error when it was made. */
function answerOne(version: number, t: ProduceRequest['topicData'][number], index: number, r: AppendOutcome): ProduceResponse {
  const partitionResponses = [answered(index, r, version)];
  const topic: ProduceResponseTopicProduceResponse =
    version >= TOPIC_IDS_SINCE ? { name: '', topicId: t.topicId, partitionResponses } : { name: t.name, topicId: ZERO_UUID, partitionResponses };
  return { responses: [topic], throttleTimeMs: 0 };
}

export function produceHandler(deps: ProduceDeps) {
  const layer = deps.partitionManager;
  return defineHandler(Api.Produce, {
    errorResponse(req, errorCode) {
      return response(req.topicData.map((t) => ({ name: t.name, topicId: t.topicId, partitionResponses: t.partitionData.map((p) => failed(p.index, errorCode)) })));
    },
    // Hot path (one call per Produce request; issue 14 latency): not an async function (its
    // suspended state per request was the largest allocation of a small Produce), one pass over
    // the topics, and one continuation for the writes whatever the number of partitions.
    handle(ctx, req): HandlerOutcome<ProduceResponse> | Promise<HandlerOutcome<ProduceResponse>> {
      const version = ctx.header.apiVersion;
      const topicData = req.topicData;
      const nTopics = topicData.length;
      const transactionalId = version >= 3 ? req.transactionalId : null;
      // Before v12 on a broker whose coordinator does not follow a cluster's leadership, nothing is
      // verified remotely (verifyProducePartitionsRemotely answers null): the append path checks the
      // transaction at the local coordinator, so the request is appended in this stretch instead of
      // one promise later (issue 14: per-transaction CPU).
      const localTxn = transactionalId !== null && version < TXN_V2_PRODUCE_SINCE && !deps.txnCoordinator?.followsLeadership;
      if (nTopics === 1 && topicData[0]!.partitionData.length === 1) {
        if (transactionalId === null) return produceOne(deps, ctx, req);
        if (localTxn && authorized(deps, ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, transactionalId)) return produceOne(deps, ctx, req);
      }
      // As KafkaApis: a transactional producer needs WRITE on its transactional id, then WRITE on
      // each topic; refusals are per partition, and a refused topic is neither added to the
      // transaction nor appended.
      const txnRefused = transactionalId !== null && !authorized(deps, ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, transactionalId);
      const names = new Array<string | undefined>(nTopics);
      const refusals = new Array<number>(nTopics);
      let anyAllowed = false;
      for (let ti = 0; ti < nTopics; ti++) {
        const t = topicData[ti]!;
        const name = version >= TOPIC_IDS_SINCE ? deps.topics.getById(t.topicId)?.name : t.name;
        names[ti] = name;
        const refusal = txnRefused
          ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
          : name !== undefined && !authorized(deps, ctx, AclOperation.WRITE, ResourceType.TOPIC, name)
            ? ErrorCode.TOPIC_AUTHORIZATION_FAILED
            : ErrorCode.NONE;
        refusals[ti] = refusal;
        if (refusal === ErrorCode.NONE) anyAllowed = true;
      }
      if (transactionalId === null || !anyAllowed || localTxn) return appendAll(deps, ctx, req, names, refusals, null);
      // Transaction version 2: the partitions join the transaction before anything is appended.
      // Before v12, in a cluster: a producer coordinated elsewhere has new partitions verified there.
      const allowed = topicData.filter((_, ti) => refusals[ti] === ErrorCode.NONE);
      const allowedNames = names.filter((_, ti) => refusals[ti] === ErrorCode.NONE);
      const added =
        version >= TXN_V2_PRODUCE_SINCE
          ? addProducePartitionsToTxn(deps.txnCoordinator, layer, transactionalId, allowed, allowedNames, version)
          : verifyProducePartitionsRemotely(deps.txnCoordinator, layer, transactionalId, allowed, allowedNames, version);
      return added.then((addErrors) => appendAll(deps, ctx, req, names, refusals, addErrors));
    },
  });
}
