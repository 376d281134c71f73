// Fetch: sessions (KIP-227, state machine in fetch/fetch-session-cache.ts), long polling
// (max.wait.ms / min.bytes woken by appends), byte budgets, read_committed bounded by the LSO, and
// message down-conversion for v0-3 clients (fetch/fetch-reader.ts, which reads through the
// partition layer). KIP-392: v11+ consumers may read from followers (as Kafka, with or without a
// selector); with replica.selector.class set a leader may answer with a preferred read replica
// (cluster/replica-selector.ts).
// v18 only adds the fetcher's known high watermark (KIP-1166, a tagged field): Kafka's brokers
// use it for KRaft replication, not for partition fetches, and neither does this one.
import { ErrorCode } from '../../protocol/errors.js';
import type { FetchRequest, FetchResponse, FetchResponseFetchableTopicResponse, FetchResponsePartitionData } from '../../protocol/generated/fetch.js';
import { Api } from '../../protocol/generated/apis.js';
import { AclOperation, ResourceType } from '../auth/acl/acl-model.js';
import { authorized, type HasAuthorizer } from '../auth/acl/request-authz.js';
import type { AppendWaiters, AppendWatch } from '../cluster/append-waiters.js';
import type { ClusterView } from '../cluster/cluster-view.js';
import { LEADER_HINTS_SINCE_FETCH, leaderEndpoints, NODE_ENDPOINTS_SINCE_FETCH } from '../cluster/leader-endpoints.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { beginFetch, FINAL_EPOCH, markSent, type FetchSessionCache, type SessionPartition } from '../fetch/fetch-session-cache.js';
import { readPartitions, releaseResults, type FetchReadOptions, type PartitionFetch, type PartitionFetchResult, type PartitionReaderDeps } from '../fetch/fetch-reader.js';
import type { TopicRecord } from '../metadata/topic-registry.js';
import { ZERO_UUID } from '../metadata/uuid.js';
import { defineHandler } from '../network/request-context.js';

/** What Fetch needs: the partition layer (reads and long-poll waiters), sessions, topic names and ids, ACLs. */
export interface FetchDeps extends PartitionReaderDeps, HasAuthorizer, Pick<ClusterView, 'brokersFor'> {
  topics: { get(name: string): TopicRecord | undefined; getById(id: string): TopicRecord | undefined };
  fetchSessions: FetchSessionCache;
  waiters: Pick<AppendWaiters, 'seq' | 'watchSince'>;
  config: Pick<BrokerConfig, 'get'>;
  readonly isClosing: boolean;
}

type Topic = FetchRequest['topics'][number];

function topLevelError(errorCode: number): FetchResponse {
  return { throttleTimeMs: 0, errorCode, sessionId: 0, responses: [] };
}

export function fetchHandler(broker: FetchDeps) {
  return defineHandler(Api.Fetch, {
    errorResponse(req, errorCode, version): FetchResponse {
      // As Kafka's FetchRequest.getErrorResponse: the error on every requested partition (and at
      // the top level where v7+ has one), so each client sees it whichever field it reads.
      const failed: PartitionFetchResult = { errorCode, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: Buffer.alloc(0), abortedTransactions: null, leaderId: -1, leaderEpoch: -1 };
      return {
        ...topLevelError(errorCode),
        responses: req.topics.map((t) => ({ topic: t.topic, topicId: t.topicId, partitions: t.partitions.map((p) => partitionData(p.partition, failed, version)) })),
      };
    },
    async handle(ctx, req): Promise<FetchResponse> {
      const v = ctx.header.apiVersion;
      const useIds = v >= 13;
      const sessionId = v >= 7 ? req.sessionId : 0;
      const sessionEpoch = v >= 7 ? req.sessionEpoch : FINAL_EPOCH;

      const requested = resolveRequested(broker, req.topics, useIds);
      const forgotten = v >= 7 ? req.forgottenTopicsData.flatMap((f) => f.partitions.map((partition) => ({ topicKey: useIds ? f.topicId : f.topic, partition }))) : [];
      const step = beginFetch(broker.fetchSessions, sessionId, sessionEpoch, requested, forgotten, useIds);
      if ('errorCode' in step) return topLevelError(step.errorCode);
      const { session, incremental, fetches } = step;

      const magic = v <= 1 ? 0 : v <= 3 ? 1 : 2;
      // Kafka caps every fetch at fetch.max.bytes (still returning at least one whole batch).
      const fetchMaxBytes = broker.config.get('fetch.max.bytes');
      // A replica id (v0-14 field, v15+ ReplicaState) marks a follower: it reads up to the log end
      // and the leader records its position (only on replicated partitions, see
      // PartitionManager.read; consumers send -1).
      const replicaId = v >= 15 ? (req.replicaState?.replicaId ?? -1) : req.replicaId;
      const follower = replicaId >= 0;
      const opts: FetchReadOptions = {
        maxBytes: Math.min(v >= 3 ? req.maxBytes : 0x7fffffff, fetchMaxBytes),
        isolationLevel: v >= 4 ? req.isolationLevel : 0,
        magic,
        allowZstd: v >= 10,
        ...(follower ? { reader: 'follower' as const, replicaId } : {}),
        // KIP-392: v11+ consumers send client metadata (their rack); as Kafka's FetchParams, that
        // lets a follower serve them and the leader name a preferred read replica.
        ...(!follower && v >= 11 ? { clientRack: req.rackId ?? '' } : {}),
      };
      const all: PartitionFetch[] = fetches.map((f) => ({ ...f, topic: currentName(broker, f, useIds) }));
      // Consumers need READ on each topic (KafkaApis); refused partitions are answered
      // TOPIC_AUTHORIZATION_FAILED and never read. Decisions are cached per topic by the authorizer.
      const refused = broker.authorizer ? all.map((f) => !authorized(broker, ctx, AclOperation.READ, ResourceType.TOPIC, f.topic)) : null;
      const toRead = refused ? all.filter((_, i) => !refused[i]) : all;

      const longPoll = req.maxWaitMs > 0 && req.minBytes > 0 && toRead.length > 0;
      // The watch is registered only when the first read falls short of min.bytes (a consumer
      // catching up never waits: no watch, no Set per partition per fetch); watchSince makes it
      // dirty if an append was notified during that read, so that append is not missed.
      const seq = broker.waiters.seq;
      let watch: AppendWatch | null = null;
      let results: PartitionFetchResult[];
      let bytes: number;
      try {
        ({ results, bytes } = await readPartitions(broker, toRead, opts));
        if (longPoll && bytes < req.minBytes && !answersAtOnce(results)) {
          watch = broker.waiters.watchSince(toRead, seq);
          const deadline = Date.now() + req.maxWaitMs;
          while (bytes < req.minBytes && !answersAtOnce(results)) {
            const left = deadline - Date.now();
            if (left <= 0 || !(await watch.wait(left)) || broker.isClosing) break;
            releaseResults(results); // read again below: these bytes are never sent
            ({ results, bytes } = await readPartitions(broker, toRead, opts));
          }
        }
      } finally {
        watch?.close();
      }

      if (refused) results = mergeRefused(refused, results);

      // Group back into topics, keeping only what an incremental response must carry.
      const byTopic = new Map<string, FetchResponseFetchableTopicResponse>();
      let leaders: number[] | null = null;
      for (let i = 0; i < fetches.length; i++) {
        const f = fetches[i]!;
        const r = results[i]!;
        if (!markSent(f, r, incremental)) continue;
        if (r.errorCode !== ErrorCode.NONE && v >= NODE_ENDPOINTS_SINCE_FETCH && namesLeader(r.errorCode) && r.leaderId >= 0) (leaders ??= []).push(r.leaderId);
        const key = useIds ? f.topicId : f.topic;
        let t = byTopic.get(key);
        if (!t) byTopic.set(key, (t = { topic: f.topic, topicId: f.topicId, partitions: [] }));
        t.partitions.push(partitionData(f.partition, r, v));
      }
      const res: FetchResponse = {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        sessionId: session?.id ?? 0,
        responses: [...byTopic.values()],
      };
      // KIP-951 (v16+): the endpoints of the leaders named by currentLeader.
      if (leaders) res.nodeEndpoints = leaderEndpoints(broker, ctx.connection.listenerName, leaders);
      return res;
    },
  });
}

/** As Kafka's fetchMessages: an error or a preferred read replica (KIP-392) answers at once. */
function answersAtOnce(results: PartitionFetchResult[]): boolean {
  return results.some((r) => r.errorCode !== ErrorCode.NONE || (r.preferredReadReplica ?? -1) >= 0);
}

function resolveRequested(broker: Pick<FetchDeps, 'topics'>, topics: Topic[], useIds: boolean): SessionPartition[] {
  const out: SessionPartition[] = [];
  for (const t of topics) {
    const record = useIds ? broker.topics.getById(t.topicId) : broker.topics.get(t.topic);
    const topic = useIds ? (record?.name ?? '') : t.topic;
    const topicId = useIds ? t.topicId : (record?.id ?? ZERO_UUID);
    for (const p of t.partitions) {
      out.push({
        topic,
        topicId,
        partition: p.partition,
        fetchOffset: p.fetchOffset,
        partitionMaxBytes: p.partitionMaxBytes,
        currentLeaderEpoch: p.currentLeaderEpoch ?? -1,
        sentHighWatermark: -2,
        sentLogStartOffset: -2,
        sentLastStableOffset: -2,
      });
    }
  }
  return out;
}

/** Topic names can change meaning when a topic is deleted and recreated: re-resolve ids each time. */
function currentName(broker: Pick<FetchDeps, 'topics'>, f: SessionPartition, useIds: boolean): string {
  if (!useIds) return f.topic;
  return broker.topics.getById(f.topicId)?.name ?? '\u0000unknown';
}

/** Results for every fetched partition: the read ones in order, refused ones as errors. */
function mergeRefused(refused: boolean[], read: PartitionFetchResult[]): PartitionFetchResult[] {
  let next = 0;
  return refused.map((r) => (r ? REFUSED : read[next++]!));
}

const REFUSED: PartitionFetchResult = {
  errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  highWatermark: -1,
  lastStableOffset: -1,
  logStartOffset: -1,
  abortedTransactions: null,
  records: Buffer.alloc(0),
  leaderId: -1,
  leaderEpoch: -1,
};

function partitionData(partition: number, r: PartitionFetchResult, v: number): FetchResponsePartitionData {
  const errorCode = v >= 13 && r.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? ErrorCode.UNKNOWN_TOPIC_ID : r.errorCode;
  const out: FetchResponsePartitionData = {
    partitionIndex: partition,
    errorCode,
    highWatermark: r.highWatermark,
    lastStableOffset: r.lastStableOffset,
    logStartOffset: r.logStartOffset,
    abortedTransactions: r.abortedTransactions,
    preferredReadReplica: r.preferredReadReplica ?? -1,
    records: r.records,
  };
  if (v >= LEADER_HINTS_SINCE_FETCH && namesLeader(errorCode)) {
    out.currentLeader = { leaderId: r.leaderId, leaderEpoch: r.leaderEpoch };
  }
  return out;
}

/** The errors whose answer names the current leader (KIP-951). */
function namesLeader(errorCode: number): boolean {
  return errorCode === ErrorCode.FENCED_LEADER_EPOCH || errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER;
}
