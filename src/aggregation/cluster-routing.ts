// Cluster mode: the aggregation stage runs on ONE broker (the leader of __tributary_aggregations-0)
// but its topics' partitions — sources, output, dead letters, changelogs, status — are led by
// whichever broker the controller chose. This is the stage's partition access routed by
// leadership, as a Kafka client would be: a partition led here goes through the local partition
// layer; one led elsewhere gets a Produce (acks=all) or Fetch on an inter-broker connection to
// its leader. Errors come back as Kafka error codes (NOT_LEADER_OR_FOLLOWER when the leader is
// unknown, moved or unreachable); the stage's processor retries by recovering from its
// changelog, so a request that failed after it was written is harmless (see processor.ts).
//
// Writes to the stage's broker-owned topics (changelogs, status) use the client id
// `__admin_client`: Kafka's rule (KafkaApis: internalTopicsAllowed) for appending to internal
// topics over Produce.
import { ErrorCode } from '../../protocol/errors.js';
import type { FetchResponse } from '../../protocol/generated/fetch.js';
import type { ProduceResponse } from '../../protocol/generated/produce.js';
import type { InternalAppendResult, InternalPartitionAccess, InternalReadResult, MarkerSpec, PartitionOffsets, TopicPartition } from '../cluster/partition-api.js';
import type { InterBrokerEndpoint } from '../cluster/inter-broker-security.js';
import { BrokerConnection } from '../cluster/replication/broker-connection.js';
import type { FetchReadOptions, PartitionFetch, PartitionFetchResult } from '../fetch/fetch-reader.js';
import type { Logger } from '../logging/logger.js';

/** Kafka's AdminUtils.ADMIN_CLIENT_ID: Produce with it may write internal topics. */
export const ADMIN_CLIENT_ID = '__admin_client';
const PRODUCE = 0;
const PRODUCE_VERSION = 9;
const FETCH = 1;
const FETCH_VERSION = 12;
const REQUEST_TIMEOUT_MS = 15_000;
/** acks=all: how long the leader waits for its ISR (the Produce request's timeout). */
const PRODUCE_TIMEOUT_MS = 10_000;

/** What the routing needs of the cluster: who leads a partition, and how to reach a broker. */
export interface ClusterView {
  nodeId: number;
  /** The partition's leader as this broker knows it; -1 when unknown. */
  leaderOf(topic: string, partition: number): number;
  endpointOf(brokerId: number): InterBrokerEndpoint | undefined;
}

type SourceRead = (fetches: PartitionFetch[], opts: FetchReadOptions) => Promise<{ results: PartitionFetchResult[]; bytes: number }>;

const key = (tp: TopicPartition) => `${tp.topic}\0${tp.partition}`;

function failedAppend(errorCode: number, errorMessage?: string): InternalAppendResult {
  return errorMessage === undefined ? { errorCode, baseOffset: -1, lastOffset: -1 } : { errorCode, baseOffset: -1, lastOffset: -1, errorMessage };
}

function failedFetch(errorCode: number): PartitionFetchResult {
  return { errorCode, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: Buffer.alloc(0), abortedTransactions: null, leaderId: -1, leaderEpoch: -1 };
}

/** Records in a set of v2 batches (lastOffsetDelta + 1 each): the append's last offset is base + count - 1. */
function recordCount(records: Buffer): number {
  let n = 0;
  for (let pos = 0; pos + 61 <= records.length; ) {
    const length = records.readInt32BE(pos + 8);
    n += records.readInt32BE(pos + 23) + 1;
    pos += 12 + length;
  }
  return n;
}

export class RoutedPartitionAccess implements InternalPartitionAccess {
  /** Offsets of partitions led elsewhere, as their leader last reported them. */
  private readonly remote = new Map<string, PartitionOffsets>();
  private readonly connections = new Map<number, Promise<BrokerConnection>>();

  constructor(
    private readonly local: InternalPartitionAccess,
    private readonly localRead: SourceRead,
    private readonly view: ClusterView,
    private readonly logger: Pick<Logger, 'debug' | 'warn'>,
  ) {}

  private leader(tp: TopicPartition): number {
    return this.view.leaderOf(tp.topic, tp.partition);
  }

  private isLocal(tp: TopicPartition): boolean {
    const l = this.leader(tp);
    return l === this.view.nodeId || l < 0;
  }

  async appendInternal(tp: TopicPartition, records: Buffer): Promise<InternalAppendResult> {
    if (this.isLocal(tp)) return this.local.appendInternal(tp, records);
    const leader = this.leader(tp);
    const r = await this.request<ProduceResponse>(leader, PRODUCE, PRODUCE_VERSION, {
      transactionalId: null,
      acks: -1,
      timeoutMs: PRODUCE_TIMEOUT_MS,
      topicData: [{ name: tp.topic, topicId: '', partitionData: [{ index: tp.partition, records }] }],
    });
    if (typeof r === 'number') return failedAppend(r, `leader ${leader} of ${tp.topic}-${tp.partition} did not take the write`);
    const p = r.responses[0]?.partitionResponses[0];
    if (!p) return failedAppend(ErrorCode.UNKNOWN_SERVER_ERROR, 'Produce answer without the partition');
    if (p.errorCode !== ErrorCode.NONE) return failedAppend(p.errorCode, p.errorMessage ?? undefined);
    const lastOffset = p.baseOffset + recordCount(records) - 1;
    const known = this.remote.get(key(tp));
    // acks=all: everything up to the write is replicated, so the high watermark passed it.
    this.remote.set(key(tp), { logStartOffset: p.logStartOffset, highWatermark: Math.max(known?.highWatermark ?? 0, lastOffset + 1), logEndOffset: Math.max(known?.logEndOffset ?? 0, lastOffset + 1), leaderEpoch: known?.leaderEpoch ?? -1 });
    return { errorCode: ErrorCode.NONE, baseOffset: p.baseOffset, lastOffset };
  }

  appendMarker(tp: TopicPartition, marker: MarkerSpec): Promise<InternalAppendResult> {
    return this.local.appendMarker(tp, marker);
  }

  async readInternal(tp: TopicPartition, fetchOffset: number, maxBytes: number): Promise<InternalReadResult> {
    if (this.isLocal(tp)) return this.local.readInternal(tp, fetchOffset, maxBytes);
    const [r] = await this.fetchRemote(this.leader(tp), [{ topic: tp.topic, topicId: '', partition: tp.partition, fetchOffset, partitionMaxBytes: maxBytes, currentLeaderEpoch: -1 }], 0, maxBytes);
    return { errorCode: r!.errorCode, records: r!.records, highWatermark: r!.highWatermark, logStartOffset: r!.logStartOffset };
  }

  offsets(tp: TopicPartition): PartitionOffsets | undefined {
    if (this.isLocal(tp)) return this.local.offsets(tp);
    return this.remote.get(key(tp));
  }

  /** Asks a partition's leader for its current offsets (what `offsets` answers next for a partition led elsewhere). */
  async refresh(tp: TopicPartition): Promise<void> {
    if (this.isLocal(tp)) return;
    const [r] = await this.fetchRemote(this.leader(tp), [{ topic: tp.topic, topicId: '', partition: tp.partition, fetchOffset: 0, partitionMaxBytes: 1, currentLeaderEpoch: -1 }], 0, 1);
    if (r!.errorCode !== ErrorCode.NONE && r!.errorCode !== ErrorCode.OFFSET_OUT_OF_RANGE) throw new Error(`offsets of ${tp.topic}-${tp.partition} from broker ${this.leader(tp)}: error code ${r!.errorCode}`);
  }

  /** The Fetch path for source topics: local partitions through the partition layer, the others from their leaders. */
  readonly readSource: SourceRead = async (fetches, opts) => {
    const results: PartitionFetchResult[] = new Array(fetches.length);
    const byLeader = new Map<number, number[]>();
    fetches.forEach((f, i) => {
      const l = this.isLocal(f) ? this.view.nodeId : this.leader(f);
      let list = byLeader.get(l);
      if (!list) byLeader.set(l, (list = []));
      list.push(i);
    });
    let bytes = 0;
    for (const [leader, idx] of byLeader) {
      const part = idx.map((i) => fetches[i]!);
      const got = leader === this.view.nodeId ? (await this.localRead(part, opts)).results : await this.fetchRemote(leader, part, opts.isolationLevel, opts.maxBytes);
      got.forEach((r, j) => {
        results[idx[j]!] = r;
        bytes += r.records.length;
      });
    }
    return { results, bytes };
  };

  private async fetchRemote(leader: number, fetches: PartitionFetch[], isolationLevel: number, maxBytes: number): Promise<PartitionFetchResult[]> {
    const byTopic = new Map<string, object[]>();
    for (const f of fetches) {
      let list = byTopic.get(f.topic);
      if (!list) byTopic.set(f.topic, (list = []));
      list.push({ partition: f.partition, currentLeaderEpoch: -1, fetchOffset: f.fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: f.partitionMaxBytes });
    }
    const r = await this.request<FetchResponse>(leader, FETCH, FETCH_VERSION, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes,
      isolationLevel,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
      forgottenTopicsData: [],
      rackId: '',
    });
    if (typeof r === 'number') return fetches.map(() => failedFetch(r));
    const found = new Map<string, FetchResponse['responses'][number]['partitions'][number]>();
    for (const t of r.responses) for (const p of t.partitions) found.set(key({ topic: t.topic, partition: p.partitionIndex }), p);
    return fetches.map((f) => {
      const p = found.get(key(f));
      if (!p) return failedFetch(ErrorCode.UNKNOWN_SERVER_ERROR);
      if (p.errorCode === ErrorCode.NONE) {
        const known = this.remote.get(key(f));
        this.remote.set(key(f), { logStartOffset: p.logStartOffset, highWatermark: p.highWatermark, logEndOffset: p.highWatermark, leaderEpoch: known?.leaderEpoch ?? -1 });
      }
      return {
        errorCode: p.errorCode,
        highWatermark: p.highWatermark,
        lastStableOffset: p.lastStableOffset,
        logStartOffset: p.logStartOffset,
        records: p.records ?? Buffer.alloc(0),
        abortedTransactions: p.abortedTransactions?.map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset })) ?? null,
        leaderId: leader,
        leaderEpoch: -1,
      };
    });
  }

  /** One request to a broker: its decoded answer, or the error code to retry with. */
  private async request<T>(brokerId: number, apiKey: number, version: number, body: object): Promise<T | number> {
    let conn: BrokerConnection;
    try {
      conn = await this.connection(brokerId);
    } catch {
      return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), REQUEST_TIMEOUT_MS)));
    try {
      const r = await Promise.race([conn.send<T>(apiKey, version, body), timeout]);
      if (r !== 'timeout') return r;
      conn.close();
      return ErrorCode.REQUEST_TIMED_OUT;
    } catch (err) {
      this.logger.debug('aggregation request to a partition leader failed', { broker: brokerId, apiKey, error: (err as Error).message });
      return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    } finally {
      clearTimeout(timer);
    }
  }

  private async connection(brokerId: number): Promise<BrokerConnection> {
    const existing = this.connections.get(brokerId);
    if (existing) {
      const c = await existing.catch(() => null);
      if (c && !c.closed) return c;
      if (this.connections.get(brokerId) === existing) this.connections.delete(brokerId);
    }
    const ep = this.view.endpointOf(brokerId);
    if (!ep) throw new Error(`broker ${brokerId} is not registered`);
    const p = BrokerConnection.connect(ep.host, ep.port, ADMIN_CLIENT_ID, undefined, ep.security);
    this.connections.set(brokerId, p);
    p.catch((err: Error) => {
      this.logger.warn('aggregation stage cannot reach a partition leader', { broker: brokerId, error: err.message });
      if (this.connections.get(brokerId) === p) this.connections.delete(brokerId);
    });
    return p;
  }

  /** Closes every inter-broker connection (the stage stops on this broker; a later load opens new ones). */
  close(): void {
    for (const p of this.connections.values()) void p.then((c) => c.close(), () => undefined);
    this.connections.clear();
  }
}

/** The routed access's refresh, when the access is routed (a partition led elsewhere); nothing otherwise. */
export async function refreshOffsets(access: InternalPartitionAccess, tp: TopicPartition): Promise<void> {
  if (access instanceof RoutedPartitionAccess) await access.refresh(tp);
}
