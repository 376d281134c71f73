// Where the transaction coordinator's records go: the internal compacted topic
// __transaction_state (created on the first transactional InitProducerId). The coordinator talks
// to the TxnRecordLog interface so unit tests can use an in-memory log.
import { ErrorCode } from '../../../protocol/errors.js';
import { buildRecordBatch } from '../../../protocol/records/batch-builder.js';
import { scanBatches } from '../../../protocol/records/batch-header.js';
import { decodeRecordBatches } from '../../../protocol/records/record-codec.js';
import type { Broker } from '../../broker.js';
import { kafkaAbs, javaStringHashCode } from '../group/partition-for.js';
import type { TxnCoordinatorConfig } from './txn-config.js';

export const TXN_STATE_TOPIC = '__transaction_state';

export interface TxnLogRecord {
  key: Buffer;
  /** null: tombstone. */
  value: Buffer | null;
}

export interface TxnRecordLog {
  readonly numPartitions: number;
  /** Appends as one batch; resolves once written with NONE or a storage-level error code. Never rejects. */
  append(partition: number, records: TxnLogRecord[]): Promise<number>;
  /** Every record from the log start to the high watermark, in order. */
  replay(partition: number, onRecord: (r: TxnLogRecord) => void): Promise<void>;
  /** The coordinator epoch written into markers (the partition's leader epoch). */
  coordinatorEpoch(partition: number): number;
}

/** Kafka's partitionFor(transactionalId): abs(hashCode) % partitions. */
export function partitionForTxn(transactionalId: string, numPartitions: number): number {
  return kafkaAbs(javaStringHashCode(transactionalId)) % numPartitions;
}

const REPLAY_READ_BYTES = 1 << 20;

export class BrokerTxnLog implements TxnRecordLog {
  private constructor(
    private readonly broker: Broker,
    readonly numPartitions: number,
  ) {}

  /** Opens __transaction_state; creates it (compacted) when `create`, else returns null if missing. */
  static async open(broker: Broker, config: TxnCoordinatorConfig, create: boolean): Promise<BrokerTxnLog | null> {
    let topic = broker.topics.get(TXN_STATE_TOPIC);
    if (!topic) {
      if (!create) return null;
      topic = await broker.createTopic(TXN_STATE_TOPIC, config.numPartitions, 1, {
        'cleanup.policy': 'compact',
        'segment.bytes': String(config.segmentBytes),
      });
    }
    return new BrokerTxnLog(broker, topic.partitions);
  }

  coordinatorEpoch(partition: number): number {
    return this.broker.partition(TXN_STATE_TOPIC, partition)?.leaderEpoch ?? 0;
  }

  append(partition: number, records: TxnLogRecord[]): Promise<number> {
    const p = this.broker.partition(TXN_STATE_TOPIC, partition);
    if (!p) return Promise.resolve(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const now = Date.now();
    const buf = buildRecordBatch({ records: records.map((r) => ({ key: r.key, value: r.value, timestamp: now })) });
    const res = p.log.append(buf, scanBatches(buf, 0, buf.length, false).batches, p.leaderEpoch, now);
    if (res.error === 'RECORD_BATCH_TOO_LARGE') return Promise.resolve(ErrorCode.RECORD_LIST_TOO_LARGE);
    if (res.error) return Promise.resolve(ErrorCode.KAFKA_STORAGE_ERROR);
    return res.written.then(
      () => ErrorCode.NONE,
      () => ErrorCode.KAFKA_STORAGE_ERROR,
    );
  }

  async replay(partition: number, onRecord: (r: TxnLogRecord) => void): Promise<void> {
    const p = this.broker.partition(TXN_STATE_TOPIC, partition);
    if (!p) return;
    const log = p.log;
    const end = log.highWatermark;
    let offset = log.logStartOffset;
    while (offset < end) {
      const r = await log.read(offset, REPLAY_READ_BYTES, end, true);
      if (r.error) throw new Error(`reading ${TXN_STATE_TOPIC}-${partition} at ${offset}: ${r.error}`);
      if (r.records.length === 0) break;
      for (const batch of decodeRecordBatches(r.records)) {
        if (!batch.control) for (const rec of batch.records) if (rec.key) onRecord({ key: rec.key, value: rec.value });
        offset = batch.baseOffset + batch.lastOffsetDelta + 1;
      }
    }
  }
}

/** Kafka's TransactionStateManager write-error mapping (storage outcome → client-facing code). */
export function txnWriteError(code: number): number {
  switch (code) {
    case ErrorCode.NONE:
      return ErrorCode.NONE;
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return code;
  }
}
