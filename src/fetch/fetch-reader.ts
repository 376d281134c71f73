// Reads the partitions of one Fetch within its byte budgets (request max.bytes and each
// partition's max bytes). As in Kafka (KIP-74), the first partition that has data returns at
// least one whole batch even if it is larger than both budgets, so a consumer can always progress.
// Each partition is read through the partition layer (src/cluster/partition-manager.ts: leader and
// epoch checks, the reader's offset bound, aborted transactions); what depends on the fetcher's
// version (zstd refusal, down-conversion for v0-3) is done here.
import { ErrorCode } from '../../protocol/errors.js';
import { Compression, batchCompression, scanBatches } from '../../protocol/records/batch-header.js';
import { downConvertBatches } from '../../protocol/records/legacy.js';
import { RecordsError } from '../../protocol/records/records-error.js';
import { takeLentView } from '../../protocol/wire/buffer-pool.js';
import type { PartitionManager, ReadOptions } from '../cluster/partition-manager.js';
import type { ReaderKind } from '../cluster/partition-api.js';
import type { Logger } from '../logging/logger.js';

/** What a fetch reads through: the partition layer, and a logger for down-conversion failures. */
export interface PartitionReaderDeps {
  partitionManager: Pick<PartitionManager, 'read'>;
  logger: Logger;
}

export const READ_UNCOMMITTED = 0;
export const READ_COMMITTED = 1;

export interface PartitionFetch {
  topic: string;
  topicId: string;
  partition: number;
  fetchOffset: number;
  partitionMaxBytes: number;
  currentLeaderEpoch: number;
}

export interface PartitionFetchResult {
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  records: Buffer;
  /** Null for read_uncommitted; the aborted transactions overlapping the returned range otherwise. */
  abortedTransactions: { producerId: number; firstOffset: number }[] | null;
  leaderId: number;
  leaderEpoch: number;
  /** KIP-392: the leader's answer naming the replica to fetch from instead (no records with it). */
  preferredReadReplica?: number;
}

const EMPTY = Buffer.alloc(0);

// Damage on disk met by a read is answered with CORRUPT_MESSAGE, not KAFKA_STORAGE_ERROR. Kafka
// maps the CorruptRecordException its batch iterator throws to CORRUPT_MESSAGE the same way, and
// it is the code clients surface: librdkafka hands it to the application as a consumer error
// (KAFKA_STORAGE_ERROR only triggers a silent leader re-query and refetch: the stall the issue
// reported), the Java consumer throws a KafkaException from poll(), kafkajs reports a retriable
// KafkaJSProtocolError. The partition stays online; the damage is logged once by the log.

function errorResult(errorCode: number): PartitionFetchResult {
  return {
    errorCode,
    highWatermark: -1,
    lastStableOffset: -1,
    logStartOffset: -1,
    records: EMPTY,
    abortedTransactions: null,
    leaderId: -1,
    leaderEpoch: -1,
  };
}

export interface FetchReadOptions {
  maxBytes: number;
  isolationLevel: number;
  /** Message format for Fetch v0-3 clients (0 or 1), or 2 for v4+. */
  magic: 0 | 1 | 2;
  /** Fetch v10 introduced zstd (KIP-110); older fetchers get UNSUPPORTED_COMPRESSION_TYPE for it. */
  allowZstd: boolean;
  /** 'consumer' unless said otherwise (followers arrive with replication). */
  reader?: ReaderKind;
  /** Follower fetches: the replica's node id (the leader records its position). */
  replicaId?: number;
  /** KIP-392: a consumer's rack from Fetch v11+ ('' when none); absent for older fetches and followers. */
  clientRack?: string;
}

export async function readPartitions(deps: PartitionReaderDeps, fetches: PartitionFetch[], opts: FetchReadOptions): Promise<{ results: PartitionFetchResult[]; bytes: number }> {
  const results: PartitionFetchResult[] = [];
  const layer = deps.partitionManager;
  const reader = opts.reader ?? 'consumer';
  const isolation = opts.isolationLevel === READ_COMMITTED ? 'read_committed' : 'read_uncommitted';
  let remaining = Math.max(0, opts.maxBytes);
  let bytes = 0;
  for (const f of fetches) {
    const budget = Math.min(remaining, Math.max(0, f.partitionMaxBytes));
    const readOpts: ReadOptions = { reader, isolation, currentLeaderEpoch: f.currentLeaderEpoch, minOneMessage: bytes === 0, replicaId: opts.replicaId, clientRack: opts.clientRack };
    const read = await layer.read(f.topic, f.partition, f.fetchOffset, budget, readOpts);
    if (read.errorCode !== ErrorCode.NONE) {
      results.push(read);
      continue;
    }
    let records = read.records;
    if (!opts.allowZstd && records.length > 0 && containsZstd(records)) {
      results.push(errorResult(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE));
      continue;
    }
    if (opts.magic < 2 && records.length > 0) {
      try {
        records = downConvertBatches(records, opts.magic);
      } catch (err) {
        if (!(err instanceof RecordsError)) throw err;
        deps.logger.error('down-conversion failed', { topic: f.topic, partition: f.partition, error: err.message });
        results.push(errorResult(err.errorCode));
        continue;
      }
      read.records = records;
    }
    bytes += records.length;
    remaining = Math.max(0, remaining - records.length);
    results.push(read);
  }
  return { results, bytes };
}

function containsZstd(records: Buffer): boolean {
  return scanBatches(records, 0, records.length, false).batches.some((b) => batchCompression(b.attributes) === Compression.Zstd);
}

/**
 * Results that will not be sent (a long poll reads again): the pooled buffers their records were
 * lent from (segment reads, the tail cache) go back now instead of waiting for the collector.
 */
export function releaseResults(results: PartitionFetchResult[]): void {
  for (const r of results) takeLentView(r.records)?.release();
}
