// Cluster mode: the aggregation stage runs on ONE broker (the leader of __tributary_aggregations-0)
// but its topics' partitions — sources, output, dead letters, changelogs, status — are led by
// whichever broker the controller chose. This is the stage's partition access routed by
// leadership, as a Kafka client would be: a partition led here goes through the local partition
// layer; one led elsewhere gets a Produce (acks=all) or Fetch on an inter-broker connection to
// its leader. Errors come back as Kafka error codes (NOT_LEADER_OR_FOLLOWER when the leader is
// unknown, moved or unreachable); the stage's processor retries by recovering from its
// changelog, so a request that failed after it was written is harmless (see processor.ts).
//
// Every write is fenced by the ownership epoch (stage-fencing.ts): the first read or write of a
// partition under a new epoch writes an ABORT marker of the stage's producer there, and every
// batch carries that producer, the epoch and its sequence.
//
// Writes to the stage's broker-owned topics (changelogs, status) use the client id
// `__admin_client`: Kafka's rule (KafkaApis: internalTopicsAllowed) for appending to internal
// topics over Produce.
import { ErrorCode } from '../../protocol/errors.js';
import type { FetchResponse } from '../../protocol/generated/fetch.js';
import type { DescribeProducersResponse } from '../../protocol/generated/describe-producers.js';
import type { ProduceResponse } from '../../protocol/generated/produce.js';
import type { WriteTxnMarkersRequest, WriteTxnMarkersResponse } from '../../protocol/generated/write-txn-markers.js';
import type { InternalAppendResult, InternalPartitionAccess, InternalReadResult, MarkerSpec, PartitionOffsets, TopicPartition } from '../cluster/partition-api.js';
import type { InterBrokerEndpoint } from '../cluster/inter-broker-security.js';
import { BrokerConnection, sendWithin } from '../cluster/replication/broker-connection.js';
import type { FetchReadOptions, PartitionFetch, PartitionFetchResult } from '../fetch/fetch-reader.js';
import type { Logger } from '../logging/logger.js';
import { MAX_STAGE_EPOCH, STAGE_PRODUCER_ID, stampBatches } from './stage-fencing.js';

/** Kafka's AdminUtils.ADMIN_CLIENT_ID: Produce with it may write internal topics. */
export const ADMIN_CLIENT_ID = '__admin_client';
const PRODUCE = 0;
const PRODUCE_VERSION = 9;
const FETCH = 1;
const FETCH_VERSION = 12;
const WRITE_TXN_MARKERS = 27;
const WRITE_TXN_MARKERS_VERSION = 1;
const DESCRIBE_PRODUCERS = 61;
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
  /** The ownership epoch (leader epoch of __tributary_aggregations-0 at load); -1 before the first load. */
  private epoch = -1;
  /** Per partition, this ownership's fence (the marker write's error code). */
  private readonly fences = new Map<string, Promise<number>>();
  /** Per partition, the next sequence of the stage's producer under this ownership. */
  private readonly sequences = new Map<string, number>();
  /** Partitions where a write's outcome is unknown: the leader's producer state is asked before the next one. */
  private readonly unsure = new Set<string>();
  /** Appends in call order per partition. */
  private readonly chains = new Map<string, Promise<void>>();
  /** Tests: wraps every stamped append (e.g. to hold one in flight while ownership moves). */
  appendHook: ((tp: TopicPartition, send: () => Promise<InternalAppendResult>) => Promise<InternalAppendResult>) | null = null;

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

  /**
   * A new ownership of the stage (the load of __tributary_aggregations-0 under `leaderEpoch`):
   * every partition is fenced again before it is read or written, sequences restart at 0.
   */
  beginOwnership(leaderEpoch: number): void {
    if (!Number.isInteger(leaderEpoch) || leaderEpoch < 0 || leaderEpoch > MAX_STAGE_EPOCH) {
      throw new Error(`leader epoch ${leaderEpoch} of __tributary_aggregations-0 cannot be the stage's producer epoch (0..${MAX_STAGE_EPOCH})`);
    }
    this.epoch = leaderEpoch;
    this.fences.clear();
    this.sequences.clear();
    this.unsure.clear();
  }

  /** Appends, in call order per partition, stamped with this ownership's producer epoch. */
  appendInternal(tp: TopicPartition, records: Buffer): Promise<InternalAppendResult> {
    const k = key(tp);
    const run = (this.chains.get(k) ?? Promise.resolve()).then(() => this.appendFenced(tp, records));
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.chains.set(k, tail);
    void tail.then(() => {
      if (this.chains.get(k) === tail) this.chains.delete(k);
    });
    return run;
  }

  private async appendFenced(tp: TopicPartition, records: Buffer): Promise<InternalAppendResult> {
    const k = key(tp);
    const epoch = this.epoch;
    if (epoch < 0) return failedAppend(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'the aggregation stage does not own __tributary_aggregations-0');
    const fenced = await this.ensureFenced(tp);
    if (fenced !== ErrorCode.NONE) return failedAppend(fenced, `fencing ${tp.topic}-${tp.partition} for epoch ${epoch}`);
    for (let attempt = 0; ; attempt++) {
      // Sequences matter where the leader checks them: a Produce to another broker (local appends
      // are the coordinator's, checked for the epoch only).
      if (this.unsure.has(k) && !this.isLocal(tp)) {
        const synced = await this.resyncSequence(tp, epoch);
        if (synced !== ErrorCode.NONE) return failedAppend(synced, `producer state of ${tp.topic}-${tp.partition}`);
      }
      const seq = this.sequences.get(k) ?? 0;
      const stamped = stampBatches(records, epoch, seq);
      const send = () => this.sendBatches(tp, stamped.bytes);
      const r = await (this.appendHook ? this.appendHook(tp, send) : send());
      if (this.epoch !== epoch) return r; // a new ownership began meanwhile: its own sequences
      if (r.errorCode === ErrorCode.NONE) {
        this.sequences.set(k, stamped.nextSequence);
        return r;
      }
      // Unknown whether it was written (or, out of order, where the leader's sequence is): ask first.
      this.unsure.add(k);
      if (r.errorCode !== ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER || attempt > 0) return r;
    }
  }

  private async sendBatches(tp: TopicPartition, records: Buffer): Promise<InternalAppendResult> {
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

  /**
   * The partition is fenced for this ownership: an ABORT marker of the stage's producer under the
   * current epoch is written there (once per partition and epoch; retried after a failure).
   */
  private ensureFenced(tp: TopicPartition): Promise<number> {
    const k = key(tp);
    let p = this.fences.get(k);
    if (!p) {
      const epoch = this.epoch;
      p = this.writeFence(tp, epoch);
      this.fences.set(k, p);
      const mine = p;
      void mine.then((code) => {
        if (code !== ErrorCode.NONE && this.fences.get(k) === mine) this.fences.delete(k);
      });
    }
    return p;
  }

  private async writeFence(tp: TopicPartition, epoch: number): Promise<number> {
    if (epoch < 0) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    const marker: MarkerSpec = { producerId: STAGE_PRODUCER_ID, producerEpoch: epoch, coordinatorEpoch: epoch, committed: false };
    if (this.isLocal(tp)) return (await this.local.appendMarker(tp, marker)).errorCode;
    const req: WriteTxnMarkersRequest = {
      markers: [{ producerId: STAGE_PRODUCER_ID, producerEpoch: epoch, transactionResult: false, coordinatorEpoch: epoch, transactionVersion: 0, topics: [{ name: tp.topic, partitionIndexes: [tp.partition] }] }],
    };
    const r = await this.request<WriteTxnMarkersResponse>(this.leader(tp), WRITE_TXN_MARKERS, WRITE_TXN_MARKERS_VERSION, req);
    if (typeof r === 'number') return r;
    return r.markers[0]?.topics[0]?.partitions[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
  }

  /**
   * Where this ownership's sequence continues in a partition led elsewhere, from its leader's
   * producer state. A leader that lost the fence (its marker was truncated) is fenced again.
   */
  private async resyncSequence(tp: TopicPartition, epoch: number): Promise<number> {
    const k = key(tp);
    const r = await this.request<DescribeProducersResponse>(this.leader(tp), DESCRIBE_PRODUCERS, 0, { topics: [{ name: tp.topic, partitionIndexes: [tp.partition] }] });
    if (typeof r === 'number') return r;
    const p = r.topics[0]?.partitions[0];
    if (!p) return ErrorCode.UNKNOWN_SERVER_ERROR;
    if (p.errorCode !== ErrorCode.NONE) return p.errorCode;
    const mine = p.activeProducers.find((a) => a.producerId === STAGE_PRODUCER_ID);
    if (mine && mine.producerEpoch > epoch) return ErrorCode.INVALID_PRODUCER_EPOCH;
    if (mine && mine.producerEpoch === epoch) this.sequences.set(k, mine.lastSequence + 1);
    else {
      this.fences.delete(k);
      const fenced = await this.ensureFenced(tp);
      if (fenced !== ErrorCode.NONE) return fenced;
      this.sequences.set(k, 0);
    }
    this.unsure.delete(k);
    return ErrorCode.NONE;
  }

  appendMarker(tp: TopicPartition, marker: MarkerSpec): Promise<InternalAppendResult> {
    return this.local.appendMarker(tp, marker);
  }

  async readInternal(tp: TopicPartition, fetchOffset: number, maxBytes: number): Promise<InternalReadResult> {
    const fenced = await this.ensureFenced(tp);
    if (fenced !== ErrorCode.NONE) return { errorCode: fenced, records: Buffer.alloc(0), highWatermark: -1, logStartOffset: -1 };
    if (this.isLocal(tp)) return this.local.readInternal(tp, fetchOffset, maxBytes);
    const [r] = await this.fetchRemote(this.leader(tp), [{ topic: tp.topic, topicId: '', partition: tp.partition, fetchOffset, partitionMaxBytes: maxBytes, currentLeaderEpoch: -1 }], 0, maxBytes);
    return { errorCode: r!.errorCode, records: r!.records, highWatermark: r!.highWatermark, logStartOffset: r!.logStartOffset };
  }

  offsets(tp: TopicPartition): PartitionOffsets | undefined {
    if (this.isLocal(tp)) return this.local.offsets(tp);
    return this.remote.get(key(tp));
  }

  /**
   * Fences the partition for this ownership (before it is read back), then asks a partition's
   * leader for its current offsets (what `offsets` answers next for a partition led elsewhere).
   */
  async refresh(tp: TopicPartition): Promise<void> {
    const fenced = await this.ensureFenced(tp);
    if (fenced !== ErrorCode.NONE) throw new Error(`fencing ${tp.topic}-${tp.partition} for epoch ${this.epoch}: error code ${fenced}`);
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
    try {
      const r = await sendWithin<T>(conn, apiKey, version, body, REQUEST_TIMEOUT_MS);
      return r === 'timeout' ? ErrorCode.REQUEST_TIMED_OUT : r;
    } catch (err) {
      this.logger.debug('aggregation request to a partition leader failed', { broker: brokerId, apiKey, error: (err as Error).message });
      return ErrorCode.NOT_LEADER_OR_FOLLOWER;
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
