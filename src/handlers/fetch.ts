// Fetch: sessions (KIP-227), long polling (max.wait.ms / min.bytes woken by appends), byte
// budgets, read_committed bounded by the LSO, and message down-conversion for v0-3 clients.
// v18 only adds the fetcher's known high watermark (KIP-1166, a tagged field): Kafka's brokers
// use it for KRaft replication, not for partition fetches, and neither does this one.
import { ErrorCode } from '../../protocol/errors.js';
import type { FetchRequest, FetchResponse } from '../../protocol/generated/fetch.js';
import type { Broker } from '../broker.js';
import { AclOperation, ResourceType } from '../auth/acl/acl-model.js';
import { authorized } from '../auth/acl/request-authz.js';
import { FetchSession, sessionPartitionKey, type SessionPartition } from '../fetch/fetch-session-cache.js';
import { readPartitions, type PartitionFetch, type PartitionFetchResult } from '../fetch/fetch-reader.js';
import { ZERO_UUID } from '../metadata/uuid.js';
import type { ApiHandler } from '../network/request-context.js';

const INITIAL_EPOCH = 0;
const FINAL_EPOCH = -1;

type Topic = FetchRequest['topics'][number];

function topLevelError(errorCode: number): FetchResponse {
  return { throttleTimeMs: 0, errorCode, sessionId: 0, responses: [] } as unknown as FetchResponse;
}

export function fetchHandler(broker: Broker): ApiHandler<FetchRequest> {
  return {
    apiKey: 1,
    minVersion: 0,
    maxVersion: 18,
    errorResponse(req, errorCode, version) {
      // As Kafka's FetchRequest.getErrorResponse: the error on every requested partition (and at
      // the top level where v7+ has one), so each client sees it whichever field it reads.
      const failed = { errorCode, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: Buffer.alloc(0), abortedTransactions: null, leaderId: -1, leaderEpoch: -1 };
      return {
        ...topLevelError(errorCode),
        responses: req.topics.map((t) => ({ topic: t.topic, topicId: t.topicId, partitions: t.partitions.map((p) => partitionData(p.partition, failed, version)) })),
      } as unknown as FetchResponse;
    },
    async handle(ctx, req): Promise<FetchResponse> {
      const v = ctx.header.apiVersion;
      const useIds = v >= 13;
      const sessionId = v >= 7 ? req.sessionId : 0;
      const sessionEpoch = v >= 7 ? req.sessionEpoch : FINAL_EPOCH;

      // Resolve the session and the list of partitions this fetch covers.
      let session: FetchSession | null = null;
      let incremental = false;
      const requested = resolveRequested(broker, req.topics, useIds);
      if (sessionId === 0 && sessionEpoch === INITIAL_EPOCH) {
        session = broker.fetchSessions.create();
      } else if (sessionId !== 0) {
        if (sessionEpoch === FINAL_EPOCH || sessionEpoch === INITIAL_EPOCH) {
          broker.fetchSessions.remove(sessionId);
          if (sessionEpoch === INITIAL_EPOCH) session = broker.fetchSessions.create();
        } else {
          const s = broker.fetchSessions.get(sessionId);
          if (!s) return topLevelError(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
          if (s.nextEpoch !== sessionEpoch) return topLevelError(ErrorCode.INVALID_FETCH_SESSION_EPOCH);
          session = s;
          incremental = true;
        }
      } else if (sessionEpoch !== FINAL_EPOCH) {
        // sessionId 0 with an epoch other than 0/-1 makes no sense.
        return topLevelError(ErrorCode.INVALID_FETCH_SESSION_EPOCH);
      }

      let fetches: SessionPartition[];
      if (session) {
        if (!incremental) session.partitions.clear();
        for (const p of requested) {
          const key = sessionPartitionKey(useIds ? p.topicId : p.topic, p.partition);
          const prev = session.partitions.get(key);
          if (prev) {
            // Keep what the client was last sent; only its fetch position and limits change.
            prev.fetchOffset = p.fetchOffset;
            prev.partitionMaxBytes = p.partitionMaxBytes;
            prev.currentLeaderEpoch = p.currentLeaderEpoch;
          } else {
            session.partitions.set(key, p);
          }
        }
        for (const f of v >= 7 ? req.forgottenTopicsData : []) {
          for (const part of f.partitions) {
            session.partitions.delete(sessionPartitionKey(useIds ? f.topicId : f.topic, part));
          }
        }
        session.nextEpoch = sessionEpoch === INITIAL_EPOCH || !incremental ? 1 : sessionEpoch + 1;
        if (session.nextEpoch > 0x7fffffff) session.nextEpoch = 1;
        fetches = [...session.partitions.values()];
      } else {
        fetches = requested;
      }

      const magic = v <= 1 ? 0 : v <= 3 ? 1 : 2;
      // Kafka caps every fetch at fetch.max.bytes (still returning at least one whole batch).
      const fetchMaxBytes = broker.config.get('fetch.max.bytes') as number;
      const opts = { maxBytes: Math.min(v >= 3 ? req.maxBytes : 0x7fffffff, fetchMaxBytes), isolationLevel: v >= 4 ? req.isolationLevel : 0, magic, allowZstd: v >= 10 } as const;
      const all: PartitionFetch[] = fetches.map((f) => ({ ...f, topic: currentName(broker, f, useIds) }));
      // Consumers need READ on each topic (KafkaApis); refused partitions are answered
      // TOPIC_AUTHORIZATION_FAILED and never read. Decisions are cached per topic by the authorizer.
      const refused = broker.authorizer ? all.map((f) => !authorized(broker, ctx, AclOperation.READ, ResourceType.TOPIC, f.topic)) : null;
      const toRead = refused ? all.filter((_, i) => !refused[i]) : all;

      const longPoll = req.maxWaitMs > 0 && req.minBytes > 0 && toRead.length > 0;
      const watch = longPoll ? broker.waiters.watch(toRead) : null;
      let results: PartitionFetchResult[];
      let bytes: number;
      try {
        ({ results, bytes } = await readPartitions(broker, toRead, opts));
        if (watch) {
          const deadline = Date.now() + req.maxWaitMs;
          while (bytes < req.minBytes && !results.some((r) => r.errorCode !== ErrorCode.NONE)) {
            const left = deadline - Date.now();
            if (left <= 0 || !(await watch.wait(left)) || broker.isClosing) break;
            ({ results, bytes } = await readPartitions(broker, toRead, opts));
          }
        }
      } finally {
        watch?.close();
      }

      if (refused) results = mergeRefused(refused, results);

      // Group back into topics, keeping only what an incremental response must carry.
      const byTopic = new Map<string, { topic: string; topicId: string; partitions: object[] }>();
      for (let i = 0; i < fetches.length; i++) {
        const f = fetches[i]!;
        const r = results[i]!;
        if (incremental && !changed(f, r)) continue;
        f.sentHighWatermark = r.highWatermark;
        f.sentLogStartOffset = r.logStartOffset;
        f.sentLastStableOffset = r.lastStableOffset;
        const key = useIds ? f.topicId : f.topic;
        let t = byTopic.get(key);
        if (!t) byTopic.set(key, (t = { topic: f.topic, topicId: f.topicId, partitions: [] }));
        t.partitions.push(partitionData(f.partition, r, v));
      }
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        sessionId: session?.id ?? 0,
        responses: [...byTopic.values()],
      } as unknown as FetchResponse;
    },
  };
}

function resolveRequested(broker: Broker, topics: Topic[], useIds: boolean): SessionPartition[] {
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
function currentName(broker: Broker, f: SessionPartition, useIds: boolean): string {
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

function changed(f: SessionPartition, r: PartitionFetchResult): boolean {
  return (
    r.records.length > 0 ||
    r.errorCode !== ErrorCode.NONE ||
    r.highWatermark !== f.sentHighWatermark ||
    r.logStartOffset !== f.sentLogStartOffset ||
    r.lastStableOffset !== f.sentLastStableOffset
  );
}

function partitionData(partition: number, r: PartitionFetchResult, v: number): object {
  const errorCode = v >= 13 && r.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? ErrorCode.UNKNOWN_TOPIC_ID : r.errorCode;
  const out: Record<string, unknown> = {
    partitionIndex: partition,
    errorCode,
    highWatermark: r.highWatermark,
    lastStableOffset: r.lastStableOffset,
    logStartOffset: r.logStartOffset,
    abortedTransactions: r.abortedTransactions,
    preferredReadReplica: -1,
    records: r.records,
  };
  if (v >= 12 && (errorCode === ErrorCode.FENCED_LEADER_EPOCH || errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER)) {
    out.currentLeader = { leaderId: r.leaderId, leaderEpoch: r.leaderEpoch };
  }
  return out;
}
