// Cluster mode: where a transaction coordinator's COMMIT/ABORT markers go (Kafka's
// TransactionMarkerChannelManager). A data partition led here gets its marker through the
// partition layer directly; one led by another broker gets it over the Kafka protocol, a
// WriteTxnMarkers request to that leader on an inter-broker connection. Every failure comes back
// as a Kafka error code the coordinator's marker loop (coordinator/txn/txn-end.ts) retries —
// NOT_LEADER_OR_FOLLOWER when the leader is unknown, moved or unreachable (the next attempt looks
// the leader up again), REQUEST_TIMED_OUT when it does not answer in time — so a transaction
// completes only once every marker is written by the partition's current leader.
import { ErrorCode } from '../../protocol/errors.js';
import type { AddPartitionsToTxnResponse } from '../../protocol/generated/add-partitions-to-txn.js';
import type { WriteTxnMarkersRequest, WriteTxnMarkersResponse } from '../../protocol/generated/write-txn-markers.js';
import type { Logger } from '../logging/logger.js';
import type { InternalAppendResult, MarkerSpec, TopicPartition } from './partition-api.js';
import type { PartitionState } from './partition-manager.js';
import type { InterBrokerEndpoint } from './inter-broker-security.js';
import { BrokerConnection, InterBrokerAuthError, sendWithin } from './replication/broker-connection.js';
import { tpKey } from './topic-partition.js';

const ADD_PARTITIONS_TO_TXN = 24;
/** v5: broker-to-broker batched form; verifyOnly false adds the partitions (Produce v12's implicit add, transactions v2), true verifies them (KIP-890). */
const ADD_PARTITIONS_TO_TXN_VERSION = 5;
const TXN_STATE_TOPIC = '__transaction_state';
const WRITE_TXN_MARKERS = 27;
const WRITE_TXN_MARKERS_VERSION = 1;
/** A leader that has not answered a marker request in this long is treated as gone (the marker is retried). */
const REQUEST_TIMEOUT_MS = 10_000;

export interface MarkerRouting {
  nodeId: number;
  /** The local partition layer: leadership state and the direct marker append. */
  local: {
    partition(topic: string, index: number): PartitionState | undefined;
    appendMarker(tp: TopicPartition, marker: MarkerSpec): Promise<InternalAppendResult>;
  };
  /** A live broker's first listener. */
  endpointOf(brokerId: number): InterBrokerEndpoint | undefined;
  logger: Pick<Logger, 'debug' | 'warn'>;
}

export type MarkerWriter = (tp: TopicPartition, marker: MarkerSpec) => Promise<InternalAppendResult>;

function failed(errorCode: number, errorMessage?: string): InternalAppendResult {
  return errorMessage === undefined ? { errorCode, baseOffset: -1, lastOffset: -1 } : { errorCode, baseOffset: -1, lastOffset: -1, errorMessage };
}

export class TxnMarkerSender {
  /** One connection per leader broker, opened on first use and replaced once closed. */
  private readonly connections = new Map<number, Promise<BrokerConnection>>();

  constructor(private readonly opts: MarkerRouting) {}

  readonly appendMarker: MarkerWriter = (tp, marker) => {
    const state = this.opts.local.partition(tp.topic, tp.partition);
    // Unknown here (deleted topic) or led here: the partition layer answers.
    if (!state || state.leaderId === this.opts.nodeId) return this.opts.local.appendMarker(tp, marker);
    if (state.leaderId < 0) return Promise.resolve(failed(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${tp.topic}-${tp.partition} has no leader`));
    return this.sendTo(state.leaderId, tp, marker);
  };

  /**
   * Whether this broker's metadata has the partition (Kafka's metadataCache lookup before sending a
   * marker): false once its topic is deleted, and only then does the coordinator drop the marker.
   */
  readonly partitionKnown = (tp: TopicPartition): boolean => this.opts.local.partition(tp.topic, tp.partition) !== undefined;

  /**
   * Produce v12 on a partition leader whose producer's coordinator is another broker (the leader of
   * `__transaction_state`-`txnPartition`): AddPartitionsToTxn v5 to it, as Kafka's
   * AddPartitionsToTxnManager does. Answers the coordinator's error code; NOT_COORDINATOR when
   * the coordinator is unknown or unreachable (the produce is answered with a retriable error).
   */
  async addPartitionsToTxn(
    txnPartition: number,
    txn: { transactionalId: string; producerId: number; producerEpoch: number; parts: readonly TopicPartition[] },
  ): Promise<number> {
    const leaderId = this.opts.local.partition(TXN_STATE_TOPIC, txnPartition)?.leaderId ?? -1;
    if (leaderId < 0 || leaderId === this.opts.nodeId) return ErrorCode.NOT_COORDINATOR;
    const req = addPartitionsRequest(txn, false);
    const r = await this.request<AddPartitionsToTxnResponse>(leaderId, ADD_PARTITIONS_TO_TXN, ADD_PARTITIONS_TO_TXN_VERSION, req);
    if (typeof r === 'number') return r === ErrorCode.NOT_LEADER_OR_FOLLOWER ? ErrorCode.NOT_COORDINATOR : r;
    if (r.errorCode !== ErrorCode.NONE) return r.errorCode;
    for (const t of r.resultsByTransaction[0]?.topicResults ?? []) {
      for (const p of t.resultsByPartition) if (p.partitionErrorCode !== ErrorCode.NONE) return p.partitionErrorCode;
    }
    return r.resultsByTransaction.length === 0 ? ErrorCode.UNKNOWN_SERVER_ERROR : ErrorCode.NONE;
  }

  /**
   * KIP-890 verification on a partition leader whose producer's coordinator is another broker:
   * AddPartitionsToTxn v5 with verifyOnly, as Kafka's AddPartitionsToTxnManager. Answers the
   * coordinator's code per partition ("topic\0partition"); every partition gets NOT_COORDINATOR
   * when the coordinator is unknown or unreachable.
   */
  async verifyPartitionsInTxn(
    txnPartition: number,
    txn: { transactionalId: string; producerId: number; producerEpoch: number; parts: readonly TopicPartition[] },
  ): Promise<Map<string, number>> {
    const all = (code: number) => new Map(txn.parts.map((tp) => [tpKey(tp.topic, tp.partition), code]));
    const leaderId = this.opts.local.partition(TXN_STATE_TOPIC, txnPartition)?.leaderId ?? -1;
    if (leaderId < 0 || leaderId === this.opts.nodeId) return all(ErrorCode.NOT_COORDINATOR);
    const r = await this.request<AddPartitionsToTxnResponse>(leaderId, ADD_PARTITIONS_TO_TXN, ADD_PARTITIONS_TO_TXN_VERSION, addPartitionsRequest(txn, true));
    if (typeof r === 'number') return all(r === ErrorCode.NOT_LEADER_OR_FOLLOWER ? ErrorCode.NOT_COORDINATOR : r);
    if (r.errorCode !== ErrorCode.NONE) return all(r.errorCode);
    const out = all(ErrorCode.UNKNOWN_SERVER_ERROR);
    for (const t of r.resultsByTransaction[0]?.topicResults ?? []) {
      for (const p of t.resultsByPartition) {
        const key = tpKey(t.name, p.partitionIndex);
        if (out.has(key)) out.set(key, p.partitionErrorCode);
      }
    }
    return out;
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
    } catch {
      return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    }
  }

  private async sendTo(leaderId: number, tp: TopicPartition, marker: MarkerSpec): Promise<InternalAppendResult> {
    let conn: BrokerConnection;
    try {
      conn = await this.connection(leaderId);
    } catch (err) {
      return failed(ErrorCode.NOT_LEADER_OR_FOLLOWER, `leader ${leaderId} unreachable: ${(err as Error).message}`);
    }
    const req: WriteTxnMarkersRequest = {
      markers: [
        {
          producerId: marker.producerId,
          producerEpoch: marker.producerEpoch,
          transactionResult: marker.committed,
          coordinatorEpoch: marker.coordinatorEpoch,
          transactionVersion: 0, // v2+ only; not sent at v1
          topics: [{ name: tp.topic, partitionIndexes: [tp.partition] }],
        },
      ],
    };
    try {
      const r = await sendWithin<WriteTxnMarkersResponse>(conn, WRITE_TXN_MARKERS, WRITE_TXN_MARKERS_VERSION, req, REQUEST_TIMEOUT_MS);
      if (r === 'timeout') return failed(ErrorCode.REQUEST_TIMED_OUT, `leader ${leaderId} did not answer WriteTxnMarkers`);
      const code = r.markers[0]?.topics[0]?.partitions[0]?.errorCode;
      if (code === undefined) return failed(ErrorCode.UNKNOWN_SERVER_ERROR, 'WriteTxnMarkers answer without the partition');
      return code === ErrorCode.NONE ? { errorCode: ErrorCode.NONE, baseOffset: -1, lastOffset: -1 } : failed(code);
    } catch (err) {
      this.opts.logger.debug('WriteTxnMarkers to leader failed', { leader: leaderId, topic: tp.topic, partition: tp.partition, error: (err as Error).message });
      return failed(ErrorCode.NOT_LEADER_OR_FOLLOWER, `leader ${leaderId}: ${(err as Error).message}`);
    }
  }

  private async connection(brokerId: number): Promise<BrokerConnection> {
    const existing = this.connections.get(brokerId);
    if (existing) {
      const c = await existing.catch(() => null);
      if (c && !c.closed) return c;
      if (this.connections.get(brokerId) === existing) this.connections.delete(brokerId);
    }
    const ep = this.opts.endpointOf(brokerId);
    if (!ep) throw new Error(`broker ${brokerId} is not registered`);
    const p = BrokerConnection.connect(ep.host, ep.port, `tributary-txn-markers-${this.opts.nodeId}`, undefined, ep.security);
    this.connections.set(brokerId, p);
    p.catch((err) => {
      // A refused login (TLS/SASL on the inter-broker listener) needs an operator, not a retry alone.
      if (err instanceof InterBrokerAuthError) this.opts.logger.warn('inter-broker authentication failed; transaction markers cannot reach this broker', { broker: brokerId, error: err.message });
      if (this.connections.get(brokerId) === p) this.connections.delete(brokerId);
    });
    return p;
  }

  /** Closes every inter-broker connection (shutdown). */
  close(): void {
    for (const p of this.connections.values()) void p.then((c) => c.close(), () => undefined);
    this.connections.clear();
  }
}

/** AddPartitionsToTxn v4+ (broker to broker) for one transaction. */
function addPartitionsRequest(txn: { transactionalId: string; producerId: number; producerEpoch: number; parts: readonly TopicPartition[] }, verifyOnly: boolean) {
  const topics = new Map<string, number[]>();
  for (const tp of txn.parts) {
    let list = topics.get(tp.topic);
    if (!list) topics.set(tp.topic, (list = []));
    list.push(tp.partition);
  }
  return {
    transactions: [{ transactionalId: txn.transactionalId, producerId: txn.producerId, producerEpoch: txn.producerEpoch, verifyOnly, topics: [...topics].map(([name, partitions]) => ({ name, partitions })) }],
    v3AndBelowTransactionalId: '',
    v3AndBelowProducerId: -1,
    v3AndBelowProducerEpoch: -1,
    v3AndBelowTopics: [],
  };
}

/** The broker's wiring: markers routed by this broker's view of partition leadership. */
export function remoteMarkerWriter(
  partitions: MarkerRouting['local'],
  cluster: { brokerId: number; endpointOf(id: number): InterBrokerEndpoint | undefined },
  logger: MarkerRouting['logger'],
): TxnMarkerSender {
  return new TxnMarkerSender({ nodeId: cluster.brokerId, local: partitions, endpointOf: (id) => cluster.endpointOf(id), logger });
}
