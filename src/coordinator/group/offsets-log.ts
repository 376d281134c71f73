// Where the coordinator's records go: the internal compacted topic __consumer_offsets. The
// coordinator talks to the GroupRecordLog interface so unit tests can use an in-memory log.
import { ErrorCode } from '../../../protocol/errors.js';
import { buildRecordBatch } from '../../../protocol/records/batch-builder.js';
import { scanBatches } from '../../../protocol/records/batch-header.js';
import { decodeRecordBatches } from '../../../protocol/records/record-codec.js';
import type { Broker } from '../../broker.js';
import { TxnOffsetsReplay } from '../txn/txn-offsets-replay.js';
import type { GroupCoordinatorConfig } from './group-config.js';

export const OFFSETS_TOPIC = '__consumer_offsets';

export interface OffsetsLogRecord {
  key: Buffer;
  /** null: tombstone. */
  value: Buffer | null;
}

export interface GroupRecordLog {
  readonly numPartitions: number;
  /**
   * Appends `records` to `partition` as one batch. The offsets are assigned before this returns
   * (so two appends keep their call order); the promise resolves once the batch is written, with
   * ErrorCode.NONE or the storage-level error (KAFKA_STORAGE_ERROR, RECORD_LIST_TOO_LARGE,
   * UNKNOWN_TOPIC_OR_PARTITION). It never rejects.
   */
  append(partition: number, records: OffsetsLogRecord[]): Promise<number>;
  /** Calls `onRecord` for every record from the log start to the high watermark, in order. */
  replay(partition: number, onRecord: (r: OffsetsLogRecord) => void): Promise<void>;
}

const REPLAY_READ_BYTES = 1 << 20;

/** __consumer_offsets in the broker's own log, created on first start. */
export class BrokerOffsetsLog implements GroupRecordLog {
  private constructor(
    private readonly broker: Broker,
    readonly numPartitions: number,
  ) {}

  /** Opens __consumer_offsets, creating it (compacted, offsets.topic.num.partitions) if missing. */
  static async open(broker: Broker, config: GroupCoordinatorConfig): Promise<BrokerOffsetsLog> {
    let topic = broker.topics.get(OFFSETS_TOPIC);
    if (!topic) {
      topic = await broker.createTopic(OFFSETS_TOPIC, config.offsetsTopicNumPartitions, 1, {
        'cleanup.policy': 'compact',
        'segment.bytes': String(config.offsetsTopicSegmentBytes),
      });
    }
    // An existing topic keeps its partition count: groups must not move between partitions.
    return new BrokerOffsetsLog(broker, topic.partitions);
  }

  append(partition: number, records: OffsetsLogRecord[]): Promise<number> {
    const p = this.broker.partition(OFFSETS_TOPIC, partition);
    if (!p) return Promise.resolve(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const now = Date.now();
    const buf = buildRecordBatch({ records: records.map((r) => ({ key: r.key, value: r.value, timestamp: now })) });
    const scan = scanBatches(buf, 0, buf.length, false);
    const res = p.log.append(buf, scan.batches, p.leaderEpoch, now);
    if (res.error === 'RECORD_BATCH_TOO_LARGE') return Promise.resolve(ErrorCode.RECORD_LIST_TOO_LARGE);
    if (res.error) return Promise.resolve(ErrorCode.KAFKA_STORAGE_ERROR);
    return res.written.then(
      () => ErrorCode.NONE,
      () => ErrorCode.KAFKA_STORAGE_ERROR,
    );
  }

  async replay(partition: number, onRecord: (r: OffsetsLogRecord) => void): Promise<void> {
    const p = this.broker.partition(OFFSETS_TOPIC, partition);
    if (!p) return;
    const log = p.log;
    const end = log.highWatermark;
    let offset = log.logStartOffset;
    // Transactional offset commits (TxnOffsetCommit) count from their COMMIT marker on; those of
    // still-open transactions go back to the transaction coordinator as pending.
    const txns = new TxnOffsetsReplay();
    while (offset < end) {
      const r = await log.read(offset, REPLAY_READ_BYTES, end, true);
      if (r.error) throw new Error(`reading ${OFFSETS_TOPIC}-${partition} at ${offset}: ${r.error}`);
      if (r.records.length === 0) break;
      for (const batch of decodeRecordBatches(r.records)) {
        txns.accept(batch, onRecord);
        offset = batch.baseOffset + batch.lastOffsetDelta + 1;
      }
    }
    for (const [producerId, records] of txns.openTransactions()) this.broker.txnCoordinator?.offsets.restoreRecords(producerId, records);
  }
}
