// A source topic on this broker. Reads go through the Fetch path's partition reader with
// isolation read_committed (bounded by the last stable offset, with the aborted-transaction list
// it returns) and long-poll on the broker's append waiters, so a local source costs nothing
// while idle and sees a commit as soon as the high watermark moves.
import { decodeControlRecord, decodeRecordBatches } from '../../../protocol/records/record-codec.js';
import { ErrorCode } from '../../../protocol/errors.js';
import type { AggregationDeps } from '../stage-deps.js';
import { READ_COMMITTED, type PartitionFetch } from '../../fetch/fetch-reader.js';
import { BufferedSourceReader, TopicMissingError, committedRecords, type BatchView, type PollResult, type ReaderOptions, type SourceChunk } from './source-reader.js';

const PARTITION_MAX_BYTES = 1 << 20;
const MAX_BYTES = 4 << 20;
const IDLE_WAIT_MS = 1_000;

export class LocalSourceReader extends BufferedSourceReader {
  constructor(
    name: string,
    private readonly deps: AggregationDeps,
    private readonly topic: string,
    opts: ReaderOptions,
  ) {
    super(name, opts);
  }

  protected async poll(positions: Map<number, number>): Promise<PollResult> {
    const t = this.deps.topicAdmin.topics.get(this.topic);
    if (!t) throw new TopicMissingError(`topic '${this.topic}' does not exist on this broker`);
    const partitions = Array.from({ length: t.partitions }, (_, i) => i);
    // Watch before reading: an append between "nothing new" and "wait" must still wake us.
    const watch = this.deps.waiters.watch(partitions.map((partition) => ({ topic: this.topic, partition })));
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        const result = await this.readOnce(t.id, partitions, positions);
        if (result.chunks.length > 0 || result.resets || attempt === 1 || this.closed) return result;
        await watch.wait(IDLE_WAIT_MS);
      }
      throw new Error('unreachable');
    } finally {
      watch.close();
    }
  }

  private async readOnce(topicId: string, partitions: number[], positions: Map<number, number>): Promise<PollResult> {
    const fetches: PartitionFetch[] = partitions.map((partition) => ({
      topic: this.topic,
      topicId,
      partition,
      fetchOffset: positions.get(partition) ?? this.deps.runtime.access.offsets({ topic: this.topic, partition: partition })?.logStartOffset ?? 0,
      partitionMaxBytes: PARTITION_MAX_BYTES,
      currentLeaderEpoch: -1,
    }));
    const { results } = await this.deps.readSource(fetches, { maxBytes: MAX_BYTES, isolationLevel: READ_COMMITTED, magic: 2, allowZstd: true });
    const out: PollResult = { chunks: [], endOffsets: new Map() };
    results.forEach((r, i) => {
      const f = fetches[i]!;
      if (r.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
        const start = this.deps.runtime.access.offsets({ topic: this.topic, partition: f.partition })?.logStartOffset ?? 0;
        (out.resets ??= new Map()).set(f.partition, start);
        return;
      }
      if (r.errorCode !== ErrorCode.NONE) throw new Error(`reading ${this.topic}-${f.partition}: error code ${r.errorCode}`);
      out.endOffsets.set(f.partition, r.lastStableOffset);
      if (!positions.has(f.partition)) positions.set(f.partition, f.fetchOffset);
      const chunk = toChunk(this.name, f.partition, f.fetchOffset, r.records, r.abortedTransactions ?? []);
      if (chunk) out.chunks.push(chunk);
    });
    return out;
  }

  protected async release(): Promise<void> {
    // Wake a parked long poll so close() does not wait for its timeout.
    for (let p = 0; p < (this.deps.topicAdmin.topics.get(this.topic)?.partitions ?? 0); p++) this.deps.waiters.notify(this.topic, p);
  }
}

function toChunk(source: string, partition: number, fetchOffset: number, bytes: Buffer, aborted: { producerId: number; firstOffset: number }[]): SourceChunk | null {
  if (bytes.length === 0) return null;
  const views: BatchView[] = decodeRecordBatches(bytes).map((b) => ({
    baseOffset: b.baseOffset,
    lastOffset: b.baseOffset + b.lastOffsetDelta,
    producerId: b.producerId,
    transactional: b.transactional,
    control: b.control,
    abortMarker: b.control && b.records.length > 0 && decodeControlRecord(b.records[0]!)?.type === 'ABORT',
    records: b.control ? [] : b.records.map((r) => ({ offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value })),
  }));
  if (views.length === 0) return null;
  const records = committedRecords(views, aborted, fetchOffset);
  const nextOffset = views[views.length - 1]!.lastOffset + 1;
  if (nextOffset <= fetchOffset) return null;
  return { source, partition, records, nextOffset, bytes: bytes.length };
}
